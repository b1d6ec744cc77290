"""A scenario runner for the service tests, with a run folder's layout (docs/ARCHITECTURE.md).

It stands in for :func:`geomatch.pipeline.run_scenario` where the tests need control over
timing and failure (a slow run to kill, a broken run), and writes the same files: the six
tables, ``manifest.json`` and maps with a sibling ``assets/`` folder. Two provinces:
甘肃 (620000) with three counties and 贵州 (520000) with two. Text cells include a formula
and an ID number, so the export tests can check neutralising and masking.

Scenario names: ``quick`` (immediate), ``slow`` (about 30 s, reporting progress),
``broken`` (raises :class:`geomatch.errors.InputError`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd

from geomatch.errors import InputError
from geomatch.io.output import atomic_output_dir, write_csv
from geomatch.progress import ProgressCallback
from geomatch.render.coverage import COVERAGE_CONTRACT_COLUMNS

COUNTIES = [
    # adcode, name, province, province_adcode
    ("620121", "永登县", "甘肃省", "620000"),
    ("620122", "皋兰县", "甘肃省", "620000"),
    ("621126", "岷县", "甘肃省", "620000"),
    ("520322", "桐梓县", "贵州省", "520000"),
    ("522732", "三都水族自治县", "贵州省", "520000"),
]
NEEDS = {  # need_id -> county
    "N1": "620121",
    "N2": "620121",
    "N3": "620122",
    "N4": "621126",
    "N5": "520322",
    "N6": "522732",
    "N7": "522732",
}
HELPERS = {"H1": "330000", "H2": "330000", "H3": "440000"}  # helper_id -> province


def run_scenario(
    scenario: str | Path,
    out: str | Path,
    *,
    maps: str | Path | None = None,
    progress: ProgressCallback | None = None,
) -> Path:
    name = Path(scenario).stem
    cb = progress or (lambda f, m: None)
    if name == "broken":
        raise InputError("value 'x' is not a whole number", file="needs.csv", row=3, column="size")
    steps = 60 if name == "slow" else 2
    for i in range(steps):
        cb(i / steps * 0.9, f"step {i + 1}/{steps}")
        if name == "slow":
            time.sleep(0.5)
    out = Path(out)
    with atomic_output_dir(out) as stage:
        pairs = [
            ("N1", "H1", 120, 1, 1234.5),
            ("N2", "H2", 80, 1, 1100.0),
            ("N3", "H1", 95, 2, 1200.1),
            ("N5", "H3", 60, 1, 800.2),
            ("N6", "H3", 70, 1, 850.7),
        ]
        write_csv(
            pd.DataFrame(
                pairs, columns=["need_id", "helper_id", "cost", "load", "distance_km"]
            ).assign(
                adcode=[NEEDS[p[0]] for p in pairs],
                reason=[
                    '=HYPERLINK("x")',
                    "east-west pair",
                    "nearest",
                    "nearest",
                    "联系人 620102199001011234",
                ],
            ),
            stage / "pairings.csv",
        )
        write_csv(
            pd.DataFrame(
                {
                    "need_id": ["N4", "N7"],
                    "adcode": ["621126", "522732"],
                    "reason": ["no_capacity", "no_candidate"],
                    "stage": ["pairing", "pairing"],
                    # the texts name needs and counties of other provinces (masked for
                    # a planner) and of their own (kept)
                    "detail": [
                        "H1 已满：N5 (520322) 与 N6 成本更低；同省 N3 (620122) 已结对",
                        "无候选：最近的 N1 在 620121，N7 本身在 522732",
                    ],
                    "fix": ["给 H1 增加 1 个名额（替代 N5）", "扩大半径至 N2 所在 620121"],
                }
            ),
            stage / "unmet.csv",
        )
        write_csv(
            pd.DataFrame(
                {
                    "adcode": ["620121", "620121", "520322"],
                    "set_id": ["GS-1", "GS-1", "GZ-1"],
                    "visit_no": [1, 2, 1],
                    "start_date": ["2020-03-01", "2020-09-01", "2020-04-01"],
                    "end_date": ["2020-03-10", "2020-09-10", "2020-04-10"],
                    "travel_km": [12.5, 40.0, 33.3],
                }
            ),
            stage / "museum_visits.csv",
        )
        write_csv(
            pd.DataFrame(
                {
                    "caravan_id": ["C620100", "C520300"],
                    "date": ["2020-05-01", "2020-05-02"],
                    "seq": [1, 1],
                    "stop_code": ["620121100", "520322101"],
                    "travel_km": [20.0, 15.5],
                }
            ),
            stage / "caravan_tours.csv",
        )
        cov = []
        paired = {p[0] for p in pairs}
        for code, cname, prov, _pa in COUNTIES:
            experts = sum(1 for n, c in NEEDS.items() if c == code and n in paired)
            unmet = sum(1 for n, c in NEEDS.items() if c == code and n in {"N4", "N7"})
            cov.append(
                (
                    code,
                    cname,
                    prov,
                    "H1;H2" if code == "620121" else "",
                    2 if code == "620121" else (1 if code == "520322" else 0),
                    1 if code in ("620121", "520322") else 0,
                    experts,
                    unmet,
                )
            )
        write_csv(
            pd.DataFrame(cov, columns=list(COVERAGE_CONTRACT_COLUMNS)),
            stage / "coverage.csv",
        )
        write_csv(
            pd.DataFrame(
                {
                    "scope": ["province", "province"],
                    "province_adcode": ["620000", "520000"],
                    "province": ["甘肃省", "贵州省"],
                    "poor_counties": [3, 2],
                    "needs_met_share": [0.75, 0.667],
                }
            ),
            stage / "kpi.csv",
        )
        (stage / "manifest.json").write_text(json.dumps({"scenario": name}), encoding="utf-8")
    if maps is not None:
        maps = Path(maps)
        (maps / "province").mkdir(parents=True, exist_ok=True)
        (maps / "assets").mkdir(exist_ok=True)
        (maps / "assets" / "map.js").write_text("window.GEOMATCH_MAP_OK = true;\n")
        (maps / "national.html").write_text(
            '<!doctype html><html><head><meta charset="utf-8"><script src="assets/map.js">'
            "</script></head><body><h1>全国覆盖图</h1>"
            # a realistic size, so that the service compresses it
            + "<!-- "
            + "贫困县覆盖 " * 2000
            + "--></body></html>",
            encoding="utf-8",
        )
        for pa, pname in (("620000", "甘肃省"), ("520000", "贵州省")):
            (maps / "province" / f"{pa}.html").write_text(
                '<!doctype html><html><head><meta charset="utf-8">'
                '<script src="../assets/map.js"></script></head>'
                f"<body><h1 id='title'>{pname} 覆盖图</h1></body></html>",
                encoding="utf-8",
            )
    cb(1.0, "done")
    return out
