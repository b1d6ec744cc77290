"""Chinese and English vocabularies and headers: accepted through documented synonyms and
aliases; unknown values are input errors (exit 2) that name file, row, column, the known
values and a "did you mean", and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geomatch.cli.main import main
from geomatch.model.categories import CATEGORY_ZH, canonical_category

HELPERS_ZH = "专家编号,容量,经度,纬度,专长\nH1,2,116.40,39.90,种植\nH2,2,121.47,31.23,医疗健康\n"
NEEDS_ZH = (
    "需求编号,经度,纬度,类别,优先级\n"
    "N1,102.71,25.04,种植,remaining\nN2,103.83,36.06,crops,ordinary\n"
    "N3,87.62,43.83,医疗,ordinary\n"
)


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_code_and_chinese_label_is_a_synonym() -> None:
    for code, zh in CATEGORY_ZH.items():
        assert canonical_category(code) == code
        assert canonical_category(zh) == code
    assert canonical_category(" ＣＲＯＰ ") == "crop"  # full width, spaces
    assert canonical_category("工科／加工") == "engineering"
    assert canonical_category("fishing") is None


def test_chinese_headers_and_categories_pair_everyone(tmp_path: Path, capsys) -> None:
    h = _write(tmp_path, "helpers.csv", HELPERS_ZH)
    n = _write(tmp_path, "needs.csv", NEEDS_ZH)
    assert main(["check", "--helpers", str(h), "--needs", str(n)]) == 0
    out = tmp_path / "run"
    assert main(["pair", "--helpers", str(h), "--needs", str(n), "--out", str(out)]) == 0
    p = pd.read_csv(out / "pairings.csv", encoding="utf-8-sig")
    assert dict(zip(p["need_id"], p["category"], strict=True)) == {
        "N1": "crop",
        "N2": "crop",
        "N3": "health",
    }
    assert "optimal: 3 pairs, 0 unmet" in capsys.readouterr().out


def test_unknown_category_is_exit_2_with_place_known_values_and_hint(tmp_path: Path, capsys):
    h = _write(tmp_path, "helpers.csv", HELPERS_ZH)
    n = _write(tmp_path, "needs.csv", NEEDS_ZH.replace("crops", "fishing"))
    out = tmp_path / "run"
    assert main(["pair", "--helpers", str(h), "--needs", str(n), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(n) in err and "row 3" in err and "'category'" in err
    assert "did you mean" in err and "crop (种植)" in err and "--allow-unknown" in err
    assert not out.exists()


def test_allow_unknown_makes_its_own_class(tmp_path: Path) -> None:
    h = _write(tmp_path, "helpers.csv", HELPERS_ZH + "H3,1,120.0,30.0,fishing\n")
    n = _write(tmp_path, "needs.csv", NEEDS_ZH.replace("crops", "fishing"))
    out = tmp_path / "run"
    args = ["pair", "--helpers", str(h), "--needs", str(n), "--out", str(out)]
    assert main([*args, "--allow-unknown"]) == 0
    p = pd.read_csv(out / "pairings.csv", encoding="utf-8-sig").set_index("need_id")
    assert p.loc["N2", "helper_id"] == "H3"  # the unknown class matches only itself


def test_check_reports_every_error(tmp_path: Path, capsys) -> None:
    h = _write(tmp_path, "helpers.csv", "专家编号,容量,专长\nH1,x,种植\nH2,2,fishing\n")
    n = _write(tmp_path, "needs.csv", "need_id,category\nN1,hlth\nN2,crop\nN3,养鱼\n")
    assert main(["check", "--helpers", str(h), "--needs", str(n)]) == 2
    err = capsys.readouterr().err
    for where in ("row 2, column 'capacity'", "row 3, column 'specialty'"):
        assert where in err
    assert "row 2, column 'category'" in err and "row 4, column 'category'" in err
    assert str(h) in err and str(n) in err


def test_county_names_and_own_columns_travel_to_the_run(tmp_path: Path) -> None:
    """A register with 省份/县 names (no adcode) and columns geomatch does not use: the
    shortfall is grouped by the names, and every column reaches pairings.csv and unmet.csv
    (one that a run table declares as ``needs.<name>``)."""
    h = _write(tmp_path, "helpers.csv", HELPERS_ZH)
    n = _write(
        tmp_path,
        "needs.csv",
        "需求编号,经度,纬度,类别,省份,县,备注,reason\n"
        "N1,102.71,25.04,种植,云南省,甲县,首批,r1\n"
        "N2,103.83,36.06,种植,甘肃省,乙县,,r2\n"
        "N3,103.90,36.10,种植,甘肃省,乙县,第二批,r3\n"
        "N4,87.62,43.83,光伏,新疆维吾尔自治区,丙县,,r4\n",
    )
    out = tmp_path / "run"
    assert main(["pair", "--helpers", str(h), "--needs", str(n), "--out", str(out)]) == 0
    read = {"encoding": "utf-8-sig", "dtype": str, "keep_default_na": False}
    p = pd.read_csv(out / "pairings.csv", **read).set_index("need_id")
    u = pd.read_csv(out / "unmet.csv", **read).set_index("need_id")
    assert set(p.index) | set(u.index) == {"N1", "N2", "N3", "N4"}
    both = pd.concat([p, u])
    assert both.loc["N1", ["province", "county", "备注", "needs.reason"]].tolist() == [
        "云南省", "甲县", "首批", "r1"
    ]  # fmt: skip
    assert both.loc["N2", "备注"] == "" and both.loc["N3", "备注"] == "第二批"
    s = pd.read_csv(out / "unmet_summary.csv", **read).set_index("county")
    assert s.loc["丙县", "province"] == "新疆维吾尔自治区" and s.loc["丙县", "needs_total"] == "1"
    if "N2" in u.index or "N3" in u.index:  # two crop helpers for three crop needs
        assert s.loc["乙县", "needs_total"] == "2"


def test_a_misspelt_header_is_named_with_the_one_it_looks_like(tmp_path: Path, capsys) -> None:
    """经读 for 经度 and 需求编码 for 需求编号: exit 2, every problem, each with its hint."""
    h = _write(tmp_path, "helpers.csv", HELPERS_ZH.replace("经度", "经读"))
    n = _write(tmp_path, "needs.csv", NEEDS_ZH.replace("需求编号", "需求编码"))
    out = tmp_path / "run"
    assert main(["pair", "--helpers", str(h), "--needs", str(n), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "did you mean '经读' for '经度'?" in err or "did you mean '需求编码'" in err
    assert not out.exists()
    assert main(["check", "--helpers", str(h), "--needs", str(n)]) == 2
    err = capsys.readouterr().err
    assert "did you mean '经读' for '经度'?" in err
    assert "did you mean '需求编码' for '需求编号'?" in err
    # a header that is neither a column, an alias nor close to one gets no hint
    ok = _write(tmp_path, "n3.csv", NEEDS_ZH.replace("需求编号", "备注"))
    assert (
        main(
            ["check", "--helpers", str(_write(tmp_path, "h3.csv", HELPERS_ZH)), "--needs", str(ok)]
        )
        == 2
    )
    assert "did you mean" not in capsys.readouterr().err
