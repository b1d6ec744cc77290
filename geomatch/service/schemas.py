"""Request and response bodies of the API (pydantic; apart from the tables)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AuditEntry",
    "CountyCoverage",
    "CoverageOut",
    "DatasetOut",
    "ErrorOut",
    "InputErrorOut",
    "MeOut",
    "ProvinceOut",
    "RunCreated",
    "RunOut",
    "RunRequest",
    "UnitOut",
]

RunStatus = Literal["queued", "running", "done", "failed", "interrupted"]


class RunRequest(BaseModel):
    """Start a run of a named scenario (a TOML file in the scenario folder)."""

    model_config = ConfigDict(extra="forbid")

    scenario: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$",
        examples=["national"],
        description="name of a scenario in the scenario folder, e.g. national",
    )
    helpers: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="id of an uploaded helpers table that replaces the scenario's helpers",
    )
    needs: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="id of an uploaded needs table that replaces the scenario's needs",
    )


class RunCreated(BaseModel):
    id: int
    status: RunStatus


class RunOut(BaseModel):
    id: int
    scenario: str
    status: RunStatus
    progress: float = Field(ge=0, le=1, description="fraction done, 0–1")
    message: str
    error: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    tables: dict[str, int] = Field(description="rows per result table (when done)")
    helpers: int | None = Field(default=None, description="uploaded helpers table used")
    needs: int | None = Field(default=None, description="uploaded needs table used")


class CountyCoverage(BaseModel):
    adcode: str
    name: str
    province: str
    province_adcode: str
    station_team: str
    museum_visits: int
    caravan_visits: int
    experts: int
    unmet_needs: int
    exit_year: int | None
    deep_poverty_area: str
    seat_lon: float | None = Field(description="county seat longitude, WGS84 degrees")
    seat_lat: float | None = Field(description="county seat latitude, WGS84 degrees")


class CoverageOut(BaseModel):
    run_id: int
    province: str | None
    counties: list[CountyCoverage]


class UnitOut(BaseModel):
    adcode: str
    name: str
    province_adcode: str
    province: str
    prefecture: str
    poor: bool
    exit_year: int | None
    deep_poverty_area: str


class ProvinceOut(BaseModel):
    adcode: str
    name: str
    region: str


class MeOut(BaseModel):
    name: str
    role: Literal["national", "planner", "analyst"]
    province: str | None


class DatasetOut(BaseModel):
    id: int
    kind: str = Field(description="helpers | needs")
    filename: str
    rows: int
    columns: list[str]
    sha256: str
    created_at: dt.datetime


class AuditEntry(BaseModel):
    id: int
    user: str
    action: str
    target: str
    filter: dict[str, Any]
    created_at: dt.datetime


class ErrorOut(BaseModel):
    detail: str


class InputErrorDetail(BaseModel):
    message: str
    file: str | None
    row: int | None
    column: str | None


class InputErrorOut(BaseModel):
    detail: InputErrorDetail
