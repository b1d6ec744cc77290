"""The register: file checks (all errors, nothing stored), hashing, duplicates, export."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from geomatch.records.identity import RegisterKey, id_number_problem
from geomatch.records.orm import RegisterEntry
from geomatch.records.register import (
    export_register,
    find_duplicates,
    import_register,
    register_frame,
    register_helpers,
)
from geomatch.records.register_file import (
    RegisterFileError,
    read_register_file,
    write_register_template,
)
from tests.records.conftest import expert, id_number, register_csv


def _import(factory: sessionmaker[Session], key: RegisterKey, path: Path, province: str) -> object:
    with factory() as session:
        result = import_register(session, read_register_file(path), province, key)
        session.commit()
        return result


def _count(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return int(
            session.execute(sa.select(sa.func.count()).select_from(RegisterEntry)).scalar_one()
        )


def test_template_reads_back_as_a_valid_register(tmp_path: Path) -> None:
    import openpyxl

    path = write_register_template(tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:2] == ["名册", "取值说明"]
    header = [c.value for c in book["名册"][1]]
    assert header[:3] == ["专家编号", "姓名", "类型"]
    codes = {r[1] for r in book["取值说明"].iter_rows(min_row=2, values_only=True)}
    assert {"crop", "senior", "society"} <= codes
    table = read_register_file(path)
    assert table.frame.loc[0, "specialty"] == "crop" and table.frame.loc[0, "level"] == "senior"


def test_every_error_is_listed_with_row_and_column(tmp_path: Path) -> None:
    rows = [
        expert("ZJ-1", "王一", 1, "13800000001"),
        (
            "ZJ-1",
            "王二",
            "专家",
            "火箭",
            "正高级",
            "x",
            "330000",
            "浙大",
            120.1,
            "",
            id_number(2),
            "12345",
        ),
        (
            "ZJ-3",
            "",
            "专家",
            "种植",
            "正高级",
            2,
            "330000",
            "浙大",
            200,
            30,
            id_number(1),
            "13800000003",
        ),
    ]
    with pytest.raises(RegisterFileError) as err:
        read_register_file(register_csv(tmp_path / "bad.csv", rows))
    found = {(e.row, e.column.split(" ")[0] if e.column else None) for e in err.value.errors}
    assert found == {
        (3, "专家编号"),
        (3, "专业领域"),
        (3, "年度可承接需求数"),
        (3, "纬度"),
        (3, "手机号"),
        (4, "姓名"),
        (4, "经度"),
        (4, "身份证号"),
    }
    assert all(e.file and e.file.endswith("bad.csv") for e in err.value.errors)
    assert err.value.exit_code == 2


def test_a_file_with_errors_stores_nothing(
    tmp_path: Path, factory: sessionmaker[Session], key: RegisterKey
) -> None:
    good = register_csv(tmp_path / "good.csv", [expert("ZJ-1", "王一", 1, "13800000001")])
    _import(factory, key, good, "330000")
    bad = register_csv(
        tmp_path / "bad.csv",
        [expert("ZJ-2", "王二", 2, "13800000002"), expert("ZJ-3", "王三", 3, "999")],
    )
    with pytest.raises(RegisterFileError):
        _import(factory, key, bad, "330000")
    with factory() as session:
        assert register_frame(session)["helper_id"].tolist() == ["ZJ-1"]


def test_numbers_are_stored_only_as_hmac_and_masked(
    tmp_path: Path, factory: sessionmaker[Session], key: RegisterKey
) -> None:
    idn = id_number(7)
    path = register_csv(
        tmp_path / "r.csv", [expert("ZJ-7", "赵七", 7, "13912345678")], chinese=False
    )
    _import(factory, key, path, "330000")
    with factory() as session:
        entry = session.execute(sa.select(RegisterEntry)).scalar_one()
        stored = " ".join(str(getattr(entry, c.key)) for c in RegisterEntry.__table__.columns)
    assert idn not in stored and "13912345678" not in stored
    assert (
        entry.id_hash
        == hmac.new(b"test-secret", f"id\x1f{idn}".encode(), hashlib.sha256).hexdigest()
    )
    assert entry.id_masked.endswith(idn[-4:]) and set(entry.id_masked[:-4]) == {"*"}
    assert entry.phone_masked == "*******5678"


def test_duplicates_across_provinces_are_reported_not_merged(
    tmp_path: Path, factory: sessionmaker[Session], key: RegisterKey
) -> None:
    east = [
        expert("ZJ-1", "王一", 1, "13800000001"),
        expert("ZJ-2", "李二", 2, "13800000002"),
        expert("ZJ-3", "陈三", 3, "13800000003", institution="浙江大学"),
        expert("ZJ-4", "周四", 4, "13800000004"),
    ]
    _import(factory, key, register_csv(tmp_path / "zj.csv", east), "330000")
    west = [
        expert(
            "GS-1", "王一", 1, "13900000001", province="620000", institution="兰州大学"
        ),  # same ID
        expert(
            "GS-2", "李二", 12, "13800000002", province="620000", institution="兰州大学"
        ),  # name+phone
        expert("GS-3", "陈三", 13, "13900000003", province="620000"),  # name+institution
        expert(
            "GS-4", "周四", 14, "13900000004", province="620000", institution="兰州大学"
        ),  # other person
    ]
    result = _import(factory, key, register_csv(tmp_path / "gs.csv", west), "620000")
    got = {(d.helper_id, d.other_helper_id, d.rule) for d in result.duplicates}  # type: ignore[attr-defined]
    assert got == {
        ("GS-1", "ZJ-1", "id_number"),
        ("GS-2", "ZJ-2", "name_phone"),
        ("GS-3", "ZJ-3", "name_institution"),
    }
    assert _count(factory) == 8
    with factory() as session:
        assert {(d.helper_id, d.other_helper_id) for d in find_duplicates(session, "330000")} == {
            ("ZJ-1", "GS-1"),
            ("ZJ-2", "GS-2"),
            ("ZJ-3", "GS-3"),
        }


def test_reimport_replaces_the_province_and_ids_are_national(
    tmp_path: Path, factory: sessionmaker[Session], key: RegisterKey
) -> None:
    _import(
        factory,
        key,
        register_csv(tmp_path / "a.csv", [expert("ZJ-1", "王一", 1, "13800000001")]),
        "330000",
    )
    _import(
        factory,
        key,
        register_csv(tmp_path / "b.csv", [expert("ZJ-2", "王二", 2, "13800000002")]),
        "330000",
    )
    with factory() as session:
        assert register_frame(session, "330000")["helper_id"].tolist() == ["ZJ-2"]
    clash = register_csv(
        tmp_path / "c.csv", [expert("ZJ-2", "别人", 5, "13800000005", province="620000")]
    )
    with pytest.raises(RegisterFileError, match="already filed by province 330000"):
        _import(factory, key, clash, "620000")


def test_export_is_masked_and_scoped(
    tmp_path: Path, factory: sessionmaker[Session], key: RegisterKey
) -> None:
    _import(
        factory,
        key,
        register_csv(tmp_path / "a.csv", [expert("ZJ-1", "王一", 1, "13800000001")]),
        "330000",
    )
    _import(
        factory,
        key,
        register_csv(
            tmp_path / "b.csv", [expert("GS-1", "张一", 2, "13800000002", province="620000")]
        ),
        "620000",
    )
    with factory() as session:
        out = export_register(session, tmp_path / "out.csv", "620000")
        helpers = register_helpers(session)
    text = out.read_text(encoding="utf-8-sig")
    assert (
        "GS-1" in text
        and "ZJ-1" not in text
        and id_number(2) not in text
        and "13800000002" not in text
    )
    assert pd.read_csv(out, dtype=str, encoding="utf-8-sig").columns[0] == "专家编号"
    assert sorted(helpers["helper_id"]) == ["GS-1", "ZJ-1"] and helpers["capacity"].sum() == 6


def test_id_check_digit_matches_an_independent_computation() -> None:
    for serial in range(50):
        assert id_number_problem(id_number(serial)) is None
        bad = id_number(serial)[:-1] + ("0" if id_number(serial)[-1] != "0" else "1")
        assert id_number_problem(bad) is not None


def test_migration_creates_the_tables_the_orm_declares(factory: sessionmaker[Session]) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from geomatch.service.models import Base

    ours = {
        "register_imports",
        "register_entries",
        "agreements",
        "agreement_events",
        "progress_reports",
        "ledger_targets",
    }
    engine = factory.kw["bind"]
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    mine = [d for d in diffs if any(f"'{t}'" in repr(d) for t in ours)]
    assert mine == []


def test_duplicates_match_a_brute_force_over_random_registers(
    tmp_path: Path, factory: sessionmaker[Session], key: RegisterKey
) -> None:
    import itertools
    import random

    rng = random.Random(20161207)
    names, phones = ["王一", "李二", "陈三", "周四", "吴五"], [f"1380000{i:04d}" for i in range(6)]
    insts = ["浙江大学", "兰州大学", "贵州大学"]
    people = []
    for prov, code in (("330000", "ZJ"), ("620000", "GS"), ("520000", "GZ")):
        serials = rng.sample(range(1, 25), 8)
        rows = [
            expert(
                f"{code}-{i}",
                rng.choice(names),
                s,
                rng.choice(phones),
                province=prov,
                institution=rng.choice(insts),
            )
            for i, s in enumerate(serials)
        ]
        # IDs are unique within a file (sampled serials); names, phones, institutions repeat
        _import(factory, key, register_csv(tmp_path / f"{code}.csv", rows), prov)
        people += [(prov, r[0], r[1], r[7], r[10], r[11]) for r in rows]
    expected = set()
    for a, b in itertools.permutations(people, 2):
        if a[0] == b[0]:
            continue
        if a[4] == b[4] or (a[2], a[5]) == (b[2], b[5]) or (a[2], a[3]) == (b[2], b[3]):
            expected.add((a[1], b[1]))
    with factory() as session:
        found = {(d.helper_id, d.other_helper_id) for d in find_duplicates(session)}
    assert found == expected and expected
