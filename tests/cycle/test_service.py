"""The cycle's API and page: role × endpoint, the planner's scoped score breakdown,
422 naming the quota or the publicity rule, exports for analysts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from httpx import Response

from geomatch.service.config import ServiceSettings

PROVINCES = [
    ("620000", "甘肃省", "west"),
    ("520000", "贵州省", "west"),
    ("330000", "浙江省", "east"),
]
ROLES = {
    "nat": ("national", None),
    "ana": ("analyst", None),
    "gz": ("planner", "520000"),
    "gs": ("planner", "620000"),
}


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def _seed(url: str) -> dict[str, str]:
    from geomatch.cycle.synth_records import synthesise_year
    from geomatch.service.auth import add_user
    from geomatch.service.db import make_engine, migrate
    from geomatch.service.models import Province

    engine = make_engine(url)
    migrate(engine)
    pairings = pd.DataFrame(
        {"need_id": ["ST-522631-crop", "ST-622631-crop", "TR-1"], "helper_id": ["E1", "E2", "O1"],
         "kind": ["station", "station", "training"], "adcode": ["522631", "620102", "520103"]}
    )  # fmt: skip
    helpers = pd.DataFrame(
        {"helper_id": ["E1", "E2", "O1"], "province_adcode": ["330000", "330000", "330000"],
         "kind": ["expert", "expert", "association"], "name": ["a", "b", "c"]}
    )  # fmt: skip
    tokens = {}
    with sa.orm.Session(engine) as session:
        session.add_all(Province(adcode=a, name=n, region=r) for a, n, r in PROVINCES)
        session.flush()
        for name, (role, prov) in ROLES.items():
            tokens[name] = add_user(session, name, role, prov)
        synthesise_year(session, pairings, helpers, 2020, seed=3)
        session.commit()
    engine.dispose()
    return tokens


@pytest.fixture()
def api(tmp_path: Path) -> Iterator[Api]:
    from geomatch.service.app import create_app

    url = f"sqlite:///{tmp_path / 'cycle.db'}"
    tokens = _seed(url)
    settings = ServiceSettings(
        database_url=url, service_home=tmp_path, load_dataset=False, scenario_dir=tmp_path
    )
    with TestClient(create_app(settings)) as client:
        yield Api(client, tokens)


def _cands(n_teams: int, n_people: int, prefix: str) -> list[dict[str, object]]:
    kinds = ["team"] * n_teams + ["individual"] * n_people
    return [
        {"candidate_id": f"{prefix}{i}", "kind": k, "name": f"候选{i}", "merit": 80 + i,
         "category": "种植", "deep_poverty": True, "registered": True, "praised_since_2016": True}
        for i, k in enumerate(kinds)
    ]  # fmt: skip


def test_evaluation_scores_and_quotas_by_role(api: Api) -> None:
    c = api.client
    for who in ("ana", "gz"):
        assert (
            c.post("/api/cycle/evaluate", json={"year": 2020}, headers=api.h(who)).status_code
            == 403
        )
    empty = c.post("/api/cycle/evaluate", json={"year": 2013}, headers=api.h("nat"))
    assert empty.status_code == 422 and "nothing to evaluate" in empty.json()["detail"]
    r = c.post("/api/cycle/evaluate", json={"year": 2020}, headers=api.h("nat"))
    assert r.status_code == 200 and r.json()["agreements"] == 3
    mine = c.get("/api/cycle/scores?year=2020", headers=api.h("gz")).json()
    assert [s["unit"] for s in mine] == ["520000"]
    ind = sum(v for k, v in mine[0]["breakdown"].items() if k.startswith("ind_"))
    assert ind == pytest.approx(mine[0]["score"], abs=1e-9)
    assert (
        c.get("/api/cycle/scores?year=2020&province=620000", headers=api.h("gz")).status_code == 403
    )
    assert len(c.get("/api/cycle/scores?year=2020", headers=api.h("ana")).json()) >= 3
    body = {"year": 2020, "total": 9, "floor": 1, "cap": 5}
    assert c.post("/api/cycle/quotas", json=body, headers=api.h("gz")).status_code == 403
    q = c.post("/api/cycle/quotas", json=body, headers=api.h("nat"))
    assert q.status_code == 200 and sum(r["quota"] for r in q.json()) == 9
    bad = c.post("/api/cycle/quotas", json={**body, "cap": 2}, headers=api.h("nat"))
    assert bad.status_code == 422 and "units × cap 2" in bad.json()["detail"]
    csv = c.get("/api/cycle/export/scores.csv?year=2020", headers=api.h("ana"))
    assert csv.status_code == 200 and "ind_liangshu" in csv.text
    assert c.get("/api/cycle/export/scores.csv?year=2020", headers=api.h("gz")).status_code == 403


def _recommend(api: Api, who: str, cands: list[dict[str, object]], **kw: object) -> Response:
    body = {"year": 2021, "publicity_start": "2021-08-09", "publicity_end": "2021-08-15"}
    answer: Response = api.client.post(
        "/api/cycle/recommendations", headers=api.h(who), json={**body, **kw, "candidates": cands}
    )
    return answer


def test_recommendations_within_quota_and_publicity_rules(api: Api) -> None:
    c = api.client
    c.post("/api/cycle/evaluate", json={"year": 2020}, headers=api.h("nat"))
    body = {"year": 2020, "total": 9, "floor": 3, "cap": 3}  # quotas of 2021
    assert c.post("/api/cycle/quotas", json=body, headers=api.h("nat")).status_code == 200
    over = _recommend(api, "gz", _cands(2, 2, "A"))
    assert over.status_code == 422
    assert "推荐指标为 3" in over.json()["detail"] and "[quota]" in over.json()["detail"]
    short = _recommend(api, "gz", _cands(1, 2, "A"), publicity_start="2021-08-10")
    assert short.status_code == 422 and "publicity_days" in short.json()["detail"]
    late = _recommend(api, "gz", _cands(1, 2, "A"), publicity_end="2021-08-16")
    assert late.status_code == 422 and "deadline" in late.json()["detail"]
    ok = _recommend(api, "gz", _cands(1, 2, "A"))
    assert ok.json() == {"year": 2021, "unit": "520000", "recommended": 3}
    assert _recommend(api, "gz", _cands(1, 2, "B"), unit="620000").status_code == 403
    assert _recommend(api, "ana", _cands(1, 2, "C")).status_code == 403
    assert c.get("/api/cycle/recommendations?year=2021", headers=api.h("gs")).json() == []
    # two units cannot fill 20 teams: the national stage names the binding rule
    assert _recommend(api, "gs", _cands(1, 2, "G")).status_code == 200
    nat = c.post("/api/cycle/commend", json={"year": 2021}, headers=api.h("nat"))
    assert nat.status_code == 422 and "teams_total" in nat.json()["detail"]


def test_cycle_page_shows_the_planners_breakdown(api: Api) -> None:
    c = api.client
    c.post("/api/cycle/evaluate", json={"year": 2020}, headers=api.h("nat"))
    page = c.get("/cycle?year=2020", headers=api.h("gz"))
    assert page.status_code == 200
    assert (
        "评估考核得分" in page.text and "（520000）" in page.text and "（620000）" not in page.text
    )
    assert "提交本单位推荐" in page.text and "运行 2020 年评估" not in page.text
    nat = c.get("/cycle?year=2020", headers=api.h("nat"))
    assert "运行 2020 年评估" in nat.text and "（620000）" in nat.text
    csv = "candidate_id,kind,unit,name,merit,registered,praised_since_2016,category,deep_poverty\n"
    csv += "P1,team,520000,甲,90,是,是,种植,否\nP2,individual,520000,乙,88,是,是,养殖,是\n"
    csv += "P3,individual,520000,丙,85,是,是,其他,否\n"
    form = {"year": "2020", "publicity_start": "2020-08-01", "publicity_end": "2020-08-07"}
    files = {"file": ("c.csv", csv.encode(), "text/csv")}
    r = c.post(
        "/cycle/recommendations",
        headers=api.h("gz"),
        data=form,
        files=files,
        follow_redirects=False,
    )
    assert r.status_code == 303
    bad_form = {**form, "publicity_end": "2020-08-05"}
    bad = c.post("/cycle/recommendations", headers=api.h("gz"), data=bad_form, files=files)
    assert bad.status_code == 422 and "publicity_days" in bad.text
    other = {
        "file": ("c.csv", csv.replace("P3,individual,520000", "P3,individual,620000").encode())
    }
    wrong = c.post("/cycle/recommendations", headers=api.h("gz"), data=form, files=other)
    assert wrong.status_code == 422 and "其他单位" in wrong.text
