"""Loading the dataset (counties, helpers, needs) into the service's database.

The service's tables mirror :func:`geomatch.dataset.load_dataset`: ``provinces``,
``units`` (every county-level unit with its polygon; poor counties carry their exit year,
deep-poverty area and seat point), ``helpers`` and ``needs`` (points). A county's
province is its adcode's first two digits followed by ``0000``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from shapely.geometry import Point
from sqlalchemy.orm import Session

from geomatch.service.auth import province_of
from geomatch.service.models import Helper, Need, Province, Unit

__all__ = ["dataset_loaded", "load_dataset_into"]

log = logging.getLogger(__name__)

_BATCH = 5000


def dataset_loaded(session: Session) -> bool:
    """Whether the units table has rows."""
    return session.execute(sa.select(sa.func.count()).select_from(Unit)).scalar_one() > 0


def _s(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return str(value)


def _f(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def _i(value: Any) -> int | None:
    out = _f(value)
    return None if out is None else int(out)


def _batches(rows: Iterable[dict[str, Any]], size: int = _BATCH) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert(
    session: Session, model: type[Any], rows: Iterable[dict[str, Any]], size: int = _BATCH
) -> int:
    """Insert ``rows`` into ``model``'s table in batches of ``size``; the number inserted."""
    n = 0
    for batch in _batches(rows, size):
        session.execute(sa.insert(model), batch)
        n += len(batch)
    return n


def load_dataset_into(
    session: Session, root: Path | None = None, *, replace: bool = False
) -> dict[str, int]:
    """Copy the dataset's provinces, counties, helpers and needs into the database.

    Parameters
    ----------
    session
        Open session; everything is written in its transaction (the caller commits).
    root
        Dataset folder (default: the embedded dataset, ``geomatch.settings.data_dir()``).
    replace
        Delete the rows already there first. Without it, a database that already has
        units is left alone.

    Returns
    -------
    dict
        Row counts written per table (empty when nothing was done).

    Raises
    ------
    geomatch.errors.DatasetMissingError
        The dataset folder is absent or incomplete.
    """
    from geomatch.dataset import load_dataset

    if not replace and dataset_loaded(session):
        return {}
    ds = load_dataset(root=root) if root is not None else load_dataset()
    if replace:
        for table in (Need, Helper, Unit, Province):
            session.execute(sa.delete(table))
    session.execute(sa.insert(Province), list(_province_rows(ds.provinces)))
    counts = {"provinces": len(ds.provinces)}
    counts["units"] = _insert(session, Unit, _unit_rows(ds.counties, ds.poor_counties), 500)
    counts["helpers"] = _insert(session, Helper, _helper_rows(ds.helpers))
    counts["needs"] = _insert(session, Need, _need_rows(ds.needs))
    log.info("loaded the dataset into the database: %s", counts)
    return counts


def _point(lon: Any, lat: Any) -> Point | None:
    x, y = _f(lon), _f(lat)
    return Point(x, y) if x is not None and y is not None else None


def _province_rows(provinces: Any) -> Iterator[dict[str, Any]]:
    for r in provinces.itertuples(index=False):
        yield {"adcode": _s(r.adcode), "name": _s(r.name), "region": _s(getattr(r, "region", ""))}


def _unit_rows(counties: Any, poor_counties: Any) -> Iterator[dict[str, Any]]:
    poor = poor_counties.drop_duplicates("adcode").set_index("adcode")
    for r in counties.itertuples(index=False):
        code = _s(r.adcode)
        p = poor.loc[code] if code in poor.index else None
        yield {
            "adcode": code,
            "name": _s(r.name),
            "province_adcode": _s(getattr(r, "province_adcode", "")) or province_of(code),
            "province": _s(getattr(r, "province", "")),
            "prefecture_adcode": _s(getattr(r, "prefecture_adcode", "")),
            "prefecture": _s(getattr(r, "prefecture", "")),
            "region": _s(getattr(r, "region", "")),
            "poor": bool(getattr(r, "poor", False)) or p is not None,
            "exit_year": _i(p["exit_year"]) if p is not None else None,
            "deep_poverty_area": _s(p["deep_poverty_area"]) if p is not None else "",
            "seat_lon": _f(p["seat_lon"]) if p is not None else None,
            "seat_lat": _f(p["seat_lat"]) if p is not None else None,
            "geom": r.geometry,
        }


def _helper_rows(helpers: Any) -> Iterator[dict[str, Any]]:
    for r in helpers.itertuples(index=False):
        yield {
            "helper_id": _s(r.helper_id),
            "name": _s(getattr(r, "name", "")),
            "kind": _s(getattr(r, "kind", "")),
            "specialty": _s(getattr(r, "specialty", "")),
            "level": _s(getattr(r, "level", "")),
            "capacity": _i(getattr(r, "capacity", 0)) or 0,
            "languages": _s(getattr(r, "languages", "")),
            "province_adcode": _s(getattr(r, "province_adcode", "")),
            "institution": _s(getattr(r, "institution", "")),
            "source": _s(getattr(r, "source", "")),
            "lon": _f(getattr(r, "lon", None)),
            "lat": _f(getattr(r, "lat", None)),
            "geom": _point(getattr(r, "lon", None), getattr(r, "lat", None)),
        }


def _need_rows(needs: Any) -> Iterator[dict[str, Any]]:
    for r in needs.itertuples(index=False):
        adcode = _s(getattr(r, "adcode", ""))
        yield {
            "need_id": _s(r.need_id),
            "kind": _s(getattr(r, "kind", "")),
            "adcode": adcode,
            "province_adcode": province_of(adcode) if adcode else "",
            "unit_code": _s(getattr(r, "unit_code", "")),
            "unit_name": _s(getattr(r, "unit_name", "")),
            "category": _s(getattr(r, "category", "")),
            "industry": _s(getattr(r, "industry", "")),
            "size": _f(getattr(r, "size", None)),
            "priority": _s(getattr(r, "priority", "")),
            "source": _s(getattr(r, "source", "")),
            "lon": _f(getattr(r, "lon", None)),
            "lat": _f(getattr(r, "lat", None)),
            "geom": _point(getattr(r, "lon", None), getattr(r, "lat", None)),
        }
