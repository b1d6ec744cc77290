"""In-memory caches of one server process (results of finished runs never change).

* principals: token hash → user, for ``auth_cache_s`` seconds (a new or revoked token
  takes effect within that time);
* the id of the latest finished run, for one second;
* serialised coverage answers and map files of finished runs, least recently used first
  out, within a byte budget.

Only successful answers are cached, so every error is computed afresh.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

__all__ = ["BytesLRU", "ServiceCaches", "SingleFlight", "TTLCache"]

V = TypeVar("V")


class TTLCache(Generic[V]):
    """A small thread-safe mapping whose entries expire after ``ttl_s`` seconds."""

    def __init__(self, ttl_s: float, max_items: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_items = max_items
        self._data: dict[Hashable, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        if self.ttl_s <= 0:
            return None
        with self._lock:
            hit = self._data.get(key)
            if hit is None:
                return None
            if hit[0] < time.monotonic():
                del self._data[key]
                return None
            return hit[1]

    def put(self, key: Hashable, value: V) -> None:
        if self.ttl_s <= 0:
            return
        with self._lock:
            if len(self._data) >= self.max_items:
                self._data.clear()
            self._data[key] = (time.monotonic() + self.ttl_s, value)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


class BytesLRU:
    """Least-recently-used cache of byte strings within ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._data: OrderedDict[Hashable, tuple[bytes, str]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> tuple[bytes, str] | None:
        with self._lock:
            hit = self._data.get(key)
            if hit is not None:
                self._data.move_to_end(key)
            return hit

    def put(self, key: Hashable, body: bytes, media_type: str) -> None:
        if len(body) > self.max_bytes // 4:
            return
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._size -= len(old[0])
            self._data[key] = (body, media_type)
            self._size += len(body)
            while self._size > self.max_bytes and self._data:
                _, (dropped, _m) = self._data.popitem(last=False)
                self._size -= len(dropped)


class SingleFlight:
    """At most one load per key at a time: concurrent misses wait for the first one.

    Without it, the expiry of a popular entry sends every concurrent request to the
    database at once (a thundering herd) and the latency tail grows by seconds.
    """

    def __init__(self) -> None:
        self._locks: dict[Hashable, asyncio.Lock] = {}

    async def run(
        self,
        key: Hashable,
        lookup: Callable[[], V | None],
        load: Callable[[], Awaitable[V]],
    ) -> V:
        """``lookup()`` if it has the value, else ``load()`` once for all waiters."""
        value = lookup()
        if value is not None:
            return value
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            value = lookup()
            if value is None:
                value = await load()
        if not lock.locked():
            self._locks.pop(key, None)
        return value


@dataclass
class ServiceCaches:
    """The caches of one application instance."""

    auth_ttl_s: float = 30.0
    principals: TTLCache[object] = field(init=False)
    latest_run: TTLCache[str] = field(default_factory=lambda: TTLCache(1.0, 4))
    coverage: BytesLRU = field(default_factory=lambda: BytesLRU(64 * 1024 * 1024))
    files: BytesLRU = field(default_factory=lambda: BytesLRU(256 * 1024 * 1024))
    flights: SingleFlight = field(default_factory=SingleFlight)
    #: County codes and an STRtree of their polygons (SQLite; PostGIS uses its index).
    unit_index: tuple[list[str], Any] | None = None

    def __post_init__(self) -> None:
        self.principals = TTLCache(self.auth_ttl_s)
