"""Administrative units for exports and reports: names by code, and a province or county
named on the command line (``--province 520000``, ``52``, ``贵州``, ``贵州省``, ``浙江``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from geomatch.errors import InputError
from geomatch.io.codes import as_text

if TYPE_CHECKING:
    from geomatch.dataset import Dataset

__all__ = [
    "ProvinceChoice",
    "UnitNames",
    "province_names",
    "resolve_county",
    "resolve_province",
    "unit_names",
]


@dataclass(frozen=True)
class ProvinceChoice:
    """A province chosen by code or name.

    Attributes
    ----------
    adcode, name
        ``520000``, ``贵州省``.
    poor
        It has poor counties (a western/central province); ``False`` for an eastern
        province, whose part of a run is its helpers' work.
    """

    adcode: str
    name: str
    poor: bool


@dataclass(frozen=True)
class UnitNames:
    """Names by code: provinces, counties (every county-level unit), townships, villages."""

    province: dict[str, str]
    county: dict[str, str]
    township: dict[str, str]
    village: dict[str, str]

    def of(self, codes: pd.Series) -> pd.Series:
        """The name of each county (6), township (9) or village (12) code ('' if unknown)."""
        text = as_text(codes)
        out = text.map(self.county)
        out = out.fillna(text.map(self.township)).fillna(text.map(self.village))
        return out.fillna("").astype("str")


def _names(df: pd.DataFrame, code: str = "code") -> dict[str, str]:
    return dict(zip(as_text(df[code]), df["name"].astype("str"), strict=False))


def province_names(dataset: Dataset) -> dict[str, str]:
    """Province adcode → name (the poverty list's names win over cnmaps')."""
    province = _names(dataset.provinces, "adcode")
    pc = dataset.poor_counties
    province.update(
        dict(zip(as_text(pc["province_adcode"]), pc["province"].astype("str"), strict=False))
    )
    return province


def unit_names(dataset: Dataset) -> UnitNames:
    """The names of every unit of the dataset (poor counties' names win over cnmaps')."""
    county = _names(dataset.counties, "adcode")
    county.update(_names(dataset.poor_counties.drop_duplicates("adcode"), "adcode"))
    return UnitNames(
        province=province_names(dataset),
        county=county,
        township=_names(dataset.townships),
        village=_names(dataset.villages),
    )


def resolve_province(dataset: Dataset, text: str) -> ProvinceChoice:
    """The province named by ``text``: ``520000``, ``52``, ``贵州省`` or ``贵州``.

    Raises
    ------
    InputError
        No province or several match (column ``--province``), listing examples.
    """
    names = province_names(dataset)
    poor = set(as_text(dataset.poor_counties["province_adcode"]))
    t = str(text).strip()
    code = f"{t}0000" if len(t) == 2 and t.isdigit() else t
    if code in names:
        return ProvinceChoice(code, names[code], code in poor)
    hits = [a for a, n in names.items() if n == t] or [
        a for a, n in names.items() if len(t) >= 2 and n.startswith(t)
    ]
    if len(hits) == 1:
        return ProvinceChoice(hits[0], names[hits[0]], hits[0] in poor)
    known = "、".join(sorted(names.values())[:6])
    why = "matches several provinces" if hits else "is not a province code or name"
    raise InputError(
        f"province {text!r} {why}; give its adcode (520000 or 52) or its Chinese name "
        f"(贵州 or 贵州省; e.g. {known} …)",
        column="--province",
    )


def resolve_county(dataset: Dataset, text: str) -> str:
    """The adcode of the poor county named by ``text`` (adcode or unique Chinese name).

    Raises
    ------
    InputError
        Unknown or ambiguous (column ``--county``).
    """
    pc = dataset.poor_counties.drop_duplicates("adcode")
    codes = as_text(pc["adcode"])
    t = str(text).strip()
    if t in set(codes):
        return t
    hits = codes[pc["name"].astype("str").to_numpy() == t].tolist()
    if len(hits) == 1:
        return str(hits[0])
    why = "names several poor counties" if hits else "is not the adcode or name of a poor county"
    raise InputError(f"county {text!r} {why}", column="--county")
