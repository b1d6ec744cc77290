"""Per-need selection of the cheapest rows, shared by the candidate builder and pricing."""

from __future__ import annotations

import numpy as np

__all__ = ["keep_cheapest"]


def keep_cheapest(need: np.ndarray, key: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask keeping the ``k`` smallest ``key`` per ``need`` (ties by order)."""
    if len(need) == 0:
        return np.zeros(0, dtype=bool)
    order = _by_need_then_key(need, key)
    sorted_need = need[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_need)) + 1]
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(sorted_need)]))
    rank = np.arange(len(sorted_need)) - group_start
    keep = np.zeros(len(need), dtype=bool)
    keep[order[rank < k]] = True
    return keep


def _by_need_then_key(need: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Positions sorted by ``need``, then ``key``, then position (stable).

    One stable sort of a packed int64 (need in the high bits) when the integer keys
    fit beside the need numbers — several times faster than ``lexsort`` — else lexsort.
    """
    if key.dtype.kind in "iu" and len(key):
        lo, hi = int(key.min()), int(key.max())
        n_bits = max(int(need.max()), 1).bit_length()
        k_bits = max(hi - lo, 1).bit_length()
        if int(need.min()) >= 0 and n_bits + k_bits <= 62:
            packed = (need.astype(np.int64) << k_bits) | (key.astype(np.int64) - lo)
            return np.argsort(packed, kind="stable")
    return np.lexsort((key, need))
