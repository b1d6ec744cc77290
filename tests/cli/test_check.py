"""``geomatch check`` on good and broken bring-your-own files."""

from __future__ import annotations

from geomatch.cli.main import main


def test_check_good_files(tmp_path, capsys):
    h = tmp_path / "helpers.csv"
    h.write_text("helper_id,capacity\nH1,2\n", encoding="utf-8")
    n = tmp_path / "needs.csv"
    n.write_text("need_id,category\nN1,crop\n", encoding="utf-8")
    a = tmp_path / "arcs.csv"
    a.write_text("helper_id,need_id,cost\nH1,N1,5\n", encoding="utf-8")
    assert main(["check", "--helpers", str(h), "--needs", str(n), "--arcs", str(a)]) == 0
    assert "helpers: 1 rows" in capsys.readouterr().out


def test_check_broken_file_exits_2_and_names_the_place(tmp_path, capsys):
    h = tmp_path / "helpers.csv"
    h.write_bytes("helper_id,capacity,name\nH1,2,杭州\nH2,x,宁波\n".encode("gbk"))
    assert main(["check", "--helpers", str(h)]) == 2
    err = capsys.readouterr().err
    assert str(h) in err and "row 3" in err and "'capacity'" in err


def test_check_arcs_with_unknown_need(tmp_path, capsys):
    h = tmp_path / "helpers.csv"
    h.write_text("helper_id,capacity\nH1,2\n", encoding="utf-8")
    n = tmp_path / "needs.csv"
    n.write_text("need_id\nN1\n", encoding="utf-8")
    a = tmp_path / "arcs.csv"
    a.write_text("helper_id,need_id,cost\nH1,N2,5\n", encoding="utf-8")
    assert main(["check", "--helpers", str(h), "--needs", str(n), "--arcs", str(a)]) == 2
    assert "unknown id 'N2'" in capsys.readouterr().err


def test_check_needs_nothing_given():
    assert main(["check"]) == 2
