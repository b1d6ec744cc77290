"""API schemas of the annual cycle (pydantic), apart from the tables of
:mod:`geomatch.cycle.orm`."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CandidateBody",
    "CommendOut",
    "EvaluateIn",
    "EvaluateOut",
    "ObjectionIn",
    "QuotaOut",
    "QuotasIn",
    "RecommendIn",
    "RecommendOut",
    "RecommendationOut",
    "SpotcheckIn",
    "SpotcheckOut",
    "UnitScoreOut",
    "YearIn",
]

Year = Field(ge=2013, le=2035, description="year, e.g. 2020")


class YearIn(BaseModel):
    year: int = Year


class EvaluateIn(YearIn):
    """Evaluate a year from the records in the database (national office)."""


class EvaluateOut(BaseModel):
    year: int
    agreements: int
    units: int


class UnitScoreOut(BaseModel):
    """A unit's score with its indicator breakdown (``ind_*`` sum to ``score``)."""

    model_config = ConfigDict(from_attributes=True)

    year: int
    unit: str
    unit_name: str
    unit_type: str
    score: float
    rank: int
    grade: str
    breakdown: dict[str, float]


class QuotasIn(BaseModel):
    """Quotas of ``year + 1`` from the scores of ``year``."""

    year: int = Year
    total: int = Field(ge=0, le=100_000)
    floor: int = Field(0, ge=0)
    cap: int | None = Field(None, ge=0)
    method: Literal["largest-remainder", "sainte-lague"] = "largest-remainder"


class QuotaOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    year: int
    unit: str
    quota: int
    score: float
    method: str


class CandidateBody(BaseModel):
    candidate_id: str = Field(min_length=1, max_length=64)
    kind: Literal["team", "individual"]
    name: str = Field(max_length=200)
    merit: float = Field(ge=0, le=1e6)
    category: Literal["种植", "养殖", "其他"]
    deep_poverty: bool = False
    registered: bool
    praised_since_2016: bool


class RecommendIn(BaseModel):
    """A unit's recommendation list with its publicity (公示) window."""

    year: int = Year
    unit: str | None = Field(None, max_length=64, description="default: the planner's province")
    publicity_start: dt.date
    publicity_end: dt.date
    candidates: list[CandidateBody] = Field(max_length=50)


class RecommendOut(BaseModel):
    year: int
    unit: str
    recommended: int


class RecommendationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    year: int
    unit: str
    candidate_id: str
    kind: str
    name: str
    merit: float
    category: str
    deep_poverty: bool
    publicity_start: dt.date
    publicity_end: dt.date
    status: str
    objection_date: dt.date | None


class CommendOut(BaseModel):
    selected: int
    merit: int
    changes: int


class ObjectionIn(BaseModel):
    year: int = Year
    candidate_id: str = Field(min_length=1, max_length=64)
    date: dt.date


class SpotcheckIn(BaseModel):
    year: int = Year
    provinces: int = Field(ge=1, le=22)
    per_province: int = Field(3, ge=1, le=10)
    seed: int = Field(0, ge=0, le=2**31)


class SpotcheckOut(BaseModel):
    sample: list[dict[str, str | float | bool | None]]
    itinerary: list[dict[str, str | int | float]]
