"""Deterministic approximate points for townships and villages inside their county.

No open source gives township or village coordinates (reference PROVENANCE §4), so each
unit gets an **approximate** point (``location_quality='approximate'``) that is

* inside its county's (simplified, stored) polygon — always, checked after rounding to
  the 1e-5° grid — and in its administered part;
* around the real county seat: the lowest township code (街道 0xx first, then 镇 1xx,
  then 乡 2xx — the seat town) gets the seat itself, or the nearest point of the county
  to it when the seat lies outside (a 县 governed from the neighbouring city, or a seat
  across the line of actual control); the others are the centres of a k-means (Lloyd, 20
  iterations, the seat centre held fixed) partition of ``max(400, 40·n)`` seeded random
  points inside the county, each snapped to the nearest of those points so it lies
  inside, given to the codes in order of distance from the seat, so urban streets sit
  nearest the seat;
* inside the *administered part* of the county (:mod:`~geomatch.databuild.administered`):
  never across the line of actual control (错那, 墨脱, 察隅, 隆子, 米林, 札达);
* villages lie near their township: normal offsets with σ = 0.35·√(county area / n
  townships), 16 seeded tries per village; the first try that is inside the county and
  whose nearest township point is its own township wins, else the first try inside the
  county, else the township point itself.

Random numbers come from ``numpy.random.default_rng([seed, adcode, stream])`` per county,
with villages drawn in code order, so the points depend only on the seed and the codes.
"""

from __future__ import annotations

import logging
from typing import Final

import numpy as np
import pandas as pd
import shapely

from geomatch.progress import ProgressCallback, null_progress

__all__ = ["nearest_inside", "township_points", "village_points"]

log = logging.getLogger(__name__)

_LLOYD_ITERATIONS: Final = 20
_VILLAGE_TRIES: Final = 16
_SIGMA_FACTOR: Final = 0.35
_GRID_DECIMALS: Final = 5


def _rng(seed: int, adcode: str, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, int(adcode), stream])


