"""Fixtures of the records tests: a migrated SQLite database and register files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from geomatch.records.identity import RegisterKey
from geomatch.service.db import make_engine, migrate

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def id_number(serial: int, region: str = "620102") -> str:
    """A valid resident ID number (GB 11643 check digit) built independently of the code."""
    body = f"{region}19800101{serial:03d}"
    return body + _CHECK[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


HEADER_ZH = (
    "专家编号,姓名,类型,专业领域,职称级别,年度可承接需求数,所在省份代码,工作单位,"
    "经度,纬度,身份证号,手机号"
)
HEADER_EN = (
    "helper_id,name,kind,specialty,level,capacity,province_adcode,institution,"
    "lon,lat,id_number,phone"
)


def register_csv(path: Path, rows: list[tuple[object, ...]], *, chinese: bool = True) -> Path:
    """A register CSV with the given rows (columns as :data:`HEADER_ZH`)."""
    lines = [HEADER_ZH if chinese else HEADER_EN]
    lines += [",".join(str(v) for v in r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def expert(
    hid: str,
    name: str,
    serial: int,
    phone: str,
    *,
    province: str = "330000",
    institution: str = "浙江大学",
    lon: float = 120.15,
    lat: float = 30.27,
) -> tuple[object, ...]:
    return (
        hid,
        name,
        "专家",
        "种植",
        "正高级",
        3,
        province,
        institution,
        lon,
        lat,
        id_number(serial),
        phone,
    )


@pytest.fixture()
def factory(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
    migrate(engine)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


@pytest.fixture()
def key() -> RegisterKey:
    return RegisterKey(b"test-secret")


def tiny_run(folder: Path, need: str = "N1", helper: str = "H1", adcode: str = "620102") -> Path:
    """A finished run folder with one pair and one county (written by ``write_run``)."""
    import pandas as pd

    from geomatch.run_result import RunResult, write_run

    pairs = pd.DataFrame(
        {
            "need_id": [need],
            "helper_id": [helper],
            "kind": ["station"],
            "adcode": [adcode],
            "cost": [1],
            "load": [1],
        }
    )
    cov = pd.DataFrame(
        {
            "adcode": [adcode],
            "name": ["城关区"],
            "province": ["甘肃省"],
            "station_team": ["complete"],
            "museum_visits": [0],
            "caravan_visits": [0],
            "experts": [1],
            "unmet_needs": [0],
        }
    )
    write_run(RunResult.of({"pairings": pairs, "coverage": cov}), folder)
    return folder


MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini.toml"


def mini_scenario(folder: Path) -> Path:
    """The mini scenario (five 黔东南 counties) as a TOML file in ``folder``, its data folder
    made absolute and its tours on one worker (for the multi-year plan tests)."""
    text = MINI.read_text(encoding="utf-8")
    data = (MINI.parent / "mini_data").resolve()
    text = text.replace('data_dir = "tests/fixtures/mini_data"', f'data_dir = "{data}"')
    scenario = folder / "mini.toml"
    scenario.write_text(text.replace("[tours]", "[tours]\nworkers = 1"), encoding="utf-8")
    return scenario
