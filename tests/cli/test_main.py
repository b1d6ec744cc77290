"""The command line's shell: help, version, exit codes of named errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from geomatch.cli.main import main
from geomatch.errors import InfeasibleError, InputError


def test_help_lists_the_stable_commands(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for cmd in ("demo", "bench"):
        assert cmd in out


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("geomatch ")


def test_unknown_command_is_a_usage_error(capsys):
    assert main(["no-such-command"]) == 2


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (InputError("bad", file="x.csv", row=3, column="capacity"), 2),
        (InfeasibleError("need N1 has no candidate", constraint="candidates"), 3),
        (RuntimeError("boom"), 1),
    ],
)
def test_errors_map_to_exit_codes(monkeypatch, capsys, exc, code):
    import geomatch.cli.app as cli

    def boom(*args, **kwargs):
        raise exc

    monkeypatch.setattr(cli, "app_for", lambda args: boom)
    assert main(["anything"]) == code
    err = capsys.readouterr().err
    if isinstance(exc, InputError):
        assert "x.csv" in err and "row 3" in err and "'capacity'" in err


def test_python_dash_m_entry_point():
    res = subprocess.run(
        [sys.executable, "-m", "geomatch", "--version"], capture_output=True, text=True
    )
    assert res.returncode == 0
    assert res.stdout.startswith("geomatch ")


def test_console_script_keeps_exit_codes_and_output(tmp_path):
    # run() freezes the collector before exiting: the exit code and the files written
    # are those of main(); the console script is the installed `geomatch`
    exe = Path(sys.executable).with_name("geomatch")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "geomatch"]
    bad = tmp_path / "helpers.csv"
    bad.write_text("helper_id,capacity\nH1,-1\nH2,x\n", encoding="utf-8")
    res = subprocess.run([*cmd, "check", "--helpers", str(bad)], capture_output=True, text=True)
    assert res.returncode == 2
    assert "helpers.csv" in res.stderr and "row" in res.stderr
    res = subprocess.run([*cmd, "--version"], capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.startswith("geomatch ")


def test_a_run_builds_only_its_own_command() -> None:
    # typer builds every registered command's parameters before it runs one: a run keeps
    # only the command (or group) it names; help, no command and a typo see them all
    from geomatch.cli.app import app, app_for

    every = len(app.registered_commands) + len(app.registered_groups)
    assert every > 20
    for args, kept in (
        (["-q", "pair", "--out", "x"], ["pair"]),
        (["data", "build"], ["data"]),
        (["map", "--help"], ["map"]),
    ):
        one = app_for(args)
        names = [c.name or c.callback.__name__ for c in one.registered_commands]  # type: ignore[union-attr]
        names += [g.name for g in one.registered_groups if g.name]
        assert names == kept
        assert one.registered_callback is app.registered_callback  # global options kept
    for args in ([], ["--help"], ["--help", "pair"], ["pai"]):
        assert app_for(args) is app
    assert main(["pai"]) == 2  # click's "no such command", with its suggestion
