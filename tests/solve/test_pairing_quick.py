"""The quick pairing path against the full path (same files, same outputs) and HiGHS.

The quick path (:mod:`geomatch.solve.pairing_quick`) must either write exactly what the
full path writes, apart from timings, or step aside (``None``) and let the full path
answer — never a different answer, never its own error.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import milp
from scipy.sparse import coo_matrix, hstack, identity

from geomatch.cli.main import main
from geomatch.cli.quick import run_quick
from geomatch.model.pairing_settings import PairingSettings
from geomatch.solve.pairing_quick import quick_pair

_TIMING = {"seconds", "solve_seconds", "build_seconds"}


@dataclass(frozen=True)
class Instance:
    capacity: list[int]
    arcs: list[tuple[int, int, int]]  # helper, need, cost
    penalty: list[int | None]  # None: from the priority
    priority: list[str] | None
    category: list[str] | None
    specialty: list[str] | None


@st.composite
def instances(draw: st.DrawFn) -> Instance:
    H = draw(st.integers(1, 6))
    N = draw(st.integers(1, 12))
    capacity = draw(st.lists(st.integers(0, 7), min_size=H, max_size=H))
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, H - 1), st.integers(0, N - 1)),
            unique=True,
            max_size=H * N,
        )
    )
    # few distinct costs: ties between arcs, and between arcs and penalties
    arcs = [(h, n, draw(st.sampled_from([-3, 0, 5, 20, 40, 6000]))) for h, n in pairs]
    pen = draw(st.lists(st.sampled_from([None, 0, 5, 20, 40, 100]), min_size=N, max_size=N))
    prio = draw(
        st.none()
        | st.lists(
            st.sampled_from(["remaining", "newly_poor", "returned", "ordinary"]),
            min_size=N,
            max_size=N,
        )
    )
    cats = ["crop", "health", "", "NA"]
    cat = draw(st.none() | st.lists(st.sampled_from(cats), min_size=N, max_size=N))
    spec = draw(st.none() | st.lists(st.sampled_from(cats), min_size=H, max_size=H))
    return Instance(capacity, arcs, pen, prio, cat, spec)


@dataclass(frozen=True)
class Style:
    """How a planner's spreadsheet wrote the files."""

    encoding: str = "utf-8"  # utf-8 | utf-8-sig | gb18030
    newline: str = "\n"
    pad: str = ""  # spaces around values
    quote_ids: bool = False
    load_column: bool = False
    penalty_column: bool = True
    chinese_ids: bool = False


styles = st.builds(
    Style,
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
    newline=st.sampled_from(["\n", "\r\n"]),
    pad=st.sampled_from(["", " ", "\t "]),
    quote_ids=st.booleans(),
    load_column=st.booleans(),
    penalty_column=st.booleans(),
    chinese_ids=st.booleans(),
)


def write_instance(folder: Path, inst: Instance, style: Style) -> dict[str, Path]:
    """Write ``helpers.csv``, ``needs.csv`` and ``arcs.csv`` in the given style."""
    folder.mkdir(parents=True, exist_ok=True)
    hname = (lambda i: f"专家{i}") if style.chinese_ids else (lambda i: f"H{i:02d}")
    nname = (lambda i: f"需求{i}") if style.chinese_ids else (lambda i: f"N{i:02d}")

    def cell(v: object, *, ident: bool = False) -> str:
        text = "" if v is None else str(v)
        if ident and style.quote_ids:
            text = f'"{text}"'
        return f"{style.pad}{text}{style.pad}" if text else text

    def table(name: str, header: list[str], rows: list[list[str]]) -> Path:
        text = style.newline.join([",".join(header), *(",".join(r) for r in rows)])
        p = folder / name
        p.write_bytes((text + style.newline).encode(style.encoding))
        return p

    hh = ["helper_id", "capacity"] + (["specialty"] if inst.specialty else [])
    spec = inst.specialty
    hrows = [
        [cell(hname(i), ident=True), cell(c)] + ([cell(spec[i])] if spec else [])
        for i, c in enumerate(inst.capacity)
    ]
    nh = ["need_id"]
    nh += ["unmet_penalty"] if style.penalty_column else []
    nh += ["priority"] if inst.priority else []
    nh += ["category"] if inst.category else []
    nrows = []
    for i in range(len(inst.penalty)):
        row = [cell(nname(i), ident=True)]
        row += [cell(inst.penalty[i])] if style.penalty_column else []
        row += [cell(inst.priority[i])] if inst.priority else []
        row += [cell(inst.category[i])] if inst.category else []
        nrows.append(row)
    ah = ["helper_id", "need_id", "cost"] + (["load"] if style.load_column else [])
    arows = [
        [cell(hname(h), ident=True), cell(nname(n), ident=True), cell(c)]
        + ([cell(1 if (h + n) % 2 else None)] if style.load_column else [])
        for h, n, c in inst.arcs
    ]
    return {
        "helpers": table("helpers.csv", hh, hrows),
        "needs": table("needs.csv", nh, nrows),
        "arcs": table("arcs.csv", ah, arows),
    }


