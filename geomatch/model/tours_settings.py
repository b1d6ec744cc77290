"""Settings of the tours stage (the ``[tours]`` table of a scenario).

Units are in the names: ``_days``, ``_hours``, ``_kmh``, ``_km``, ``_s``. Month-day
strings are ``MM-DD`` in the scenario's calendar ``year``. Example::

    [tours]
    year = 2020
    exhibition_days = 20
    min_gap_days = 90
    sets_per_province = 6
    sets_by_province = { "520000" = 10 }   # Guizhou has more sets
    working_day_hours = 8.0
    speed_kmh = { plateau = 35.0, mountain = 45.0, plain = 65.0 }
    province_terrain = { "620000" = "plateau" }

    [[tours.closures]]
    terrain = "plateau"
    start = "12-01"
    end = "02-28"
    reason = "mid-winter on the high plateau"
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["TERRAIN_CLASSES", "SeasonalClosure", "ToursSettings", "parse_month_day"]

TerrainClass = Literal["plateau", "mountain", "plain"]

#: The terrain classes that set travel speeds and seasonal closures.
TERRAIN_CLASSES: tuple[str, ...] = ("plateau", "mountain", "plain")


def parse_month_day(value: str, year: int) -> dt.date:
    """``"MM-DD"`` → a date in ``year`` (``02-29`` becomes ``02-28`` outside leap years)."""
    try:
        month, day = (int(p) for p in value.split("-"))
    except ValueError:
        raise ValueError(f"expected MM-DD, got {value!r}") from None
    if month == 2 and day == 29:
        try:
            return dt.date(year, 2, 29)
        except ValueError:
            return dt.date(year, 2, 28)
    return dt.date(year, month, day)


class SeasonalClosure(BaseModel):
    """Days on which no exhibition is shown and no caravan travels in some counties.

    A closure applies to the counties of a terrain class, of a province, or to listed
    counties (any of them set; all given must match). ``start`` may be after ``end``:
    the closure then wraps over New Year (``12-01`` … ``02-28`` closes December and
    January–February of the same calendar year).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: str
    end: str
    terrain: TerrainClass | None = None
    province_adcode: str | None = None
    adcodes: tuple[str, ...] = ()
    reason: str = "seasonal closure"

    @field_validator("start", "end")
    @classmethod
    def _md(cls, v: str) -> str:
        parse_month_day(v, 2020)
        return v

    def applies(self, adcode: str, province_adcode: str, terrain: str) -> bool:
        """Whether the closure covers a county."""
        if self.terrain is not None and self.terrain != terrain:
            return False
        if self.province_adcode is not None and self.province_adcode != province_adcode:
            return False
        return not (self.adcodes and adcode not in self.adcodes)

    def closed_days(self, year: int) -> list[tuple[int, int]]:
        """Closed day-of-year intervals ``[first, last]`` (0 = 1 January), inclusive."""
        jan1 = dt.date(year, 1, 1)
        a = (parse_month_day(self.start, year) - jan1).days
        b = (parse_month_day(self.end, year) - jan1).days
        last = (dt.date(year, 12, 31) - jan1).days
        return [(a, b)] if a <= b else [(0, b), (a, last)]


def _default_closures() -> tuple[SeasonalClosure, ...]:
    return (
        SeasonalClosure(
            terrain="plateau", start="12-01", end="02-28", reason="mid-winter on the high plateau"
        ),
    )


