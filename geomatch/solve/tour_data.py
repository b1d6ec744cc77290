"""Inputs shared by the museum and caravan tours: poor counties by province, the
provincial science museum that bases a province's exhibition sets, and the seasonal
closures that apply to a county.

:mod:`geomatch.solve.museum`, :mod:`geomatch.solve.caravan` and
:mod:`geomatch.solve.tours` read their inputs through these functions, so the rules
(which county is closed when, where a province's sets start) are written once.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pandas as pd

from geomatch.model.tours_settings import ToursSettings

if TYPE_CHECKING:
    from geomatch.dataset import Dataset

__all__ = ["closures_for", "museum_location", "poor_by_province"]

log = logging.getLogger(__name__)


def closures_for(
    adcode: str, province: str, terrain: str, settings: ToursSettings
) -> tuple[tuple[int, int], ...]:
    """Closed day-of-year intervals ``[first, last]`` of a county, sorted.

    Every closure of ``settings.closures`` that covers the county (by terrain class,
    province or listed adcode) contributes its days in ``settings.year``.
    """
    out: list[tuple[int, int]] = []
    for c in settings.closures:
        if c.applies(adcode, province, terrain):
            out.extend(c.closed_days(settings.year))
    return tuple(sorted(out))


def museum_location(dataset: Dataset, province: str, counties: pd.DataFrame) -> tuple[float, float]:
    """``(lon, lat)`` of the province's science museum, where its sets are based.

    A province without a museum in the dataset starts its sets from the mean seat of
    its poor counties (``counties``: ``seat_lon, seat_lat``), with a warning.
    """
    mus = dataset.museums
    if "available_from" in mus.columns:  # issue 15: none that opened after the programme
        mus = mus[mus["available_from"].astype(str) <= "2020-12-31"]
    hit = mus[mus["province_adcode"].astype(str) == province]
    if len(hit):
        return float(hit["lon"].iloc[0]), float(hit["lat"].iloc[0])
    log.warning(
        "province %s has no science museum in the dataset; its sets start from the mean "
        "seat of its poor counties",
        province,
    )
    return float(counties["seat_lon"].mean()), float(counties["seat_lat"].mean())


def poor_by_province(dataset: Dataset) -> dict[str, pd.DataFrame]:
    """The dataset's poor counties (one row per adcode, no geometry) by province adcode,
    provinces in ascending code order."""
    pc = pd.DataFrame(dataset.poor_counties.drop(columns="geometry", errors="ignore"))
    pc = pc.drop_duplicates("adcode")
    pc["province_adcode"] = pc["province_adcode"].astype(str)
    return {str(p): g for p, g in pc.groupby("province_adcode", sort=True)}