def pair_args(files: dict[str, Path], out: Path, *extra: str) -> list[str]:
    return [
        "-q",
        "pair",
        "--helpers",
        str(files["helpers"]),
        "--needs",
        str(files["needs"]),
        "--arcs",
        str(files["arcs"]),
        *extra,
        "--out",
        str(out),
    ]


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _without_timing(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k not in _TIMING}


def assert_same_outputs(quick: Path, full: Path) -> None:
    """Byte-identical CSVs; JSON identical apart from timings, creation time, out path."""
    for name in ("pairings.csv", "unmet.csv"):
        assert (quick / name).read_bytes() == (full / name).read_bytes(), name
    assert _without_timing(_json(quick / "summary.json")) == _without_timing(
        _json(full / "summary.json")
    )
    mq, mf = _json(quick / "manifest.json"), _json(full / "manifest.json")
    for m in (mq, mf):
        m.pop("created")
        m["summary"] = _without_timing(m["summary"])
    assert mq == mf


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(inst=instances(), style=styles, require_all=st.booleans())
def test_quick_path_writes_what_the_full_path_writes(
    tmp_path_factory: pytest.TempPathFactory, inst: Instance, style: Style, require_all: bool
) -> None:
    folder = tmp_path_factory.mktemp("inst")
    files = write_instance(folder, inst, style)
    extra = ("--require-all",) if require_all else ()
    full_rc = main(pair_args(files, folder / "full", *extra), quick=False)
    quick_rc = run_quick(pair_args(files, folder / "quick", *extra))
    if require_all and full_rc == 3:
        # infeasible as asked: the quick path steps aside and writes nothing
        assert quick_rc is None and not (folder / "quick").exists()
        return
    assert full_rc == 0
    assert quick_rc == 0, "a plain transportation file set must take the quick path"
    assert_same_outputs(folder / "quick", folder / "full")


def test_every_reason_and_long_holder_lists_match_the_full_path(tmp_path: Path) -> None:
    inst = Instance(
        capacity=[7, 0, 1],
        # H0 takes N0..N6 (7 needs, its whole capacity); N7 only has H0 (capacity_taken,
        # "and 2 more"); N8 has H1 (no capacity); N9 costs more than its penalty on H2;
        # N10 has no arc (no_candidate)
        arcs=[(0, n, 5) for n in range(8)] + [(1, 8, 5), (2, 9, 500)],
        penalty=[100] * 7 + [1, 1, 100, 100],
        priority=["remaining"] * 4 + ["ordinary"] * 7,
        category=None,
        specialty=["crop", "", "health"],
    )
    files = write_instance(tmp_path, inst, Style())
    limit = ("--time-limit", "7.5")  # recorded in the manifest's settings
    assert main(pair_args(files, tmp_path / "full", *limit), quick=False) == 0
    assert run_quick(pair_args(files, tmp_path / "quick", *limit)) == 0
    assert_same_outputs(tmp_path / "quick", tmp_path / "full")
    unmet = (tmp_path / "quick" / "unmet.csv").read_text(encoding="utf-8-sig")
    for reason in ("capacity_taken", "cost_above_penalty", "no_candidate", "and 2 more"):
        assert reason in unmet


