"""``/api/cycle``: the annual cycle — evaluation, quotas, commendation, spot checks.

* the national office runs the evaluation, the quotas, the national commendation stage,
  objections and spot checks;
* a planner reads their province's score (with its indicator breakdown) and quota and
  submits their province's recommendations: over the quota → 422 naming the quota,
  outside the publicity rules → 422 naming the rule;
* analysts (and the national office) export the tables as CSV.

The rules are those of the command line (:mod:`geomatch.cycle`, ``solvers/*.toml``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, Form, HTTPException, Request, UploadFile, status
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from geomatch.cycle import store
from geomatch.cycle.commend import Window, default_window
from geomatch.cycle.rules import load_rules
from geomatch.cycle.schemas import (
    CandidateBody,
    CommendOut,
    EvaluateIn,
    EvaluateOut,
    ObjectionIn,
    QuotaOut,
    QuotasIn,
    RecommendationOut,
    RecommendIn,
    RecommendOut,
    SpotcheckIn,
    SpotcheckOut,
    UnitScoreOut,
    YearIn,
)
from geomatch.errors import (
    AuthorizationError,
    DatasetMissingError,
    GeomatchError,
    InfeasibleError,
    InputError,
    SolverTimeoutError,
)
from geomatch.service.auth import Principal
from geomatch.service.deps import (
    CsrfForm,
    CurrentUser,
    DbSession,
    FullReader,
    NationalUser,
    PageUser,
    ScopedProvince,
    Settings,
)
from geomatch.service.routers import ERRORS, YearForm, YearQuery

__all__ = ["api", "pages", "router", "run_evaluation", "submit"]

#: The API (``/api/cycle``) and the pages (``/cycle``), included by the app as one router.
router = APIRouter()
api = APIRouter(prefix="/api/cycle", tags=["cycle"])
pages = APIRouter(include_in_schema=False)


def unprocessable(exc: GeomatchError) -> HTTPException:
    """422 with the rule (or constraint) the request breaks."""
    rule = getattr(exc, "rule", None) or getattr(exc, "constraint", None) or ""
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT, detail=f"{exc}" + (f" [{rule}]" if rule else "")
    )


def run_evaluation(session: Session, year: int, data_dir: Path | None) -> EvaluateOut:
    """Evaluate ``year`` from the database's records and store the unit scores."""
    from geomatch.cycle.evaluate import evaluate, load_indicators
    from geomatch.cycle.records_source import deep_poverty_counties, inputs_from_db

    inp = inputs_from_db(
        session, year, kpi=store.latest_kpi(session), deep_counties=deep_poverty_counties(data_dir)
    )
    ev = evaluate(inp, load_indicators())
    store.store_evaluation(session, ev, year)
    session.commit()
    return EvaluateOut(year=year, agreements=len(ev.agreements), units=len(ev.units))


@api.post("/evaluate", response_model=EvaluateOut, responses=ERRORS, summary="Evaluate a year")
def post_evaluate(
    body: EvaluateIn, session: DbSession, user: NationalUser, settings: Settings
) -> EvaluateOut:
    try:
        return run_evaluation(session, body.year, settings.data_dir)
    except InputError as exc:
        raise unprocessable(exc) from None


@api.get("/scores", response_model=list[UnitScoreOut], responses=ERRORS, summary="Unit scores")
def get_scores(
    session: DbSession, user: CurrentUser, province: ScopedProvince, year: YearQuery
) -> list[Any]:
    return store.scores(session, year, province)


@api.post("/quotas", response_model=list[QuotaOut], responses=ERRORS, summary="Next year's quotas")
def post_quotas(body: QuotasIn, session: DbSession, user: NationalUser) -> list[Any]:
    try:
        store.quotas_from_scores(
            session, body.year, body.total, floor=body.floor, cap=body.cap, method=body.method
        )
    except (InfeasibleError, InputError) as exc:
        raise unprocessable(exc) from None
    session.commit()
    return _quotas(session, body.year + 1, None)


def _quotas(session: Session, year: int, unit: str | None) -> list[Any]:
    import sqlalchemy as sa

    from geomatch.cycle.orm import CycleQuota

    q = sa.select(CycleQuota).where(CycleQuota.year == year)
    if unit is not None:
        q = q.where(CycleQuota.unit == unit)
    return list(session.execute(q.order_by(CycleQuota.quota.desc(), CycleQuota.unit)).scalars())


@api.get("/quotas", response_model=list[QuotaOut], responses=ERRORS, summary="Quotas of a year")
def get_quotas(
    session: DbSession, user: CurrentUser, province: ScopedProvince, year: YearQuery
) -> list[Any]:
    return _quotas(session, year, province)


