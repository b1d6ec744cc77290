"""Register import benchmark: a national-size register file checked and stored.

The file is built from the embedded dataset's synthetic experts (name, specialty, level,
capacity, institution, location) with generated valid resident ID numbers and mobile
numbers; a second copy has ``bad`` cells spoiled at random (unknown specialty, empty name,
non-numeric capacity, swapped coordinates, wrong ID check digit, short phone).

Measured, median of ``repeats``, in the same process:

* **geomatch** — :func:`geomatch.records.register_file.parse_register_bytes` (every error
  listed, column-wise checks of :mod:`geomatch.io.schema`) and
  :func:`geomatch.records.register.import_register` into a fresh SQLite database (HMAC of
  the numbers, one transaction);
* **peer** — a per-row pydantic v2 model with the same rules, collecting every error,
  as a hand-written importer would.

Both must report the same (row, column) set on the spoiled file.

    python solvers/bench/register.py [ROWS] [BAD] [REPEATS]
"""

from __future__ import annotations

import io
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, Field, ValidationError, field_validator

from geomatch.dataset import load_dataset
from geomatch.model.categories import CATEGORIES, HELPER_KINDS, LEVELS
from geomatch.records.identity import RegisterKey, id_number_problem, phone_problem
from geomatch.records.register import import_register
from geomatch.records.register_file import RegisterFileError, parse_register_bytes
from geomatch.service.db import make_engine, migrate

__all__ = ["register_bench"]

_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
COLUMNS = (
    "helper_id",
    "name",
    "kind",
    "specialty",
    "level",
    "capacity",
    "province_adcode",
    "institution",
    "lon",
    "lat",
    "id_number",
    "phone",
)


def _id(i: int) -> str:
    region, year = 110101 + i % 800000, 60 + i % 40
    body = f"{region:06d}19{year:02d}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _W, strict=True)) % 11]


def build_register(
    rows: int, bad: int, seed: int = 20161207
) -> tuple[bytes, bytes, set[tuple[int, str]]]:
    """A valid CSV, a spoiled copy and the (row, column) cells spoiled."""
    experts = load_dataset().helpers
    experts = experts[experts["kind"] == "expert"].reset_index(drop=True)
    take = experts.iloc[[i % len(experts) for i in range(rows)]].reset_index(drop=True)
    frame = pd.DataFrame(
        {
            "helper_id": [f"R{i:06d}" for i in range(rows)],
            "name": take["name"],
            "kind": "expert",
            "specialty": take["specialty"],
            "level": take["level"],
            "capacity": take["capacity"].astype(int),
            "province_adcode": take["province_adcode"],
            "institution": take["institution"],
            "lon": take["lon"].round(5),
            "lat": take["lat"].round(5),
            "id_number": [_id(i) for i in range(rows)],
            "phone": [f"13{i % 10}{i:08d}"[:11] for i in range(rows)],
        }
    )
    good = frame.to_csv(index=False).encode("utf-8")
    rng = random.Random(seed)
    spoil = {"specialty": "火箭", "name": "", "capacity": "x", "lon": "300", "phone": "123"}
    cells: set[tuple[int, str]] = set()
    text = frame.astype(str)
    for i in rng.sample(range(rows), bad):
        col = rng.choice([*spoil, "id_number"])
        if col in spoil:
            text.loc[i, col] = spoil[col]
        else:  # a wrong check digit
            last = text.loc[i, col][-1]
            text.loc[i, col] = text.loc[i, col][:-1] + ("0" if last != "0" else "1")
        cells.add((i + 2, col))
    return good, text.to_csv(index=False).encode("utf-8"), cells


class PeerRow(BaseModel):
    """The register's rules as one pydantic model per row (the peer)."""

    helper_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    kind: Literal[HELPER_KINDS] = "expert"  # type: ignore[valid-type]
    specialty: Literal[(*CATEGORIES, "")] = ""  # type: ignore[valid-type]
    level: Literal[(*LEVELS, "")] = ""  # type: ignore[valid-type]
    capacity: int = Field(ge=0)
    province_adcode: str = Field(pattern=r"^(\d{6}|\d{9}|\d{12})?$")
    institution: str = ""
    lon: float = Field(ge=73.0, le=135.5)
    lat: float = Field(ge=3.0, le=53.7)
    id_number: str
    phone: str

    @field_validator("id_number")
    @classmethod
    def _id(cls, v: str) -> str:
        if id_number_problem(v):
            raise ValueError("bad ID")
        return v

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str) -> str:
        if phone_problem(v):
            raise ValueError("bad phone")
        return v


def peer_errors(data: bytes) -> set[tuple[int, str]]:
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    found: set[tuple[int, str]] = set()
    for i, rec in enumerate(frame.to_dict("records")):
        try:
            PeerRow.model_validate(rec)
        except ValidationError as exc:
            found |= {(i + 2, str(e["loc"][0])) for e in exc.errors()}
    return found


def geomatch_errors(data: bytes) -> set[tuple[int, str]]:
    try:
        parse_register_bytes(data, "register.csv")
    except RegisterFileError as exc:
        return {(e.row or 0, (e.column or "").split(" (")[-1].rstrip(")")) for e in exc.errors}
    return set()


def _median(f: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return round(sorted(times)[len(times) // 2], 3)


def _import(data: bytes) -> None:
    folder = Path(tempfile.mkdtemp(prefix="geomatch-bench-register-"))
    engine = make_engine(f"sqlite:///{folder / 'r.db'}")
    migrate(engine)
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        import_register(session, parse_register_bytes(data, "r.csv"), "110000", RegisterKey(b"k"))
        session.commit()
    engine.dispose()


def register_bench(rows: int = 30_000, bad: int = 150, repeats: int = 3) -> dict[str, object]:
    good, spoiled, cells = build_register(rows, bad)
    ours, peer = geomatch_errors(spoiled), peer_errors(spoiled)
    return {
        "rows": rows,
        "bad_cells": len(cells),
        "same_errors": ours == peer == cells,
        "geomatch_check_valid_s": _median(lambda: parse_register_bytes(good, "r.csv"), repeats),
        "peer_check_valid_s": _median(lambda: peer_errors(good), repeats),
        "geomatch_check_spoiled_s": _median(lambda: geomatch_errors(spoiled), repeats),
        "peer_check_spoiled_s": _median(lambda: peer_errors(spoiled), repeats),
        "geomatch_import_s": _median(lambda: _import(good), repeats),
    }


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    print(json.dumps(register_bench(*args), indent=2))