def _highs_optimum(inst: Instance, penalty: list[int]) -> float:
    """The same model as a MILP for HiGHS (scipy.optimize.milp)."""
    A, N, H = len(inst.arcs), len(inst.penalty), len(inst.capacity)
    ah = np.array([a[0] for a in inst.arcs], dtype=int)
    an = np.array([a[1] for a in inst.arcs], dtype=int)
    c = np.r_[np.array([a[2] for a in inst.arcs], dtype=float), np.array(penalty, dtype=float)]
    eq = hstack([coo_matrix((np.ones(A), (an, np.arange(A))), shape=(N, A)), identity(N)])
    ub = hstack([coo_matrix((np.ones(A), (ah, np.arange(A))), shape=(H, A)), coo_matrix((H, N))])
    from scipy.optimize import Bounds, LinearConstraint

    res = milp(
        c,
        constraints=[
            LinearConstraint(eq.tocsr(), np.ones(N), np.ones(N)),
            LinearConstraint(ub.tocsr(), -np.inf, np.array(inst.capacity, dtype=float)),
        ],
        integrality=np.ones(A + N),
        bounds=Bounds(0, 1),
    )
    assert res.status == 0
    return float(res.fun)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inst=instances())
def test_quick_optimum_equals_highs_and_invariants_hold(
    tmp_path_factory: pytest.TempPathFactory, inst: Instance
) -> None:
    folder = tmp_path_factory.mktemp("milp")
    files = write_instance(folder, inst, Style())
    s = PairingSettings(relation_mode="ignore")
    r = quick_pair(files["helpers"], files["needs"], files["arcs"], s.model_dump())
    weights = s.priority_weights
    prio = inst.priority or ["ordinary"] * len(inst.penalty)
    penalty = [
        p if p is not None else round(s.unmet_penalty * weights[q])
        for p, q in zip(inst.penalty, prio, strict=True)
    ]
    assert r.summary["objective"] == pytest.approx(_highs_optimum(inst, penalty))
    # invariants: each need at most once, capacities held, every need paired or unmet
    paired = [row[0] for row in r.pairings]
    assert len(paired) == len(set(paired))
    assert len(paired) + len(r.unmet) == len(inst.penalty)
    load: dict[str, int] = {}
    for row in r.pairings:
        load[row[1]] = load.get(row[1], 0) + 1
    for i, cap in enumerate(inst.capacity):
        assert load.get(f"H{i:02d}", 0) <= cap
    arcs = {(f"H{h:02d}", f"N{n:02d}") for h, n, _ in inst.arcs}
    assert all((row[1], row[0]) in arcs for row in r.pairings)


# --- the quick path steps aside ------------------------------------------------------

BASE = {
    "helpers.csv": "helper_id,capacity\nH1,1\nH2,2\n",
    "needs.csv": "need_id,unmet_penalty\nN1,100\nN2,100\nN3,100\n",
    "arcs.csv": "helper_id,need_id,cost\nH1,N1,10\nH2,N2,20\nH2,N3,30\n",
}

