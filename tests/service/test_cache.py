"""The service's caches: expiry, byte budget, one load for concurrent misses."""

from __future__ import annotations

import asyncio
import time

from geomatch.service.cache import BytesLRU, SingleFlight, TTLCache


def test_ttl_cache_expires() -> None:
    c: TTLCache[int] = TTLCache(0.05)
    c.put("a", 1)
    assert c.get("a") == 1
    time.sleep(0.06)
    assert c.get("a") is None
    off: TTLCache[int] = TTLCache(0)
    off.put("a", 1)
    assert off.get("a") is None


def test_bytes_lru_budget() -> None:
    c = BytesLRU(max_bytes=100)
    c.put("a", b"x" * 20, "t")
    c.put("b", b"y" * 20, "t")
    assert c.get("a") is not None  # a is now the most recent
    for k in "cdef":
        c.put(k, b"z" * 20, "t")
    assert c.get("b") is None and c.get("a") is not None
    c.put("huge", b"h" * 60, "t")  # more than a quarter of the budget: not kept
    assert c.get("huge") is None


def test_single_flight_loads_once() -> None:
    store: dict[str, int] = {}
    calls = 0

    async def load() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        store["k"] = 42
        return 42

    async def main() -> list[int]:
        sf = SingleFlight()
        return await asyncio.gather(*(sf.run("k", lambda: store.get("k"), load) for _ in range(50)))

    assert asyncio.run(main()) == [42] * 50
    assert calls == 1
