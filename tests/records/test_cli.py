"""The records commands: exit codes, all errors listed, nothing stored on error, last-line ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from geomatch.cli.main import main
from tests.records.conftest import expert, register_csv, tiny_run


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GEOMATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("GEOMATCH_SERVICE_HOME", str(tmp_path))
    monkeypatch.setenv("GEOMATCH_LOAD_DATASET", "false")
    monkeypatch.delenv("GEOMATCH_REGISTER_SECRET", raising=False)
    return tmp_path


def test_register_cycle_on_the_command_line(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["register", "template", "--out", str(env / "t.xlsx")]) == 0
    bad = register_csv(
        env / "bad.csv", [expert("ZJ-1", "王一", 1, "1"), expert("ZJ-2", "", 2, "2")]
    )
    assert main(["register", "import", str(bad), "--province", "330000"]) == 2
    err = capsys.readouterr().err
    assert "3 error(s)" in err and "row 2" in err and "row 3" in err
    assert main(["register", "import", str(bad), "--province", "33"]) == 2
    good = register_csv(env / "good.csv", [expert("ZJ-1", "王一", 1, "13800000001")])
    assert main(["register", "import", str(good), "--province", "330000"]) == 0
    assert (env / "geomatch-register.key").stat().st_mode & 0o777 == 0o600
    out = env / "export.csv"
    assert main(["register", "export", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8-sig")
    assert "ZJ-1" in text and "13800000001" not in text and "*******0001" in text
    assert main(["ledger", "--year", "2020"]) == 0
    assert main(["agreements", "propose", "999"]) == 2


def test_runs_import_prints_the_id_last(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tiny_run(env / "run")
    assert main(["runs", "import", str(env / "nothing")]) == 2
    capsys.readouterr()
    assert main(["runs", "import", str(env / "run")]) == 0
    run_id = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(["agreements", "propose", run_id]) == 0
    assert "created: 1" in capsys.readouterr().out
    assert main(["agreements", "set", "1", "active"]) == 2  # proposed → active
    assert main(["agreements", "set", "1", "signed"]) == 0