def submit(session: Session, user: Principal, body: RecommendIn) -> RecommendOut:
    """Check scope and rules, then store a unit's recommendations."""
    if user.role == "analyst":
        raise AuthorizationError("分析员不能提交推荐 (analysts read only)")
    unit = body.unit or user.province
    if unit is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail="unit is required")
    if user.role == "planner" and unit != user.province:
        raise AuthorizationError(f"只能为本省推荐 (a planner recommends for {user.province} only)")
    cands = [store.CandidateIn(**c.model_dump()) for c in body.candidates]
    try:
        n = store.submit_recommendations(
            session, year=body.year, unit=unit, cands=cands,
            window=Window(body.publicity_start, body.publicity_end), rules=load_rules(),
            user=user.name,
        )  # fmt: skip
    except store.RuleViolationError as exc:
        session.rollback()
        raise unprocessable(exc) from None
    session.commit()
    return RecommendOut(year=body.year, unit=unit, recommended=n)


@api.post("/recommendations", response_model=RecommendOut, responses=ERRORS, summary="Recommend")
def post_recommendations(body: RecommendIn, session: DbSession, user: CurrentUser) -> RecommendOut:
    return submit(session, user, body)


@api.get(
    "/recommendations",
    response_model=list[RecommendationOut],
    responses=ERRORS,
    summary="Recommendations",
)
def get_recommendations(
    session: DbSession, user: CurrentUser, province: ScopedProvince, year: YearQuery
) -> list[Any]:
    return store.recommendations(session, year, province)


@api.post("/commend", response_model=CommendOut, responses=ERRORS, summary="National stage")
def post_commend(body: YearIn, session: DbSession, user: NationalUser) -> CommendOut:
    try:
        out = store.commend_stored(session, body.year, load_rules())
    except (InfeasibleError, SolverTimeoutError) as exc:
        raise unprocessable(exc) from None
    session.commit()
    return CommendOut(**out)


@api.post("/objections", response_model=CommendOut, responses=ERRORS, summary="Objection")
def post_objection(body: ObjectionIn, session: DbSession, user: NationalUser) -> CommendOut:
    try:
        out = store.apply_objection(session, body.year, body.candidate_id, body.date, load_rules())
    except (store.RuleViolationError, InfeasibleError, InputError, SolverTimeoutError) as exc:
        session.rollback()
        raise unprocessable(exc) from None
    session.commit()
    return CommendOut(**out)


@api.post("/spotcheck", response_model=SpotcheckOut, responses=ERRORS, summary="Spot check")
def post_spotcheck(
    body: SpotcheckIn, session: DbSession, user: NationalUser, settings: Settings
) -> SpotcheckOut:
    import dataclasses

    from geomatch.cycle.spotcheck import draw_sample, itinerary, load_spotcheck
    from geomatch.dataset import load_dataset

    s = load_spotcheck()
    s = dataclasses.replace(
        s, start=s.start.replace(year=body.year), deadline=s.deadline.replace(year=body.year)
    )
    stored = store.scores(session, body.year)
    scores = pd.DataFrame(
        [
            {"unit": r.unit, "score": r.score, "liangshu": r.breakdown.get("liangshu", 0.0)}
            for r in stored
        ]
    )
    try:
        poor = pd.DataFrame(
            load_dataset(root=settings.data_dir).poor_counties.drop(columns="geometry")
        )
    except DatasetMissingError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(exc)) from None
    try:
        sample = draw_sample(
            poor.drop_duplicates("adcode"), provinces=body.provinces,
            per_province=body.per_province, seed=body.seed, settings=s,
            scores=scores if len(scores) else None,
        )  # fmt: skip
        plan = itinerary(sample.counties, s)
    except InfeasibleError as exc:
        raise unprocessable(exc) from None
    return SpotcheckOut(
        sample=sample.counties.drop(columns=["lon", "lat"]).to_dict("records"),
        itinerary=plan.to_dict("records"),
    )


Table = Literal["scores", "quotas", "recommendations"]


def export_frame(session: Session, table: Table, year: int) -> pd.DataFrame:
    """A stored table of the cycle as a frame (the CSV export)."""
    if table == "scores":
        rows = store.scores(session, year)
        return pd.DataFrame(
            [{"unit": r.unit, "unit_name": r.unit_name, "unit_type": r.unit_type, "score": r.score,
              "rank": r.rank, "grade": r.grade, **r.breakdown} for r in rows]
        )  # fmt: skip
    if table == "quotas":
        return pd.DataFrame(
            [QuotaOut.model_validate(r).model_dump() for r in _quotas(session, year, None)]
        )
    return pd.DataFrame(
        [
            RecommendationOut.model_validate(r).model_dump()
            for r in store.recommendations(session, year)
        ]
    )


@api.get("/export/{table}.csv", responses=ERRORS, summary="Export a table (CSV)")
def export_csv(
    table: Annotated[Table, PathParam()], session: DbSession, user: FullReader, year: YearQuery
) -> Response:
    from geomatch.io.output import mask_personal_numbers, neutralise_formulas

    df = mask_personal_numbers(neutralise_formulas(export_frame(session, table, year)))
    body = "\ufeff" + df.to_csv(index=False, lineterminator="\n")
    return Response(
        body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="cycle_{table}_{year}.csv"'},
    )