class ToursSettings(BaseModel):
    """Tours settings; see :mod:`geomatch.solve.tours` for their meaning."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Calendar year of the schedule.
    year: int = 2020

    # --- mobile science museum -------------------------------------------------
    #: Days an exhibition set shows in a county (set-up and take-down included).
    exhibition_days: int = Field(20, ge=1, le=180)
    #: Visits each poor county gets per year.
    visits_per_county: int = Field(2, ge=1, le=6)
    #: Least number of days between the starts of two visits to the same county.
    min_gap_days: int = Field(90, ge=0)
    #: Exhibition sets per province (based at the provincial science museum);
    #: 0 = sized automatically: ``⌈(1 + fleet_margin) · workload bound⌉`` (see
    #: :func:`geomatch.solve.museum.workload_bound`).
    sets_per_province: int = Field(0, ge=0)
    #: Spare capacity of an automatically sized fleet over the workload bound.
    fleet_margin: float = Field(0.25, ge=0)
    #: Per-province fleet, overriding ``sets_per_province`` (province adcode → sets).
    sets_by_province: dict[str, int] = Field(default_factory=dict)
    #: Cost of one missing museum visit, in km of set travel (times the priority weight).
    missing_visit_penalty_km: float = Field(20000.0, gt=0)
    #: Weight of a missing visit by county class: ``remaining`` (exit in 2020, the 52
    #: last-batch counties), ``deep`` (三区三州 deep-poverty area), ``other``.
    priority_weight: dict[str, float] = Field(
        default_factory=lambda: {"remaining": 4.0, "deep": 2.0, "other": 1.0}
    )
    #: Search budget per province (museum tours) in local-search moves (OR-Tools
    #: branches): a deterministic budget, so a schedule is the same on every machine
    #: and executor; provinces with fewer than 100 visits get a proportional share (at
    #: least 50). 0 = no move budget (the time limit alone, results then vary by machine).
    museum_search_branches: int = Field(400, ge=0)
    #: Safety cap on solver time per province (museum tours), seconds; provinces with
    #: fewer than 100 visits get a proportional share (at least 0.5 s). With a move
    #: budget it should not bind (when it does, results depend on machine speed).
    museum_time_limit_s: float = Field(30.0, gt=0)

    # --- science caravans ------------------------------------------------------
    #: Length of a working day (caravan day trips; museum set moves per travel day).
    working_day_hours: float = Field(9.0, gt=0, le=24)
    #: Time spent at each caravan stop (township or village), hours.
    service_hours_per_stop: float = Field(1.0, ge=0)
    #: Caravan trip days available per county in the season.
    trip_days: int = Field(60, ge=1)
    #: Caravan season (``MM-DD``); trips run on weekdays within it, outside closures.
    caravan_season_start: str = "03-01"
    caravan_season_end: str = "11-30"
    #: Search budget per county (caravan day trips) in solutions of the guided local
    #: search: deterministic like ``museum_search_branches``. 0 = the time limit alone.
    caravan_search_solutions: int = Field(20, ge=0)
    #: Safety cap on solver time per county (caravan day trips), seconds; counties with
    #: fewer than 100 stops get a proportional share (at least 0.03 s).
    caravan_time_limit_s: float = Field(2.0, gt=0)

    # --- travel model ----------------------------------------------------------
    #: Road distance / great-circle distance between linked county seats (and inside a
    #: county). 1.3 is the usual circuity of rural Chinese roads at county scale.
    detour_factor: float = Field(1.3, ge=1.0)
    #: Average travel speed by terrain class, km/h.
    speed_kmh: dict[str, float] = Field(
        default_factory=lambda: {"plateau": 35.0, "mountain": 45.0, "plain": 65.0}
    )
    #: Terrain class per province adcode, on top of the built-in defaults
    #: (:data:`geomatch.travel.terrain.DEFAULT_PROVINCE_TERRAIN`).
    province_terrain: dict[str, TerrainClass] = Field(default_factory=dict)
    #: Terrain class per county adcode (wins over the province's).
    county_terrain: dict[str, TerrainClass] = Field(default_factory=dict)
    #: Seasonal closures (museum visits and caravan trips).
    closures: tuple[SeasonalClosure, ...] = Field(default_factory=_default_closures)
    #: Optional road graph (GraphML as osmnx writes it) used instead of the county graph.
    road_graph: str = ""

    #: Worker processes for the province and county problems: ``> 1`` starts a local
    #: Dask cluster of that many processes for the run's tours; 1 = in process. A run
    #: inside a Dask task (a sweep) or given an executor ignores it.
    workers: int = Field(1, ge=1)

    @field_validator("caravan_season_start", "caravan_season_end")
    @classmethod
    def _md(cls, v: str) -> str:
        parse_month_day(v, 2020)
        return v

    @field_validator("speed_kmh")
    @classmethod
    def _speeds(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = set(v) - set(TERRAIN_CLASSES)
        if unknown:
            raise ValueError(f"unknown terrain class(es) {sorted(unknown)}; use {TERRAIN_CLASSES}")
        if any(s <= 0 for s in v.values()):
            raise ValueError("speeds must be positive km/h")
        return v

    @model_validator(mode="after")
    def _check(self) -> ToursSettings:
        if self.exhibition_days * self.visits_per_county > 366:
            raise ValueError("visits_per_county × exhibition_days exceeds a year")
        return self

    def speed(self, terrain: str) -> float:
        """Travel speed of a terrain class, km/h (defaults fill classes not given)."""
        defaults = {"plateau": 35.0, "mountain": 45.0, "plain": 65.0}
        return float(self.speed_kmh.get(terrain, defaults[terrain]))

    def sets_for(self, province_adcode: str) -> int:
        """Exhibition sets of a province (0 = size automatically)."""
        return int(self.sets_by_province.get(province_adcode, self.sets_per_province))

    @property
    def days_in_year(self) -> int:
        """366 in leap years, else 365."""
        return (dt.date(self.year + 1, 1, 1) - dt.date(self.year, 1, 1)).days
