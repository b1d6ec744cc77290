"""帮扶协议: agreements between a helper and a need, their status machine and audit trail.

An agreement is one pair of a finished run's pairing, with its parties, dates (时间),
targets (目标), tasks (任务) and mechanism (机制: on-site visits per year, remote
guidance). Its status moves along::

    proposed → signed → filed → active → completed
        ╰──────────┴────────┴───────┴──→ terminated   (from any open state)

Every move is stored as an :class:`~geomatch.records.orm.AgreementEvent` with the acting
user and the time. Who may move what (:func:`access`):

* the national office — everything;
* the planner of the **need's** province — moves its agreements;
* the planner of the **helper's** province — reads them (its outgoing commitments);
* analysts — read everything; any other planner — nothing.

Agreements ``signed``, ``filed`` or ``active`` whose period covers a run's date are the
run's locks (:func:`locks_on`): the pairing keeps them.

Default contents of a proposed agreement (:data:`KIND_DEFAULTS`) follow the need's kind;
they are drafts for the provinces to edit before signing, not programme figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Final, Literal

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geomatch.errors import InputError
from geomatch.records.orm import Agreement, AgreementEvent
from geomatch.service.auth import Principal, province_of
from geomatch.service.models import Helper, Need, ResultRow, Run, utcnow

__all__ = [
    "LOCKING_STATUSES",
    "OPEN_STATUSES",
    "STATUS_ZH",
    "TRANSITIONS",
    "AgreementDraft",
    "IllegalTransitionError",
    "access",
    "agreement_dict",
    "agreement_history",
    "draft_agreements",
    "list_agreements",
    "locks_on",
    "propose_for_run",
    "scope_clause",
    "store_drafts",
    "transition",
]

#: Allowed next states of each state.
TRANSITIONS: Final[Mapping[str, tuple[str, ...]]] = {
    "proposed": ("signed", "terminated"),
    "signed": ("filed", "terminated"),
    "filed": ("active", "terminated"),
    "active": ("completed", "terminated"),
    "completed": (),
    "terminated": (),
}
OPEN_STATUSES: Final = ("proposed", "signed", "filed", "active")
#: States in which an agreement binds the pairing.
LOCKING_STATUSES: Final = ("signed", "filed", "active")
STATUS_ZH: Final[Mapping[str, str]] = {
    "proposed": "拟定",
    "signed": "已签订",
    "filed": "已备案",
    "active": "执行中",
    "completed": "已完成",
    "terminated": "已终止",
}


@dataclass(frozen=True)
class KindDefaults:
    """Draft targets, tasks and mechanism of an agreement for one need kind."""

    associations: int
    people_trained: int
    households: int
    visits_per_year: int
    tasks: str


#: Draft contents by need kind (editable by the provinces; not programme figures).
KIND_DEFAULTS: Final[Mapping[str, KindDefaults]] = {
    "station": KindDefaults(
        1, 60, 30, 4, "驻县农技专家服务站：技术指导、示范基地建设、培养本土技术员"
    ),
    "township_industry": KindDefaults(
        1, 120, 60, 3, "全国学会对接乡镇农技协联合会：产业规划、技术标准、市场对接"
    ),
    "village_product": KindDefaults(1, 40, 30, 2, "一村一品农技协：品种与技术引进、合作社培育"),
    "training": KindDefaults(0, 100, 20, 2, "实用技术培训：面向建档立卡贫困户的技能培训"),
}
_FALLBACK = KindDefaults(0, 30, 10, 2, "科技帮扶：技术指导与培训")


class IllegalTransitionError(InputError):
    """A status change the state machine does not allow (HTTP 409; exit 2)."""

    def __init__(self, current: str, wanted: str) -> None:
        self.current = current
        self.wanted = wanted
        self.allowed = TRANSITIONS.get(current, ())
        allowed = ", ".join(self.allowed) or "none (the agreement is closed)"
        super().__init__(
            f"an agreement that is {current!r} cannot become {wanted!r}; allowed: {allowed}",
            column="status",
        )


Access = Literal["write", "read"] | None


def access(user: Principal, agreement: Agreement) -> Access:
    """What a user may do with an agreement: ``write``, ``read`` or nothing (``None``)."""
    if user.role == "national":
        return "write"
    if user.role == "analyst":
        return "read"
    if user.province == agreement.need_province:
        return "write"
    if user.province is not None and user.province == agreement.helper_province:
        return "read"
    return None


def transition(
    session: Session, agreement: Agreement, to_status: str, user: Principal
) -> AgreementEvent:
    """Move an agreement to ``to_status`` and record who did it (the caller commits).

    Raises
    ------
    IllegalTransitionError
        ``to_status`` is not an allowed next state (the allowed ones are named).
    """
    if to_status not in TRANSITIONS.get(agreement.status, ()):
        raise IllegalTransitionError(agreement.status, to_status)
    event = AgreementEvent(
        agreement_id=agreement.id,
        from_status=agreement.status,
        to_status=to_status,
        user_id=user.id if user.id > 0 else None,
        user_name=user.name,
        created_at=utcnow(),
    )
    agreement.status = to_status
    agreement.updated_at = event.created_at
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class AgreementDraft:
    """A proposed agreement before it is stored."""

    helper_id: str
    need_id: str
    need_adcode: str
    need_province: str
    helper_province: str
    helper_kind: str
    helper_name: str
    need_name: str
    need_kind: str

    def columns(self) -> dict[str, str]:
        """The :class:`Agreement` columns the draft fills (its need kind only picks defaults)."""
        fields = asdict(self)
        del fields["need_kind"]
        return fields


def draft_agreements(
    pairings: pd.DataFrame,
    *,
    helpers: Mapping[str, tuple[str, str, str]],
    need_names: Mapping[str, str],
) -> list[AgreementDraft]:
    """One draft per row of a ``pairings`` table.

    Parameters
    ----------
    pairings
        ``need_id, helper_id, kind, adcode`` at least.
    helpers
        ``helper_id`` → (province code, kind, name).
    need_names
        ``need_id`` → the need's unit name.
    """
    out = []
    for r in pairings.to_dict("records"):
        hid, nid, code = str(r["helper_id"]), str(r["need_id"]), str(r.get("adcode") or "")
        prov, kind, name = helpers.get(hid, ("", "", ""))
        out.append(
            AgreementDraft(
                helper_id=hid,
                need_id=nid,
                need_adcode=code,
                need_province=province_of(code) if code else "",
                helper_province=prov,
                helper_kind=kind,
                helper_name=name,
                need_name=need_names.get(nid, ""),
                need_kind=str(r.get("kind") or ""),
            )
        )
    return out


def store_drafts(
    session: Session,
    drafts: list[AgreementDraft],
    *,
    run_id: int | None,
    start: dt.date,
    end: dt.date,
    status: str = "proposed",
) -> list[Agreement]:
    """Store drafts as agreements of a run; pairs the run already has are skipped."""
    if end < start:
        raise InputError(f"an agreement cannot end ({end}) before it starts ({start})")
    existing: set[tuple[str, str]] = set()
    if run_id is not None:
        q = sa.select(Agreement.need_id, Agreement.helper_id).where(Agreement.run_id == run_id)
        existing = {(n, h) for n, h in session.execute(q)}
    created = []
    for d in drafts:
        if (d.need_id, d.helper_id) in existing:
            continue
        existing.add((d.need_id, d.helper_id))
        k = KIND_DEFAULTS.get(d.need_kind, _FALLBACK)
        row = Agreement(
            run_id=run_id,
            **d.columns(),
            start_date=start,
            end_date=end,
            associations_target=k.associations,
            people_trained_target=k.people_trained,
            households_target=k.households,
            tasks=k.tasks,
            visits_per_year=k.visits_per_year,
            remote_guidance=True,
            status=status,
        )
        session.add(row)
        created.append(row)
    session.flush()
    return created


def _run_pairings(session: Session, run_id: int) -> pd.DataFrame:
    """The run's pairings with the helper's province the service tagged each row with."""
    rows = session.execute(
        sa.select(ResultRow.data, ResultRow.helper_province_adcode)
        .where(ResultRow.run_id == run_id, ResultRow.table_name == "pairings")
        .order_by(ResultRow.row_no)
    ).all()
    frame = pd.DataFrame.from_records(
        [data for data, _ in rows], columns=["need_id", "helper_id", "kind", "adcode"]
    )
    frame["helper_province"] = [prov or "" for _, prov in rows]
    return frame


def _lookups(
    session: Session, pairings: pd.DataFrame
) -> tuple[dict[str, tuple[str, str, str]], dict[str, str]]:
    from geomatch.records.orm import RegisterEntry

    hids = sorted(set(pairings["helper_id"].astype(str)))
    nids = sorted(set(pairings["need_id"].astype(str)))
    helpers: dict[str, tuple[str, str, str]] = (
        {
            str(h): (str(p), "", "")
            for h, p in zip(pairings["helper_id"], pairings["helper_province"], strict=True)
        }
        if "helper_province" in pairings
        else {}
    )
    for model in (Helper, RegisterEntry):  # the register wins where both name a helper
        q = sa.select(model.helper_id, model.province_adcode, model.kind, model.name)
        for hid, prov, kind, name in session.execute(q.where(model.helper_id.in_(hids))):
            helpers[hid] = (prov or helpers.get(hid, ("",))[0], kind or "", name or "")
    names = dict(
        session.execute(sa.select(Need.need_id, Need.unit_name).where(Need.need_id.in_(nids))).all()
    )
    return helpers, {k: v or "" for k, v in names.items()}


def propose_for_run(
    session: Session, run: Run, *, years: int = 3, start: dt.date | None = None
) -> int:
    """Draft one ``proposed`` agreement per pairing of a finished run (idempotent).

    The agreements start on the run's date and end on 31 December ``years − 1`` years
    later. Returns the number created (0 when the run was proposed before).

    Raises
    ------
    InputError
        The run is not finished or has no pairings table.
    """
    if run.status != "done":
        raise InputError(f"run {run.id} is {run.status}; only a finished run can be proposed")
    pairings = _run_pairings(session, run.id)
    begin = start or (run.finished_at or run.created_at).date()
    end = dt.date(begin.year + years - 1, 12, 31)
    helpers, names = _lookups(session, pairings)
    drafts = draft_agreements(pairings, helpers=helpers, need_names=names)
    created = store_drafts(session, drafts, run_id=run.id, start=begin, end=end)
    for a in created:
        session.add(
            AgreementEvent(
                agreement_id=a.id, from_status="", to_status="proposed", user_name="system"
            )
        )
    return len(created)


def scope_clause(province: str) -> sa.ColumnElement[bool]:
    """Agreements a province takes part in (as the need's or the helper's side)."""
    return sa.or_(Agreement.need_province == province, Agreement.helper_province == province)


def list_agreements(
    session: Session,
    user: Principal,
    *,
    province: str | None = None,
    status: str | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[Agreement]:
    """Agreements the user may read, optionally of one province (either side) and status.

    Raises
    ------
    AuthorizationError
        A planner asked for another province (from :meth:`Principal.scope`).
    """
    scope = user.scope(province)
    q = sa.select(Agreement).order_by(Agreement.id)
    if scope is not None:
        q = q.where(scope_clause(scope))
    if status is not None:
        q = q.where(Agreement.status == status)
    return list(session.execute(q.limit(limit).offset(offset)).scalars())


def agreement_history(session: Session, agreement_id: int) -> list[AgreementEvent]:
    """The status changes of an agreement, oldest first."""
    return list(
        session.execute(
            sa.select(AgreementEvent)
            .where(AgreementEvent.agreement_id == agreement_id)
            .order_by(AgreementEvent.id)
        ).scalars()
    )


def locks_on(session: Session, day: dt.date) -> pd.DataFrame:
    """``need_id, helper_id, agreement_id`` of the agreements binding on ``day``.

    Binding: status ``signed``, ``filed`` or ``active`` and ``start_date ≤ day ≤ end_date``.
    A need with two binding agreements keeps the newest (the older is reported in the log).
    """
    rows = session.execute(
        sa.select(Agreement.need_id, Agreement.helper_id, Agreement.id)
        .where(
            Agreement.status.in_(LOCKING_STATUSES),
            Agreement.start_date <= day,
            Agreement.end_date >= day,
        )
        .order_by(Agreement.id)
    ).all()
    frame = pd.DataFrame(rows, columns=["need_id", "helper_id", "agreement_id"])
    return frame.drop_duplicates("need_id", keep="last").reset_index(drop=True)


def agreement_dict(a: Agreement) -> dict[str, Any]:
    """An agreement as plain data (API and exports)."""
    return {c.key: getattr(a, c.key) for c in Agreement.__table__.columns}