# ── pages ────────────────────────────────────────────────────────────────────────────

GRADE_CLASS = {"优秀": "good", "良好": "good", "合格": "", "不合格": "warn"}
IND_ZH = {
    "liangshu": "“两数”完成", "coverage": "运行覆盖", "agreement_grades": "协议等级",
    "timeliness": "报送及时", "deep_poverty": "深度贫困地区",
}  # fmt: skip


async def _page(
    request: Request,
    session: Session,
    user: Principal,
    year: int,
    *,
    error: str = "",
    code: int = 200,
) -> HTMLResponse:
    from geomatch.service.routers.pages import render

    scope = user.province
    rules = load_rules()
    window = default_window(rules)
    context: dict[str, Any] = {
        "user": user, "year": year, "error": error, "message": request.query_params.get("msg", ""),
        "scores": store.scores(session, year, scope), "quotas": _quotas(session, year + 1, scope),
        "recommendations": store.recommendations(session, year, scope), "ind_zh": IND_ZH,
        "grade_class": GRADE_CLASS, "window": window, "deadline": rules.deadline,
        "publicity_days": rules.publicity_days,
    }  # fmt: skip
    return await render(request, "cycle_index.html", context, status_code=code)


@pages.get("/cycle", response_class=HTMLResponse)
async def cycle_page(
    request: Request, session: DbSession, user: PageUser, year: YearQuery = 2020
) -> Response:
    return await _page(request, session, user, year)


def _back(year: int, msg: str) -> RedirectResponse:
    return RedirectResponse(f"/cycle?{urlencode({'year': year, 'msg': msg})}", status_code=303)


@pages.post("/cycle/evaluate", dependencies=[CsrfForm])
def evaluate_form(
    session: DbSession,
    user: PageUser,
    settings: Settings,
    year: YearForm,
) -> Response:
    if user.role != "national":
        raise AuthorizationError("只有全国科协可以运行评估")
    try:
        out = run_evaluation(session, year, settings.data_dir)
    except InputError as exc:
        return _back(year, f"未评估：{exc}")
    return _back(year, f"已评估 {out.units} 个单位、{out.agreements} 份协议")


@pages.post("/cycle/commend", dependencies=[CsrfForm])
async def commend_form(
    request: Request,
    session: DbSession,
    user: PageUser,
    year: YearForm,
) -> Response:
    if user.role != "national":
        raise AuthorizationError("只有全国科协可以进行全国评选")
    try:
        out = store.commend_stored(session, year, load_rules())
    except (InfeasibleError, SolverTimeoutError) as exc:
        session.rollback()
        return await _page(request, session, user, year, error=str(exc), code=422)
    session.commit()
    return _back(year, f"全国评选完成：选出 {out['selected']} 个")


@pages.post("/cycle/recommendations", dependencies=[CsrfForm])
async def recommend_form(
    request: Request,
    session: DbSession,
    user: PageUser,
    year: YearForm,
    publicity_start: Annotated[str, Form(max_length=10)],
    publicity_end: Annotated[str, Form(max_length=10)],
    file: UploadFile,
    unit: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Upload a unit's recommendations (candidates CSV) with the publicity window."""
    try:
        body = RecommendIn(
            year=year, unit=unit or None, publicity_start=dt.date.fromisoformat(publicity_start),
            publicity_end=dt.date.fromisoformat(publicity_end),
            candidates=_candidates_of(
                await file.read(), file.filename or "upload.csv", unit or user.province or ""
            ),
        )  # fmt: skip
        out = submit(session, user, body)
    except (ValueError, InputError) as exc:
        return await _page(request, session, user, year, error=str(exc), code=422)
    except HTTPException as exc:
        if exc.status_code != 422:
            raise
        return await _page(request, session, user, year, error=str(exc.detail), code=422)
    return _back(year, f"{out.unit} 已提交推荐 {out.recommended} 个")


def _candidates_of(data: bytes, name: str, unit: str) -> list[CandidateBody]:
    """The candidates of an uploaded table (every row must be of ``unit``)."""
    import tempfile

    from geomatch.cycle.candidates import read_candidates

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(name).with_suffix(".csv").name
        path.write_bytes(data)
        df = read_candidates(path, load_rules().categories)
    others = sorted(set(df["unit"]) - {unit})
    if others:
        raise InputError(
            f"候选对象表中有其他单位的对象（unit {', '.join(others)}），推荐单位为 {unit}"
        )
    cols = list(CandidateBody.model_fields)
    return [CandidateBody.model_validate(r) for r in df[cols].to_dict("records")]


router.include_router(api)
router.include_router(pages)
