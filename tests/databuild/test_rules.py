"""The data-truth rules on small hand-made inputs: partner precedence, seat lookup order,
exit-year corrections, the recode table's consistency with the poor-county list."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geomatch.databuild.codes import read_recodes
from geomatch.databuild.poverty import apply_exit_corrections
from geomatch.databuild.relations import resolve_partners
from geomatch.databuild.seats import SeatSources, county_seats, snap_seats
from geomatch.errors import GeomatchError


def _relations(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["east_province_adcode", "east_unit", "west_adcode", "mechanism"]
    )


def test_most_specific_row_wins() -> None:
    poor = pd.DataFrame(
        {
            "adcode": ["513431", "513422", "510000x", "522326"],
            "prefecture_adcode": ["513400", "513400", "510100", "522300"],
            "province_adcode": ["510000", "510000", "510000", "520000"],
        }
    )
    rel = _relations(
        [
            ("330000", "浙江省", "510000", "east_west"),
            ("440000", "佛山市", "513400", "east_west"),
            ("330000", "浙江省", "513422", "counterpart_support"),
        ]
    )
    got = resolve_partners(poor, rel)
    assert got["partner_level"].tolist() == ["prefecture", "county", "province", ""]
    assert got["partner_provinces"].tolist() == ["440000", "330000", "330000", ""]
    assert got.at[1, "partner_mechanisms"] == "counterpart_support"
    # two rows of one level are both kept
    rel2 = pd.concat([rel, _relations([("320000", "江苏省", "513400", "east_west")])])
    assert resolve_partners(poor, rel2).at[0, "partner_provinces"] == "320000;440000"


def _sources() -> SeatSources:
    primary = pd.DataFrame(
        {"name": ["甲县", "乙县", "旧丙县", "丁县"], "lon": [100.1, 101.1, 102.5, 103.0],
         "lat": [30.1, 31.1, 32.5, 33.0]},
        index=["510101", "510102", "510190", "510104"],
    )  # fmt: skip
    second = pd.DataFrame(
        {"province": ["四川省"], "county": ["戊县"], "lon": [104.2], "lat": [34.2]}
    ).set_index(["province", "county"])
    return SeatSources(primary=primary, second=second)


def test_seat_lookup_order() -> None:
    corners = ((100, 30), (101, 31), (102, 32), (104, 34), (105, 35))
    boxes = [shapely.box(x, y, x + 1, y + 1) for x, y in corners]
    counties = gpd.GeoDataFrame(
        {
            "adcode": ["510101", "510199", "510103", "510105", "510106"],
            "adcode_cnmaps": ["510101", "510102", "510103", "510105", "510106"],
            "name": ["甲县", "乙县", "丙区", "戊县", "己县"],
            "province": ["四川省"] * 5,
        },
        geometry=boxes,
    )
    inscribed = np.array(
        [[100.5, 30.5], [101.5, 31.5], [102.2, 32.2], [104.5, 34.5], [105.5, 35.5]]
    )
    seats = county_seats(counties, _sources(), inscribed, {"510103": ("丙区",)})
    assert seats["seat_source"].tolist() == ["cpca", "cpca", "cpca", "china-region", "inscribed"]
    # by code; by the cnmaps code; by the retired unit whose seat lies inside; by name
    assert seats["seat_key"].tolist()[:4] == [
        "cpca:510101 甲县",
        "cpca:510102 乙县",
        "cpca:510190 旧丙县",
        "china-region:四川省 戊县",
    ]
    assert (seats.at[2, "seat_lon"], seats.at[4, "seat_lon"]) == (102.5, 105.5)


def test_exit_corrections_check_the_listed_year(tmp_path: Path) -> None:
    (tmp_path / "exit_year_corrections.csv").write_text(
        "adcode,county,exit_year_listed,exit_year,source,note\n532322,双柏县,2019,2018,公告,\n",
        encoding="utf-8",
    )
    listed = pd.DataFrame({"adcode": ["532322", "532301"], "exit_year": ["2019", "2018"]})
    fixed = apply_exit_corrections(listed, tmp_path)
    assert fixed["exit_year"].tolist() == ["2018", "2018"]
    with pytest.raises(GeomatchError, match="not listed with exit year 2019"):
        apply_exit_corrections(listed.assign(exit_year="2018"), tmp_path)


def test_recodes_must_cover_the_poor_list(tmp_path: Path) -> None:
    (tmp_path / "county_recodes.csv").write_text(
        "adcode_cnmaps,name_cnmaps,adcode,name,change,year,note\n"
        "540422,米林县,540481,米林市,撤县设市,,\n",
        encoding="utf-8",
    )
    poverty = pd.DataFrame({"adcode": ["540481"], "adcode_cnmaps": ["540422"]})
    rec = read_recodes(tmp_path, poverty)
    assert rec.code == {"540422": "540481"} and rec.name == {"540481": "米林市"}
    missing = pd.DataFrame({"adcode": ["540581"], "adcode_cnmaps": ["540530"]})
    with pytest.raises(GeomatchError, match="540530"):
        read_recodes(tmp_path, missing)


def test_seat_outside_goes_to_the_seatless_unit_split_off() -> None:
    counties = gpd.GeoDataFrame(
        {
            "seat_lon": [101.5, 101.6, 100.0005, 103.5],
            "seat_lat": [30.5, 30.6, 30.5, 30.5],
            "seat_source": ["cpca", "inscribed", "cpca", "cpca"],
            "seat_key": ["cpca:330110 余杭区", "", "cpca:520381 赤水市", "cpca:210421 抚顺县"],
            "inscribed_lon": [100.5, 101.6, 100.5, 102.5],
            "inscribed_lat": [30.5, 30.6, 30.5, 30.5],
        },
        geometry=[
            shapely.box(100, 30, 101, 31),  # 余杭: its source seat lies in 临平
            shapely.box(101, 30, 102, 31),  # 临平: no seat of its own
            shapely.box(99, 29, 100, 31),  # 赤水: seat 50 m across the simplified border
            shapely.box(102, 30, 103, 31),  # 抚顺县: seat in the city next door (no box)
        ],
    )
    got = snap_seats(counties)
    assert got["seat_source"].tolist() == ["inscribed", "cpca", "cpca", "cpca"]
    assert (got.at[0, "seat_lon"], got.at[1, "seat_lon"]) == (100.5, 101.5)
    assert got.at[1, "seat_key"] == "cpca:330110 余杭区"
    assert shapely.contains_xy(
        counties.geometry.iloc[2], got.at[2, "seat_lon"], got.at[2, "seat_lat"]
    )
    assert got.at[3, "seat_lon"] == 103.5
