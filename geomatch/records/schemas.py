"""API schemas of the records (pydantic), apart from the tables of :mod:`geomatch.records.orm`."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AgreementDetailOut",
    "AgreementEventOut",
    "AgreementOut",
    "DuplicateOut",
    "FileErrorOut",
    "LedgerRowOut",
    "ProposeIn",
    "ProposeOut",
    "RegisterEntryOut",
    "RegisterErrorsOut",
    "RegisterImportOut",
    "ReportIn",
    "ReportOut",
    "SelfCheckRowOut",
    "StatusIn",
]

Status = Literal["proposed", "signed", "filed", "active", "completed", "terminated"]


class RegisterEntryOut(BaseModel):
    """One register entry, masked."""

    model_config = ConfigDict(from_attributes=True)

    helper_id: str
    name: str
    kind: str
    specialty: str
    level: str
    capacity: int
    languages: str
    province_adcode: str
    institution: str
    lon: float | None
    lat: float | None
    id_masked: str
    phone_masked: str
    filed_by_province: str
    filed_at: dt.datetime


class DuplicateOut(BaseModel):
    """Two entries of different provinces that look like one person (not merged)."""

    model_config = ConfigDict(from_attributes=True)

    rule: Literal["id_number", "name_phone", "name_institution"]
    rule_zh: str
    helper_id: str
    province: str
    name: str
    other_helper_id: str
    other_province: str


class RegisterImportOut(BaseModel):
    """What an accepted register file did."""

    model_config = ConfigDict(from_attributes=True)

    import_id: int
    province: str
    rows: int
    replaced: int
    duplicates: list[DuplicateOut]


class FileErrorOut(BaseModel):
    """One error of a file: where and what."""

    message: str
    file: str | None
    row: int | None
    column: str | None


class RegisterErrorsDetail(BaseModel):
    message: str
    file: str | None
    row: int | None
    column: str | None
    errors: list[FileErrorOut]


class RegisterErrorsOut(BaseModel):
    """422: the file has errors (all listed); nothing was stored."""

    detail: RegisterErrorsDetail


class ProposeIn(BaseModel):
    """``{"run": ID}``: the finished run whose pairings become proposed agreements."""

    model_config = ConfigDict(extra="forbid")

    run: int | str = Field(description="run id (number) or public run id")
    years: int = Field(3, ge=1, le=10, description="length of the agreements, years")


class ProposeOut(BaseModel):
    created: int


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status


class AgreementOut(BaseModel):
    """A 帮扶协议."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    run_id: int | None
    helper_id: str
    helper_name: str
    helper_kind: str
    helper_province: str
    need_id: str
    need_adcode: str
    need_name: str
    need_province: str
    start_date: dt.date
    end_date: dt.date
    associations_target: int
    people_trained_target: int
    households_target: int
    tasks: str
    visits_per_year: int
    remote_guidance: bool
    status: Status
    created_at: dt.datetime
    updated_at: dt.datetime


class AgreementEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: str
    to_status: str
    user_name: str
    created_at: dt.datetime


class ReportIn(BaseModel):
    """A quarter's progress."""

    model_config = ConfigDict(extra="forbid")

    period: str = Field(pattern=r"^20\d\dQ[1-4]$", description="quarter, e.g. 2020Q2")
    service_days: float = Field(0.0, ge=0, le=366 * 1000, allow_inf_nan=False)
    visits: int = Field(0, ge=0, le=10**6)
    people_trained: int = Field(0, ge=0, le=10**8)
    associations_supported: int = Field(0, ge=0, le=10**6)
    households_helped: int = Field(0, ge=0, le=10**8)


class ReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    agreement_id: int
    period: str
    service_days: float
    visits: int
    people_trained: int
    associations_supported: int
    households_helped: int
    user_name: str
    created_at: dt.datetime


class AgreementDetailOut(AgreementOut):
    """An agreement with its audit trail, reports and late quarters."""

    history: list[AgreementEventOut]
    reports: list[ReportOut]
    late_quarters: list[str]


class LedgerRowOut(BaseModel):
    unit_type: Literal["province", "society"]
    unit: str
    unit_name: str
    year: int
    associations_target: int
    associations_achieved: int
    experts_target: int
    experts_mobilised: int
    people_target: int
    people_lifted: int
    target_source: str


class SelfCheckRowOut(LedgerRowOut):
    associations_short: int
    experts_short: int
    people_short: int
