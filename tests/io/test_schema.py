"""Validation of helpers / needs / arcs: each broken case names file, row and column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geomatch.errors import InputError
from geomatch.io.schema import read_arcs, read_helpers, read_needs


def _csv(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


GOOD_HELPERS = (
    "helper_id,capacity,name,lon,lat,specialty,level,province_adcode\n"
    "H1,2,杭州农科专家,120.155,30.274,crop,senior,330000\n"
    "H2,0,宁波卫生专家,121.55,29.87,health,junior,330000\n"
)


def test_good_helpers_are_typed(tmp_path):
    df = read_helpers(_csv(tmp_path, "helpers.csv", GOOD_HELPERS))
    assert df["capacity"].dtype == "Int64"
    assert df["lon"].dtype == "float64"
    assert df.loc[0, "name"] == "杭州农科专家"
    assert df.loc[1, "capacity"] == 0


def test_gbk_helpers(tmp_path):
    df = read_helpers(_csv(tmp_path, "helpers.csv", GOOD_HELPERS, "gbk"))
    assert df.loc[1, "name"] == "宁波卫生专家"


def test_unknown_columns_are_kept(tmp_path):
    text = GOOD_HELPERS.replace("province_adcode\n", "province_adcode,备注\n", 1)
    text = text.replace("330000\n", "330000,x\n")
    df = read_helpers(_csv(tmp_path, "helpers.csv", text))
    assert df["备注"].tolist() == ["x", "x"]


@pytest.mark.parametrize(
    ("text", "row", "column", "match"),
    [
        ("helper_id,name\nH1,a\n", 1, "capacity", "required column missing"),
        ("helper_id,capacity\nH1,2\nH1,3\n", 3, "helper_id", "duplicate id 'H1'.*row 2"),
        ("helper_id,capacity\nH1,2\n,3\n", 3, "helper_id", "empty cell"),
        ("helper_id,capacity\nH1,two\n", 2, "capacity", "not a whole number"),
        ("helper_id,capacity\nH1,2.5\n", 2, "capacity", "not a whole number"),
        ("helper_id,capacity\nH1,-1\n", 2, "capacity", "below 0"),
        ("helper_id,capacity,lon,lat\nH1,1,30.2,120.1\n", 2, "lon", "outside China"),
        ("helper_id,capacity,lon,lat\nH1,1,120.1,\n", 2, "lat", "together"),
        ("helper_id,capacity,level\nH1,1,professor\n", 2, "level", "unknown value"),
        (
            "helper_id,capacity,province_adcode\nH1,1,33\n",
            2,
            "province_adcode",
            "not an administrative code",
        ),
    ],
)
def test_broken_helpers(tmp_path, text, row, column, match):
    p = _csv(tmp_path, "helpers.csv", text)
    with pytest.raises(InputError, match=match) as err:
        read_helpers(p)
    assert err.value.row == row
    assert err.value.column == column
    assert err.value.file == str(p)
    assert str(p) in str(err.value) and f"row {row}" in str(err.value)


def test_excel_float_codes_are_accepted(tmp_path):
    df = read_needs(_csv(tmp_path, "needs.csv", "need_id,adcode\nN1,522727.0\n"))
    assert df.loc[0, "adcode"] == "522727"


def test_needs_priority_choices(tmp_path):
    with pytest.raises(InputError, match="unknown value 'urgent'") as err:
        read_needs(_csv(tmp_path, "needs.csv", "need_id,priority\nN1,remaining\nN2,urgent\n"))
    assert (err.value.row, err.value.column) == (3, "priority")


def test_arcs_ids_checked_against_helpers_and_needs(tmp_path):
    p = _csv(tmp_path, "arcs.csv", "helper_id,need_id,cost\nH1,N1,10\nH9,N1,3\n")
    with pytest.raises(InputError, match="unknown id 'H9'") as err:
        read_arcs(p, helper_ids=["H1"], need_ids=["N1"])
    assert (err.value.row, err.value.column) == (3, "helper_id")


def test_arcs_duplicate_pair_and_default_load(tmp_path):
    ok = read_arcs(_csv(tmp_path, "arcs.csv", "helper_id,need_id,cost\nH1,N1,10\n"))
    assert ok.loc[0, "load"] == 1
    p = _csv(tmp_path, "arcs2.csv", "helper_id,need_id,cost,load\nH1,N1,10,1\nH1,N1,5,1\n")
    with pytest.raises(InputError, match="listed twice") as err:
        read_arcs(p)
    assert err.value.row == 3


def test_arcs_load_at_least_one(tmp_path):
    p = _csv(tmp_path, "arcs.csv", "helper_id,need_id,cost,load\nH1,N1,10,0\n")
    with pytest.raises(InputError, match="below 1") as err:
        read_arcs(p)
    assert err.value.column == "load"


def test_validation_does_not_change_the_input(tmp_path):
    from geomatch.io.schema import HELPERS_SCHEMA, validate_table
    from geomatch.io.tables import read_table

    raw = read_table(_csv(tmp_path, "helpers.csv", GOOD_HELPERS))
    before = raw.copy()
    validate_table(raw, HELPERS_SCHEMA)
    pd.testing.assert_frame_equal(raw, before)
