"""Request and response bodies of the API (pydantic; apart from the tables)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from geomatch.service.models import as_utc

__all__ = [
    "AuditEntry",
    "CountyCoverage",
    "CoverageOut",
    "DatasetOut",
    "ErrorOut",
    "HealthOut",
    "InputErrorOut",
    "MeOut",
    "ProvinceOut",
    "RunCreated",
    "RunOut",
    "RunRequest",
    "UnitOut",
    "UtcDatetime",
    "ValidationErrorOut",
    "ValidationIssue",
]

RunStatus = Literal["queued", "running", "done", "failed", "interrupted", "cancelled"]


#: A timestamp, always with its UTC offset in JSON (``2026-11-29T10:00:00Z``): timestamps
#: leave the service with their time zone.
UtcDatetime = Annotated[dt.datetime, AfterValidator(as_utc)]


class RunRequest(BaseModel):
    """Start a run of a named scenario (a TOML file in the scenario folder)."""

    model_config = ConfigDict(extra="forbid")

    scenario: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$",
        examples=["national"],
        description="name of a scenario in the scenario folder, e.g. national",
    )
    helpers: Annotated[int, Field(ge=1, le=2**31 - 1)] | Literal["register"] | None = Field(
        default=None,
        description="id of an uploaded helpers table that replaces the scenario's helpers, "
        'or "register": pair from the national expert register (名册)',
    )
    needs: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="id of an uploaded needs table that replaces the scenario's needs",
    )


RunUid = Annotated[str, Field(description="public run id (random UUID)", examples=["5f0c1c3e-…"])]


class RunCreated(BaseModel):
    id: RunUid
    status: RunStatus


class RunOut(BaseModel):
    """A run (built from the ``runs`` row with ``model_validate(from_attributes=True)``)."""

    model_config = ConfigDict(from_attributes=True, validate_by_name=True)

    id: RunUid = Field(validation_alias="uid")
    scenario: str
    status: RunStatus
    progress: float = Field(ge=0, le=1, description="fraction done, 0–1")
    message: str
    error: str = Field(description="why the run failed (no server paths)")
    created_at: UtcDatetime
    started_at: UtcDatetime | None
    finished_at: UtcDatetime | None
    tables: dict[str, int] = Field(
        default_factory=dict,
        description="rows per result table (when done); a planner's province only",
    )
    helpers: int | None = Field(
        default=None, validation_alias="helpers_dataset_id", description="uploaded helpers table"
    )
    needs: int | None = Field(
        default=None, validation_alias="needs_dataset_id", description="uploaded needs table"
    )


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
    run_id: RunUid
    province: str | None
    counties: list[CountyCoverage]


class UnitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    adcode: str
    name: str
    province_adcode: str
    province: str
    prefecture: str
    poor: bool
    exit_year: int | None
    deep_poverty_area: str


class ProvinceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    adcode: str
    name: str
    region: str


class MeOut(BaseModel):
    name: str
    role: Literal["national", "planner", "analyst"]
    province: str | None


class DatasetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, validate_by_name=True)

    id: int
    kind: str = Field(description="helpers | needs")
    filename: str
    rows: int = Field(validation_alias="n_rows")
    columns: list[str]
    sha256: str
    created_at: UtcDatetime


class AuditEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True, validate_by_name=True)

    id: int
    user: str = Field(validation_alias="user_name")
    action: str = Field(description="run, export, upload, cancel, denied, login …")
    target: str
    filter: dict[str, Any]
    created_at: UtcDatetime


class ErrorOut(BaseModel):
    detail: str


class ValidationIssue(BaseModel):
    """One problem FastAPI found in a request (path, query or body)."""

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(BaseModel):
    """422: the request's parameters or body do not match the schema."""

    detail: list[ValidationIssue]


class HealthOut(BaseModel):
    status: Literal["ok", "failing"]
    version: str
    checks: dict[str, str] = Field(description="each check: ok or what is wrong")


class InputErrorDetail(BaseModel):
    message: str
    file: str | None
    row: int | None
    column: str | None


class InputErrorOut(BaseModel):
    detail: InputErrorDetail
