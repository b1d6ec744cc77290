"""Scenario files: the shipped ones load, typos and bad values are named."""

from __future__ import annotations

import pytest

from geomatch.errors import InputError
from geomatch.model.scenario import load_scenario
from geomatch.settings import REPO_ROOT


@pytest.mark.parametrize("name", ["national", "strict_east_west", "equity"])
def test_shipped_scenarios_load(name):
    sc = load_scenario(name)
    assert sc.name == name
    assert sc.source.endswith(f"{name}.toml")


def test_scenario_files_exist():
    assert {p.stem for p in (REPO_ROOT / "solvers").glob("*.toml")} >= {
        "national",
        "strict_east_west",
        "equity",
    }


def test_unknown_key_is_named(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text('[scenario]\nname = "x"\n[pairing]\ntime_limit_sec = 5\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_scenario(p)
    assert err.value.column == "pairing.time_limit_sec"


def test_toml_syntax_error_has_a_line(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text('[scenario]\nname = "x\n', encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML") as err:
        load_scenario(p)
    assert err.value.row == 2


def test_missing_scenario():
    with pytest.raises(InputError, match="scenario file not found"):
        load_scenario("no_such_scenario")


def test_data_root(tmp_path, monkeypatch):
    def root(data_dir: str):
        p = tmp_path / "s.toml"
        p.write_text(f'[scenario]\ndata_dir = "{data_dir}"\n', encoding="utf-8")
        return load_scenario(p).data_root

    assert load_scenario("national").data_root is None  # the embedded default
    assert root(str(tmp_path)) == tmp_path
    monkeypatch.chdir(tmp_path)
    (tmp_path / "here").mkdir()
    assert root("here") == tmp_path.joinpath("here").relative_to(tmp_path)
    # a relative folder not under the working directory is taken from the repository
    assert root("tests/fixtures/mini_data") == REPO_ROOT / "tests/fixtures/mini_data"