ASIDE = {
    # bad input: the full path reports it (exit 2)
    "duplicate helper": ("helpers.csv", "helper_id,capacity\nH1,1\nH1,2\n"),
    "negative capacity": ("helpers.csv", "helper_id,capacity\nH1,-1\nH2,2\n"),
    "empty need id": ("needs.csv", "need_id,unmet_penalty\nN1,100\n,100\nN3,100\n"),
    "unknown arc id": ("arcs.csv", "helper_id,need_id,cost\nH9,N1,10\n"),
    "pair twice": ("arcs.csv", "helper_id,need_id,cost\nH1,N1,10\nH1,N1,11\n"),
    "ragged row": ("arcs.csv", "helper_id,need_id,cost\nH1,N1,10,7\n"),
    "unterminated quote": ("arcs.csv", 'helper_id,need_id,cost\n"H1,N1,10\n'),
    "unknown priority": ("needs.csv", "need_id,priority\nN1,urgent\nN2,ordinary\nN3,ordinary\n"),
    "missing column": ("arcs.csv", "helper_id,need_id\nH1,N1\n"),
    "not a number": ("arcs.csv", "helper_id,need_id,cost\nH1,N1,ten\n"),
    # valid but outside the quick scope: the full path solves it (exit 0)
    "decimal capacity": ("helpers.csv", "helper_id,capacity\nH1,1.0\nH2,2\n"),
    "extra column": ("helpers.csv", "helper_id,capacity,kind\nH1,1,expert\nH2,2,society\n"),
    "load 2": ("arcs.csv", "helper_id,need_id,cost,load\nH1,N1,10,1\nH2,N2,20,2\n"),
    "distance column": ("arcs.csv", "helper_id,need_id,cost,distance_km\nH1,N1,10,12.5\n"),
    "formula id": ("needs.csv", "need_id,unmet_penalty\n=N1,100\nN2,100\nN3,100\n"),
    "phone-like id": ("needs.csv", "need_id,unmet_penalty\n13812345678,100\nN2,100\nN3,1\n"),
    "no-break space": ("needs.csv", "need_id,unmet_penalty\nN1\u00a0,100\nN2,100\nN3,100\n"),
    "blank line": ("arcs.csv", "helper_id,need_id,cost\nH1,N1,10\n\nH2,N2,20\n"),
    "plus sign": ("arcs.csv", "helper_id,need_id,cost\nH1,N1,+10\n"),
    "huge cost": ("arcs.csv", "helper_id,need_id,cost\nH1,N1,5000000000\n"),
}


@pytest.mark.parametrize("case", sorted(ASIDE))
def test_quick_path_steps_aside_and_the_full_path_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    name, text = ASIDE[case]
    files = {}
    for fname, body in {**BASE, name: text}.items():
        (tmp_path / fname).write_text(body, encoding="utf-8")
        files[fname.removesuffix(".csv")] = tmp_path / fname
    assert run_quick(pair_args(files, tmp_path / "quick")) is None
    assert not (tmp_path / "quick").exists()
    capsys.readouterr()
    rc_full = main(pair_args(files, tmp_path / "full"), quick=False)
    err_full = capsys.readouterr().err
    rc = main(pair_args(files, tmp_path / "auto"))
    err = capsys.readouterr().err
    assert rc == rc_full and err == err_full
    assert rc in (0, 2)
    if rc == 2:
        assert "file " in err and not (tmp_path / "auto").exists()


def test_require_all_infeasible_exits_3_with_the_binding_constraint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {}
    for fname, body in BASE.items():
        (tmp_path / fname).write_text(body, encoding="utf-8")
        files[fname.removesuffix(".csv")] = tmp_path / fname
    (tmp_path / "helpers.csv").write_text("helper_id,capacity\nH1,1\nH2,1\n", encoding="utf-8")
    assert main(pair_args(files, tmp_path / "out", "--require-all")) == 3
    assert "capacity" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_quick_path_imports_neither_pandas_numpy_typer_nor_pydantic(tmp_path: Path) -> None:
    files = {}
    for fname, body in BASE.items():
        (tmp_path / fname).write_text(body, encoding="utf-8")
        files[fname.removesuffix(".csv")] = tmp_path / fname
    code = (
        "import sys\n"
        "from geomatch.cli.main import main\n"
        f"rc = main({pair_args(files, tmp_path / 'out')!r})\n"
        "print(rc, *(m in sys.modules for m in ('pandas', 'numpy', 'typer', 'pydantic')))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.splitlines()[-1].split() == ["0", "False", "False", "False", "False"]
    assert (tmp_path / "out" / "pairings.csv").exists()
