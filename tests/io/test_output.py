"""All-or-nothing output folders and Excel-safe CSV."""

from __future__ import annotations

import pandas as pd
import pytest

from geomatch.io.output import atomic_output_dir, write_csv, write_json


def test_atomic_dir_publishes_on_success(tmp_path):
    out = tmp_path / "run"
    with atomic_output_dir(out) as stage:
        (stage / "a.txt").write_text("1")
        assert not out.exists()
    assert (out / "a.txt").read_text() == "1"
    assert not list(tmp_path.glob(".run.partial-*"))


def test_atomic_dir_leaves_nothing_on_failure(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(RuntimeError), atomic_output_dir(out) as stage:
        (stage / "a.txt").write_text("1")
        raise RuntimeError("solver died")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_atomic_dir_keeps_existing_files_on_failure(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "pairings.csv").write_text("old")
    with pytest.raises(ValueError), atomic_output_dir(out) as stage:
        (stage / "pairings.csv").write_text("new, half written")
        raise ValueError
    assert (out / "pairings.csv").read_text() == "old"


def test_excel_csv_bom_injection_and_masking(tmp_path):
    df = pd.DataFrame(
        {
            "name": ['=HYPERLINK("x")', "+1", "-2+3", "@SUM(A1)", "平塘县", "\tcmd"],
            "note": ["身份证 620102199001011234", "电话 13912345678", "", "", "", ""],
            "cost": [-5, 1, 2, 3, 4, 5],
        }
    )
    p = write_csv(df, tmp_path / "x.csv")
    raw = p.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(p, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert back["name"].tolist()[:4] == ['\'=HYPERLINK("x")', "'+1", "'-2+3", "'@SUM(A1)"]
    assert back.loc[4, "name"] == "平塘县"
    assert back.loc[0, "note"] == "身份证 6201**********1234"
    assert back.loc[1, "note"] == "电话 139****5678"
    assert back["cost"].tolist()[0] == "-5"  # numbers are not text cells


def test_write_json_keeps_chinese(tmp_path):
    p = write_json({"县": "平塘县", "n": 1}, tmp_path / "s.json")
    assert "平塘县" in p.read_text(encoding="utf-8")


def test_outputs_are_readable_by_the_team(tmp_path):
    import os

    mask = os.umask(0o022)
    try:
        out = tmp_path / "run"
        with atomic_output_dir(out) as stage:
            write_csv(pd.DataFrame({"a": [1]}), stage / "a.csv")
        assert out.stat().st_mode & 0o777 == 0o755
        assert (out / "a.csv").stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(mask)
