"""Reading run folders and the ``map`` / ``export`` commands (exit codes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geomatch.cli.main import main
from geomatch.errors import InputError
from geomatch.run_result import read_run
from tests.render.fixtures import synthetic_run


def test_load_run_types(run_dir: Path):
    run = read_run(run_dir)
    assert str(run.pairings["cost"].dtype) == "Int64"
    assert str(run.pairings["distance_km"].dtype) == "float64"
    assert run.museum_visits["start_date"].str.match(r"\d{4}-\d\d-\d\d").all()
    assert {"pairings", "unmet", "museum_visits", "caravan_tours"} <= run.present
    assert run.summary == {"status": "optimal"}


def test_pairing_only_run(run_dir: Path):
    (run_dir / "museum_visits.csv").unlink()
    (run_dir / "caravan_tours.csv").unlink()
    run = read_run(run_dir)
    assert run.museum_visits.empty and "adcode" in run.museum_visits.columns
    assert "museum_visits" not in run.present


@pytest.mark.parametrize(
    ("table", "text", "row", "column"),
    [
        ("pairings.csv", "need_id,helper_id,cost,load\nN1,H1,12,1\nN2,H2,abc,1\n", 3, "cost"),
        ("pairings.csv", "need_id,helper_id,cost\nN1,H1,12\n", 1, "load"),
        (
            "museum_visits.csv",
            "adcode,set_id,visit_no,start_date,end_date\n621121,S,1,2020-13-01,2020-01-02\n",
            2,
            "start_date",
        ),
    ],
)
def test_bad_tables_name_file_row_column(run_dir: Path, table, text, row, column):
    (run_dir / table).write_text(text, "utf-8")
    with pytest.raises(InputError) as err:
        read_run(run_dir)
    assert err.value.row == row and err.value.column == column
    assert err.value.file is not None and err.value.file.endswith(table)


def test_bad_manifest(run_dir: Path):
    (run_dir / "manifest.json").write_text("{not json", "utf-8")
    with pytest.raises(InputError, match="manifest"):
        read_run(run_dir)
    (run_dir / "manifest.json").write_text(json.dumps([1, 2]), "utf-8")
    with pytest.raises(InputError, match="object"):
        read_run(run_dir)


@pytest.mark.parametrize(
    "cmd", [["map", "--out", "M"], ["export", "--format", "csv", "--out", "E"]]
)
def test_cli_bad_run_dir_exits_2(tmp_path: Path, capsys, cmd: list[str]):
    args = [c.replace("M", str(tmp_path / "maps")).replace("E", str(tmp_path / "e")) for c in cmd]
    code = main([args[0], "--run", str(tmp_path / "nope"), *args[1:]])
    assert code == 2
    assert "run folder not found" in capsys.readouterr().err
    assert not (tmp_path / "maps").exists() and not (tmp_path / "e").exists()


def test_cli_bad_format_exits_2(tmp_path: Path, run_dir: Path, capsys):
    code = main(["export", "--run", str(run_dir), "--format", "pdf", "--out", str(tmp_path / "x")])
    assert code == 2
    assert "csv, xlsx, gpkg, ics" in capsys.readouterr().err


def test_cli_map_and_export_on_the_shared_fixture(fixture_ds: object, tmp_path: Path):
    from tests.conftest import MINI_DATA

    run = synthetic_run(fixture_ds, tmp_path / "run")
    assert (
        main(["map", "--run", str(run), "--out", str(tmp_path / "maps"), "--data", str(MINI_DATA)])
        == 0
    )
    assert (tmp_path / "maps" / "national.html").is_file()
    pa = str(fixture_ds.poor_counties["province_adcode"].iloc[0])  # type: ignore[attr-defined]
    assert (tmp_path / "maps" / "province" / f"{pa}.html").is_file()
    for fmt, out in (("xlsx", "r.xlsx"), ("gpkg", "r.gpkg"), ("ics", "ics"), ("csv", "csv")):
        code = main(
            [
                "export",
                "--run",
                str(run),
                "--format",
                fmt,
                "--out",
                str(tmp_path / out),
                "--data",
                str(MINI_DATA),
                "--province",
                pa,
                "--labels",
                "zh",
            ]
        )
        assert code == 0, fmt
        assert (tmp_path / out).exists()
    code = main(
        [
            "export",
            "--run",
            str(run),
            "--format",
            "csv",
            "--out",
            str(tmp_path / "bad"),
            "--data",
            str(MINI_DATA),
            "--county",
            "999999",
        ]
    )
    assert code == 2


def test_cli_report_info_and_figure_formats(fixture_ds: object, tmp_path: Path, capsys):
    from tests.conftest import MINI_DATA

    run = synthetic_run(fixture_ds, tmp_path / "run")
    pc = fixture_ds.poor_counties  # type: ignore[attr-defined]
    pa, pname = str(pc["province_adcode"].iloc[0]), str(pc["province"].iloc[0])
    data = ["--data", str(MINI_DATA)]
    out = tmp_path / "r.html"
    code = main(["report", "--run", str(run), "--province", pname[:2], "--out", str(out), *data])
    assert code == 0
    printed = capsys.readouterr().out
    assert "各县专家服务站团队" in printed and str(pc["name"].iloc[0]) in printed
    assert pname in out.read_text("utf-8")
    assert main(["report", "--run", str(run), "--province", "火星", *data]) == 2
    assert "province" in capsys.readouterr().err
    assert main(["info", "--run", str(run)]) == 0
    assert "没有各省数字" in capsys.readouterr().out  # a bare run: no coverage.csv
    from geomatch.dataset import load_dataset
    from geomatch.io.output import write_csv
    from geomatch.render.run import add_coverage
    from geomatch.run_result import read_run

    cov = add_coverage(read_run(run), load_dataset(MINI_DATA)).coverage
    write_csv(cov, run / "coverage.csv")
    assert main(["info", "--run", str(run)]) == 0
    printed = capsys.readouterr().out
    assert pa in printed and pname in printed
    maps = tmp_path / "maps"
    args = ["map", "--run", str(run), "--out", str(maps), "--format", "svg", "--png-dpi", "72"]
    assert main([*args, *data]) == 0
    assert (maps / "national.svg").is_file() and (maps / "national.png").is_file()
    assert (maps / "index.html").is_file()
    assert main(["map", "--run", str(run), "--out", str(tmp_path / "m2"), "--format", "gif"]) == 2
