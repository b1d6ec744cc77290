"""``geomatch check`` on good and broken bring-your-own files."""

from __future__ import annotations

from pathlib import Path

from geomatch.cli.main import main


def _check_three(folder: Path, needs: str, arcs: str) -> int:
    """``geomatch check`` of one good helper file with the given needs and arcs (UTF-8)."""
    files = {"helpers": "helper_id,capacity\nH1,2\n", "needs": needs, "arcs": arcs}
    args = ["check"]
    for name, text in files.items():
        path = folder / f"{name}.csv"
        path.write_text(text, encoding="utf-8")
        args += [f"--{name}", str(path)]
    return main(args)


def test_check_good_files(tmp_path, capsys):
    assert (
        _check_three(tmp_path, "need_id,category\nN1,crop\n", "helper_id,need_id,cost\nH1,N1,5\n")
        == 0
    )
    assert "helpers: 1 rows" in capsys.readouterr().out


def test_check_broken_file_exits_2_and_names_the_place(tmp_path, capsys):
    h = tmp_path / "helpers.csv"
    h.write_bytes("helper_id,capacity,name\nH1,2,杭州\nH2,x,宁波\n".encode("gbk"))
    assert main(["check", "--helpers", str(h)]) == 2
    err = capsys.readouterr().err
    assert str(h) in err and "row 3" in err and "'capacity'" in err


def test_check_arcs_with_unknown_need(tmp_path, capsys):
    assert _check_three(tmp_path, "need_id\nN1\n", "helper_id,need_id,cost\nH1,N2,5\n") == 2
    assert "unknown id 'N2'" in capsys.readouterr().err


def test_check_needs_nothing_given():
    assert main(["check"]) == 2
