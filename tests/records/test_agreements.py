"""Agreements (state machine, audit, access, proposal, locks), progress reports, ledger."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from geomatch.errors import GeomatchError, InputError
from geomatch.records.agreements import (
    TRANSITIONS,
    IllegalTransitionError,
    access,
    agreement_history,
    list_agreements,
    locks_on,
    propose_for_run,
    transition,
)
from geomatch.records.ledger import PERSONS_PER_HOUSEHOLD, import_targets, ledger, self_check
from geomatch.records.orm import Agreement
from geomatch.records.reports import (
    DuplicateReportError,
    ReportFigures,
    late_quarters,
    quarters_between,
    submit_report,
)
from geomatch.service.auth import Principal
from geomatch.service.models import ResultRow, Run, User

NATIONAL = Principal(1, "nat", "national", None)
ANALYST = Principal(2, "ana", "analyst", None)
GANSU = Principal(3, "gs", "planner", "620000")  # need side
ZHEJIANG = Principal(4, "zj", "planner", "330000")  # helper side
GUIZHOU = Principal(5, "gz", "planner", "520000")  # neither


def _run(session: Session, pairs: list[tuple[str, str, str, str]]) -> Run:
    """A finished run whose pairings are (need_id, helper_id, need kind, adcode)."""
    run = Run(scenario="t", status="done", progress=1.0)
    session.add(run)
    session.flush()
    for i, (nid, hid, kind, code) in enumerate(pairs):
        session.add(
            ResultRow(
                run_id=run.id,
                table_name="pairings",
                row_no=i,
                province_adcode=code[:2] + "0000",
                helper_province_adcode="330000",
                data={"need_id": nid, "helper_id": hid, "kind": kind, "adcode": code},
            )
        )
    session.flush()
    return run


def _users(session: Session) -> None:
    for u in (NATIONAL, ANALYST, GANSU, ZHEJIANG, GUIZHOU):
        session.add(
            User(
                id=u.id,
                name=u.name,
                role=u.role,
                province_adcode=u.province,
                token_hash=f"{u.id:064d}",
            )
        )


PAIRS = [
    ("N1", "H1", "station", "620102"),
    ("N2", "H2", "training", "620103"),
    ("N3", "S1", "township_industry", "520101"),
]


@pytest.fixture()
def proposed(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    with factory() as session:
        _users(session)
        run = _run(session, PAIRS)
        n = propose_for_run(session, run, start=dt.date(2018, 1, 1), years=2)
        assert n == 3
        assert propose_for_run(session, run, start=dt.date(2018, 1, 1)) == 0  # idempotent
        session.commit()
    return factory


def test_only_the_state_machines_moves_are_allowed(proposed: sessionmaker[Session]) -> None:
    states = list(TRANSITIONS)
    expected = {
        ("proposed", "signed"),
        ("signed", "filed"),
        ("filed", "active"),
        ("active", "completed"),
        *((s, "terminated") for s in ("proposed", "signed", "filed", "active")),
    }
    for a, b in itertools.product(states, states):
        with proposed() as session:
            ag = session.get(Agreement, 1)
            assert ag is not None
            ag.status = a
            if (a, b) in expected:
                transition(session, ag, b, GANSU)
                assert ag.status == b
            else:
                with pytest.raises(IllegalTransitionError) as err:
                    transition(session, ag, b, GANSU)
                assert err.value.allowed == TRANSITIONS[a]
            session.rollback()


def test_each_move_is_audited_and_access_follows_the_sides(proposed: sessionmaker[Session]) -> None:
    with proposed() as session:
        ag = session.get(Agreement, 1)
        assert ag is not None and ag.need_province == "620000"
        for to in ("signed", "filed", "active"):
            transition(session, ag, to, GANSU)
        hist = agreement_history(session, 1)
        assert [(e.from_status, e.to_status, e.user_name) for e in hist] == [
            ("", "proposed", "system"),
            ("proposed", "signed", "gs"),
            ("signed", "filed", "gs"),
            ("filed", "active", "gs"),
        ]
        ag.helper_province = "330000"
        assert [access(u, ag) for u in (NATIONAL, ANALYST, GANSU, ZHEJIANG, GUIZHOU)] == [
            "write",
            "read",
            "write",
            "read",
            None,
        ]
        assert {a.need_id for a in list_agreements(session, GUIZHOU)} == {"N3"}
        with pytest.raises((PermissionError, GeomatchError)):  # the scope refusal
            list_agreements(session, GUIZHOU, province="620000")


def test_locks_are_the_binding_agreements_of_the_day(proposed: sessionmaker[Session]) -> None:
    with proposed() as session:
        a1, a2, a3 = (session.get(Agreement, i) for i in (1, 2, 3))
        assert a1 and a2 and a3
        transition(session, a1, "signed", NATIONAL)
        for to in ("signed", "terminated"):
            transition(session, a2, to, NATIONAL)
        locks = locks_on(session, dt.date(2019, 6, 1))
        assert locks[["need_id", "helper_id"]].values.tolist() == [["N1", "H1"]]
        assert locks_on(session, dt.date(2020, 1, 1)).empty  # ended 2019-12-31


def test_one_report_per_quarter_and_late_quarters(proposed: sessionmaker[Session]) -> None:
    assert quarters_between(dt.date(2018, 2, 3), dt.date(2018, 12, 31)) == [
        "2018Q1",
        "2018Q2",
        "2018Q3",
        "2018Q4",
    ]
    with proposed() as session:
        ag = session.get(Agreement, 1)
        assert ag is not None
        for to in ("signed", "filed", "active"):
            transition(session, ag, to, GANSU)
        submit_report(session, ag, "2018Q1", ReportFigures(visits=2, households_helped=5), GANSU)
        with pytest.raises(DuplicateReportError):
            submit_report(session, ag, "2018Q1", ReportFigures(), GANSU)
        assert late_quarters(session, ag, dt.date(2018, 10, 2)) == ["2018Q2", "2018Q3"]


def test_ledger_against_a_hand_count(proposed: sessionmaker[Session], tmp_path: Path) -> None:
    with proposed() as session:
        rows = session.execute(sa.select(Agreement).order_by(Agreement.id)).scalars().all()
        kinds = {"H1": "expert", "H2": "expert", "S1": "society"}
        for ag in rows:
            ag.helper_kind, ag.helper_province = kinds[ag.helper_id], "330000"
            for to in ("signed", "filed", "active"):
                transition(session, ag, to, NATIONAL)
        submit_report(
            session,
            rows[0],
            "2018Q2",
            ReportFigures(associations_supported=1, households_helped=10),
            GANSU,
        )
        submit_report(
            session, rows[2], "2018Q3", ReportFigures(visits=3, households_helped=4), GUIZHOU
        )
        table = ledger(session, 2018).set_index(["unit_type", "unit"])
        # Zhejiang is the helper side of all three: 2 experts + 3 society visits
        zj = table.loc[("province", "330000")]
        assert (zj.associations_achieved, zj.experts_mobilised, zj.people_lifted) == (
            1,
            2 + 3,
            14 * PERSONS_PER_HOUSEHOLD,
        )
        # synthetic targets: station 1 + training 0 + township 1 associations
        assert zj.associations_target == 2 and "synthetic" in zj.target_source
        gz = table.loc[("province", "520000")]
        assert (gz.experts_target, gz.experts_mobilised) == (3, 3)  # society visits_per_year 3
        assert table.loc[("society", "S1")].people_lifted == 4 * PERSONS_PER_HOUSEHOLD
        path = tmp_path / "targets.csv"
        path.write_text(
            "单位类型,单位代码,年度,帮扶农技协目标,动员专家目标,带动脱贫人数目标\n"
            "province,620000,2018,5,2,30\n",
            encoding="utf-8",
        )
        assert import_targets(session, path) == 1
        gs = ledger(session, 2018, "620000")
        assert gs.iloc[0].associations_target == 5 and "file" in gs.iloc[0].target_source
        short = self_check(gs)
        assert short.iloc[0][["associations_short", "experts_short", "people_short"]].tolist() == [
            4,
            0,
            0,
        ]


def test_run_hooks_register_as_helpers_and_agreement_locks(
    factory: sessionmaker[Session], tmp_path: Path, key: object
) -> None:
    from geomatch.records.register import import_register
    from geomatch.records.register_file import read_register_file
    from geomatch.records.runs import agreement_locks, register_dataset
    from geomatch.service.models import StoredDataset
    from tests.records.conftest import expert, register_csv

    mini = Path(__file__).resolve().parents[1] / "fixtures" / "mini.toml"
    with factory() as session:
        _users(session)
        with pytest.raises(InputError):
            register_dataset(session, tmp_path, None)
        path = register_csv(tmp_path / "r.csv", [expert("ZJ-1", "王一", 1, "13800000001")])
        import_register(session, read_register_file(path), "330000", key)  # type: ignore[arg-type]
        first = register_dataset(session, tmp_path, None)
        assert register_dataset(session, tmp_path, None) == first  # same content, same table
        ds = session.get(StoredDataset, first)
        assert ds is not None and ds.kind == "helpers" and Path(ds.path).is_file()
        from geomatch.io.schema import read_helpers

        assert read_helpers(ds.path)["helper_id"].tolist() == ["ZJ-1"]
        run = _run(
            session,
            [
                ("ST-522629-crop", "E00046", "station", "522629"),
                ("NOT-IN-MINI", "E00046", "station", "522629"),
            ],
        )
        propose_for_run(session, run, start=dt.date(2019, 1, 1), years=1)
        for ag in session.execute(sa.select(Agreement)).scalars():
            transition(session, ag, "signed", NATIONAL)
        session.commit()
    locks = agreement_locks(factory, mini, dt.date(2019, 5, 1))
    assert locks is not None and locks.values.tolist() == [["ST-522629-crop", "E00046"]]
    assert agreement_locks(factory, mini, dt.date(2020, 5, 1)) is None