def _sample_inside(poly: shapely.Geometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform random points inside ``poly`` (rounded to the grid), ``(n, 2)``."""
    minx, miny, maxx, maxy = shapely.bounds(poly)
    shapely.prepare(poly)
    out: list[np.ndarray] = []
    have = 0
    while have < n:
        batch = max(64, 2 * (n - have))
        xy = np.column_stack(
            [rng.uniform(minx, maxx, batch), rng.uniform(miny, maxy, batch)]
        ).round(_GRID_DECIMALS)
        xy = xy[shapely.contains_xy(poly, xy[:, 0], xy[:, 1])]
        out.append(xy)
        have += len(xy)
    return np.concatenate(out)[:n]


def nearest_inside(poly: shapely.Geometry, seat: np.ndarray) -> np.ndarray:
    """The seat itself if it is inside ``poly`` (on the grid), else the nearest point of
    ``poly`` to it, nudged inside (a seat in a neighbouring city district, or across the
    line of actual control, is represented by the nearest administered point)."""
    x, y = np.round(seat, _GRID_DECIMALS)
    if shapely.contains_xy(poly, x, y):
        return np.array([x, y])
    inner = shapely.buffer(poly, -0.002)
    target = inner if not shapely.is_empty(inner) else poly
    line = shapely.shortest_line(target, shapely.Point(x, y))
    near: np.ndarray = np.round(shapely.get_coordinates(line)[0], _GRID_DECIMALS)
    if shapely.contains_xy(poly, near[0], near[1]):
        return near
    surface: np.ndarray = shapely.get_coordinates(shapely.point_on_surface(poly))[0]
    return np.round(surface, _GRID_DECIMALS)


def _scaled(xy: np.ndarray, coslat: float) -> np.ndarray:
    return np.column_stack([xy[:, 0] * coslat, xy[:, 1]])


def _spread(cands: np.ndarray, n: int, coslat: float, anchor: int) -> np.ndarray:
    """``n`` well-spread points among ``cands``, the first being ``cands[anchor]``.

    Lloyd k-means with centre 0 held at the anchor (the candidate nearest the county
    seat); the other centres are snapped to distinct candidates.
    """
    pts = _scaled(cands, coslat)
    px, py = pts[:, 0:1], pts[:, 1:2]
    centres = np.vstack([pts[anchor : anchor + 1], np.delete(pts, anchor, axis=0)[: n - 1]])
    for _ in range(_LLOYD_ITERATIONS):
        d = (px - centres[:, 0]) ** 2 + (py - centres[:, 1]) ** 2
        label = d.argmin(axis=1)
        count = np.bincount(label, minlength=n)
        filled = count > 0
        filled[0] = False  # the seat centre stays where it is
        for axis in (0, 1):
            total = np.bincount(label, weights=pts[:, axis], minlength=n)
            centres[filled, axis] = total[filled] / count[filled]
    chosen = np.empty(n, dtype=np.int64)
    taken = np.zeros(len(pts), dtype=bool)
    chosen[0] = anchor
    taken[anchor] = True
    for k in range(1, n):
        d = ((pts - centres[k]) ** 2).sum(axis=1)
        d[taken] = np.inf
        chosen[k] = int(d.argmin())
        taken[chosen[k]] = True
    return cands[chosen]


def township_points(
    townships: pd.DataFrame,
    counties: pd.DataFrame,
    *,
    seed: int,
    progress: ProgressCallback | None = None,
) -> np.ndarray:
    """Approximate points of townships, ``(n, 2)`` lon/lat aligned with ``townships``.

    Parameters
    ----------
    townships
        ``code, county_adcode``.
    counties
        Indexed by adcode with ``geometry, seat_lon, seat_lat``.
    seed
        Base seed.
    """
    progress = progress or null_progress
    out = np.zeros((len(townships), 2))
    groups = townships.groupby("county_adcode", sort=True).indices
    all_codes = townships["code"].to_numpy(dtype=str)
    for i, (adcode, idx) in enumerate(groups.items()):
        poly = counties.at[adcode, "geometry"]
        seat = np.array([counties.at[adcode, "seat_lon"], counties.at[adcode, "seat_lat"]])
        coslat = float(np.cos(np.radians(seat[1])))
        rng = _rng(seed, str(adcode), 1)
        n = len(idx)
        cands = _sample_inside(poly, max(400, 40 * n), rng)
        cands = np.vstack([nearest_inside(poly, seat), cands])
        pts = _spread(cands, n, coslat, anchor=0)
        dist = (((pts[1:] - seat) * [coslat, 1.0]) ** 2).sum(axis=1)
        pts = np.vstack([pts[:1], pts[1:][np.argsort(dist, kind="stable")]])
        codes = all_codes[idx]
        out[idx[np.argsort(codes, kind="stable")]] = pts
        if i % 50 == 0:
            progress(i / len(groups), f"townships of {adcode}")
    return out


def village_points(
    villages: pd.DataFrame,
    townships: pd.DataFrame,
    counties: pd.DataFrame,
    *,
    seed: int,
    progress: ProgressCallback | None = None,
) -> np.ndarray:
    """Approximate points of villages, ``(n, 2)`` lon/lat aligned with ``villages``.

    Parameters
    ----------
    villages
        ``code, township_code, county_adcode`` sorted by code.
    townships
        ``code, county_adcode, lon, lat``.
    counties
        Indexed by adcode with ``geometry``.
    seed
        Base seed.
    """
    progress = progress or null_progress
    out = np.zeros((len(villages), 2))
    t_groups = townships.groupby("county_adcode", sort=True).indices
    t_codes = townships["code"].to_numpy(dtype=str)
    t_xy = townships[["lon", "lat"]].to_numpy(dtype="float64")
    v_groups = villages.groupby("county_adcode", sort=True).indices
    v_town = villages["township_code"].to_numpy(dtype=str)
    v_codes = villages["code"].to_numpy(dtype=str)
    for i, (adcode, vidx) in enumerate(v_groups.items()):
        poly = counties.at[adcode, "geometry"]
        shapely.prepare(poly)
        tidx = t_groups[adcode]
        txy = t_xy[tidx]
        pos = {c: k for k, c in enumerate(t_codes[tidx])}
        coslat = float(np.cos(np.radians(txy[:, 1].mean())))
        sigma = _SIGMA_FACTOR * float(np.sqrt(poly.area / len(tidx)))
        rng = _rng(seed, str(adcode), 2)
        vidx = vidx[np.argsort(v_codes[vidx], kind="stable")]
        own = np.array([pos[c] for c in v_town[vidx]])
        n = len(vidx)
        offs = rng.normal(0.0, sigma, size=(n, _VILLAGE_TRIES, 2))
        offs[:, :, 0] /= coslat
        cand = (txy[own][:, None, :] + offs).round(_GRID_DECIMALS)
        flat = cand.reshape(-1, 2)
        inside = shapely.contains_xy(poly, flat[:, 0], flat[:, 1]).reshape(n, _VILLAGE_TRIES)
        d = (
            (((flat[:, 0:1] - txy[:, 0]) * coslat) ** 2 + (flat[:, 1:2] - txy[:, 1]) ** 2)
            .argmin(axis=1)
            .reshape(n, _VILLAGE_TRIES)
        )
        good = inside & (d == own[:, None])
        pick = np.where(good.any(axis=1), good.argmax(axis=1), inside.argmax(axis=1))
        pts = cand[np.arange(n), pick]
        none = ~inside.any(axis=1)
        pts[none] = txy[own[none]]
        out[vidx] = pts
        if i % 50 == 0:
            progress(i / len(v_groups), f"villages of {adcode}")
    return out
