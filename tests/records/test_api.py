"""The records API: role × endpoint matrix, 409 on illegal moves, register errors store nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from geomatch.service.config import ServiceSettings
from tests.records.conftest import expert, register_csv, tiny_run

PROVINCES = [
    ("620000", "甘肃省", "west"),
    ("520000", "贵州省", "west"),
    ("330000", "浙江省", "east"),
]
ROLES = {
    "nat": ("national", None),
    "ana": ("analyst", None),
    "gs": ("planner", "620000"),  # the needs' province
    "zj": ("planner", "330000"),  # the helpers' province
    "gz": ("planner", "520000"),  # takes no part in agreement 1
}


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]
    tmp: Path

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def _seed(url: str) -> dict[str, str]:
    from geomatch.service.auth import add_user
    from geomatch.service.db import make_engine, migrate
    from geomatch.service.models import Province, ResultRow, Run

    engine = make_engine(url)
    migrate(engine)
    tokens = {}
    with sa.orm.Session(engine) as session:
        session.add_all(Province(adcode=a, name=n, region=r) for a, n, r in PROVINCES)
        session.flush()
        for name, (role, prov) in ROLES.items():
            tokens[name] = add_user(session, name, role, prov)
        run = Run(scenario="t", status="done", progress=1.0)
        session.add(run)
        session.flush()
        pairs = [("N1", "ZJ-1", "station", "620102"), ("N2", "ZJ-2", "training", "520103")]
        for i, (nid, hid, kind, code) in enumerate(pairs):
            session.add(
                ResultRow(
                    run_id=run.id,
                    table_name="pairings",
                    row_no=i,
                    province_adcode=code[:2] + "0000",
                    helper_province_adcode="330000",
                    data={"need_id": nid, "helper_id": hid, "kind": kind, "adcode": code},
                )
            )
        session.commit()
    engine.dispose()
    return tokens


@pytest.fixture()
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    from geomatch.service.app import create_app

    monkeypatch.setenv("GEOMATCH_REGISTER_SECRET", "api-test-secret")
    url = f"sqlite:///{tmp_path / 'api.db'}"
    tokens = _seed(url)
    settings = ServiceSettings(
        database_url=url,
        service_home=tmp_path,
        load_dataset=False,
        scenario_dir=tmp_path,
        pipeline="tests.service.pipeline_double:run_scenario",
    )
    with TestClient(create_app(settings)) as client:
        yield Api(client, tokens, tmp_path)


def _upload(api: Api, who: str, province: str, path: Path) -> object:
    with path.open("rb") as fh:
        return api.client.post(
            "/api/register",
            headers=api.h(who),
            data={"province": province},
            files={"file": (path.name, fh, "text/csv")},
        )


def test_register_import_roles_errors_and_duplicates(api: Api) -> None:
    zj = register_csv(
        api.tmp / "zj.csv",
        [expert("ZJ-1", "王一", 1, "13800000001"), expert("ZJ-2", "李二", 2, "13800000002")],
    )
    gs = register_csv(
        api.tmp / "gs.csv",
        [expert("GS-1", "王一", 1, "13900000001", province="620000", institution="兰大")],
    )
    assert _upload(api, "gs", "330000", zj).status_code == 403  # another province's register
    assert _upload(api, "ana", "330000", zj).status_code == 403
    r = _upload(api, "zj", "330000", zj)
    assert r.status_code == 201 and r.json()["rows"] == 2
    r = _upload(api, "nat", "620000", gs)
    assert r.status_code == 201
    assert [(d["helper_id"], d["other_helper_id"], d["rule"]) for d in r.json()["duplicates"]] == [
        ("GS-1", "ZJ-1", "id_number")
    ]
    bad = register_csv(
        api.tmp / "bad.csv", [expert("ZJ-3", "陈三", 3, "1"), expert("ZJ-4", "", 4, "2")]
    )
    r = _upload(api, "zj", "330000", bad)
    assert r.status_code == 422
    errors = r.json()["detail"]["errors"]
    assert {(e["row"], e["column"].split(" ")[0]) for e in errors} == {
        (2, "手机号"),
        (3, "姓名"),
        (3, "手机号"),
    }
    listed = api.client.get("/api/register", headers=api.h("nat")).json()
    assert sorted(e["helper_id"] for e in listed) == ["GS-1", "ZJ-1", "ZJ-2"]  # nothing of bad.csv
    assert all(e["id_masked"].startswith("*") and e["phone_masked"].startswith("*") for e in listed)
    own = api.client.get("/api/register", headers=api.h("zj")).json()
    assert sorted(e["helper_id"] for e in own) == ["ZJ-1", "ZJ-2"]
    assert api.client.get("/api/register?province=620000", headers=api.h("zj")).status_code == 403
    dups = api.client.get("/api/register/duplicates", headers=api.h("gs")).json()
    assert [(d["helper_id"], d["other_province"]) for d in dups] == [("GS-1", "330000")]
    assert api.client.get("/api/register", headers={}).status_code == 401


def test_agreement_role_matrix_and_409(api: Api) -> None:
    c = api.client
    for who in ("gs", "zj", "ana"):
        assert (
            c.post("/api/agreements/propose", json={"run": 1}, headers=api.h(who)).status_code
            == 403
        )
    assert c.post("/api/agreements/propose", json={"run": 1}, headers=api.h("nat")).json() == {
        "created": 2
    }
    assert c.post("/api/agreements/propose", json={"run": 1}, headers=api.h("nat")).json() == {
        "created": 0
    }
    seen = {
        who: sorted(a["need_id"] for a in c.get("/api/agreements", headers=api.h(who)).json())
        for who in ROLES
    }
    assert seen == {
        "nat": ["N1", "N2"],
        "ana": ["N1", "N2"],
        "gs": ["N1"],
        "zj": ["N1", "N2"],
        "gz": ["N2"],
    }
    # agreement 1: need in 620000 (gs moves), helper in 330000 (zj reads), gz nothing
    reads = {who: c.get("/api/agreements/1", headers=api.h(who)).status_code for who in ROLES}
    assert reads == {"nat": 200, "ana": 200, "gs": 200, "zj": 200, "gz": 403}
    moves = {
        who: c.patch("/api/agreements/1", json={"status": "signed"}, headers=api.h(who)).status_code
        for who in ("ana", "zj", "gz")
    }
    assert moves == {"ana": 403, "zj": 403, "gz": 403}
    r = c.patch("/api/agreements/1", json={"status": "active"}, headers=api.h("gs"))
    assert (
        r.status_code == 409
        and "signed" in r.json()["detail"]
        and "terminated" in r.json()["detail"]
    )
    for to in ("signed", "filed", "active"):
        assert (
            c.patch("/api/agreements/1", json={"status": to}, headers=api.h("gs")).status_code
            == 200
        )
    detail = c.get("/api/agreements/1", headers=api.h("zj")).json()
    assert [(e["to_status"], e["user_name"]) for e in detail["history"]][1:] == [
        ("signed", "gs"),
        ("filed", "gs"),
        ("active", "gs"),
    ]
    assert (
        c.patch(
            "/api/agreements/2", json={"status": "terminated"}, headers=api.h("nat")
        ).status_code
        == 200
    )
    r = c.patch("/api/agreements/2", json={"status": "signed"}, headers=api.h("nat"))
    assert r.status_code == 409 and "none" in r.json()["detail"]
    active = c.get("/api/agreements?status=active", headers=api.h("nat")).json()
    assert [a["id"] for a in active] == [1]


def test_reports_one_per_quarter_and_ledger_scope(api: Api) -> None:
    c = api.client
    c.post("/api/agreements/propose", json={"run": 1}, headers=api.h("nat"))
    start = c.get("/api/agreements/1", headers=api.h("gs")).json()["start_date"]
    period = f"{start[:4]}Q{(int(start[5:7]) - 1) // 3 + 1}"
    body = {"period": period, "visits": 2, "households_helped": 5, "associations_supported": 1}
    assert (
        c.post("/api/agreements/1/reports", json=body, headers=api.h("gs")).status_code == 409
    )  # proposed
    for to in ("signed", "filed", "active"):
        c.patch("/api/agreements/1", json={"status": to}, headers=api.h("gs"))
    assert c.post("/api/agreements/1/reports", json=body, headers=api.h("zj")).status_code == 403
    assert c.post("/api/agreements/1/reports", json=body, headers=api.h("gs")).status_code == 201
    assert c.post("/api/agreements/1/reports", json=body, headers=api.h("gs")).status_code == 409
    year = int(start[:4])
    rows = c.get(f"/api/ledger?year={year}", headers=api.h("ana")).json()
    gs_row = next(r for r in rows if r["unit"] == "620000")
    assert gs_row["associations_achieved"] == 1 and gs_row["people_lifted"] == 15
    own = c.get(f"/api/ledger?year={year}", headers=api.h("gs")).json()
    assert [r["unit"] for r in own] == ["620000"]
    assert c.get(f"/api/ledger?year={year}&province=330000", headers=api.h("gs")).status_code == 403
    short = c.get(f"/api/ledger/self-check?year={year}", headers=api.h("nat")).json()
    assert {r["unit"] for r in short} >= {"620000"}


def test_pages_are_chinese_scoped_and_list_errors(api: Api) -> None:
    c = api.client
    c.post("/api/agreements/propose", json={"run": 1}, headers=api.h("nat"))
    page = c.get("/records/register", headers=api.h("gs"))
    assert page.status_code == 200 and "专家名册" in page.text and "导入名册" in page.text
    bad = register_csv(api.tmp / "bad.csv", [expert("ZJ-3", "陈三", 3, "1")])
    with bad.open("rb") as fh:
        r = c.post(
            "/records/register",
            headers=api.h("zj"),
            data={"province": "330000"},
            files={"file": ("bad.csv", fh, "text/csv")},
        )
    assert r.status_code == 422 and "未保存任何内容" in r.text and "手机号" in r.text
    good = register_csv(api.tmp / "good.csv", [expert("ZJ-3", "陈三", 3, "13800000003")])
    with good.open("rb") as fh:
        r = c.post(
            "/records/register",
            headers=api.h("zj"),
            data={"province": "330000"},
            files={"file": ("good.csv", fh, "text/csv")},
        )
    assert r.status_code == 200 and "已备案 1 人" in r.text and "*******0003" in r.text
    assert "13800000003" not in r.text
    gz = c.get("/records/agreements", headers=api.h("gz")).text
    assert "N2" in gz and "N1" not in gz
    denied = c.post("/records/agreements/1/status", data={"status": "signed"}, headers=api.h("zj"))
    assert denied.status_code == 403
    moved = c.post("/records/agreements/1/status", data={"status": "signed"}, headers=api.h("gs"))
    assert moved.status_code == 200 and "已签订" in moved.text
    illegal = c.post(
        "/records/agreements/1/status", data={"status": "completed"}, headers=api.h("gs")
    )
    assert illegal.status_code == 409
    ledger = c.get("/records/ledger?year=2020", headers=api.h("gs"))
    assert ledger.status_code == 200 and "自查" in ledger.text


def test_runs_import_then_propose(api: Api) -> None:
    tiny_run(api.tmp / "geomatch-imports" / "r1", "N9", "ZJ-9")
    c = api.client
    body = {"folder": "r1"}
    assert c.post("/api/runs/import", json=body, headers=api.h("gs")).status_code == 403
    for bad in ("../r1", "/etc", "nope"):
        assert c.post(
            "/api/runs/import", json={"folder": bad}, headers=api.h("nat")
        ).status_code in (404, 422)
    r = c.post("/api/runs/import", json=body, headers=api.h("nat"))
    assert r.status_code == 201
    created = c.post("/api/agreements/propose", json={"run": r.json()["id"]}, headers=api.h("nat"))
    assert created.json() == {"created": 1}
    [ag] = c.get("/api/agreements?province=620000&status=proposed", headers=api.h("gs")).json()
    assert (ag["need_id"], ag["helper_id"], ag["need_province"]) == ("N9", "ZJ-9", "620000")


def test_a_run_can_pair_from_the_register(api: Api) -> None:
    import sqlalchemy as sa

    from geomatch.service.models import Run, StoredDataset

    c = api.client
    (api.tmp / "mini.toml").write_text('[scenario]\nname = "mini"\n', encoding="utf-8")
    body = {"scenario": "mini", "helpers": "register"}
    r = c.post("/api/runs", json=body, headers=api.h("nat"))
    assert r.status_code == 422 and "register is empty" in r.text
    zj = register_csv(api.tmp / "zj.csv", [expert("ZJ-1", "王一", 1, "13800000001")])
    assert _upload(api, "zj", "330000", zj).status_code == 201
    assert c.post("/api/runs", json=body, headers=api.h("gs")).status_code == 403
    r = c.post("/api/runs", json=body, headers=api.h("nat"))
    assert r.status_code == 202, r.text
    engine = sa.create_engine(f"sqlite:///{api.tmp / 'api.db'}")
    with sa.orm.Session(engine) as session:
        run = session.execute(sa.select(Run).where(Run.uid == r.json()["id"])).scalar_one()
        table = session.get(StoredDataset, run.helpers_dataset_id)
        assert table is not None and table.kind == "helpers" and table.n_rows == 1
        assert "13800000001" not in Path(table.path).read_text(encoding="utf-8")
    engine.dispose()
