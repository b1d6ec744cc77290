"""Candidate search: exact k nearest by great circle, compatibility rules, cost formula."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geomatch.candidates import build_candidates, compatible_specialties, relation_provinces
from geomatch.errors import InputError
from geomatch.model.pairing_settings import PairingSettings
from geomatch.settings import EARTH_RADIUS_KM


def _haversine(lon1, lat1, lon2, lat2):  # type: ignore[no-untyped-def]
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def _random(seed: int, n_h: int = 60, n_n: int = 25) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    helpers = pd.DataFrame(
        {
            "helper_id": [f"H{i}" for i in range(n_h)],
            "capacity": 2,
            "lon": rng.uniform(98, 122, n_h),
            "lat": rng.uniform(20, 45, n_h),
            "specialty": rng.choice(["crop", "livestock", "health", "agritourism"], n_h),
        }
    )
    needs = pd.DataFrame(
        {
            "need_id": [f"N{j}" for j in range(n_n)],
            "lon": rng.uniform(80, 110, n_n),
            "lat": rng.uniform(22, 45, n_n),
            "category": rng.choice(["crop", "health", "training"], n_n),
        }
    )
    return helpers, needs


@pytest.mark.parametrize("index", ["kdtree", "balltree"])
def test_k_cheapest_equal_brute_force(index: str) -> None:
    helpers, needs = _random(1)
    s = PairingSettings(
        relation_mode="ignore", k_nearest=4, radius_km=2000.0, neighbour_index=index
    )  # type: ignore[arg-type]
    arcs = build_candidates(helpers, needs, s)
    for _, n in needs.iterrows():
        fits = compatible_specialties(n["category"], helpers["specialty"].unique())
        h = helpers[helpers["specialty"].isin(list(fits))].copy()
        h["d"] = _haversine(n["lon"], n["lat"], h["lon"], h["lat"])
        h = h[h["d"] <= 2000.0]
        h["c"] = np.rint(h["d"] * 1.3) + h["specialty"].map(fits)
        want = h.sort_values(["c", "d"]).head(4)
        got = arcs[arcs["need_id"] == n["need_id"]]
        assert len(got) == len(want)
        assert sorted(got["cost"]) == sorted(want["c"].astype(int))
        np.testing.assert_allclose(
            np.sort(got["distance_km"]), np.sort(want["d"].round(1)), atol=0.11
        )


def test_kdtree_and_balltree_agree() -> None:
    helpers, needs = _random(2, n_h=200, n_n=80)
    a = build_candidates(helpers, needs, PairingSettings(relation_mode="ignore"))
    b = build_candidates(
        helpers, needs, PairingSettings(relation_mode="ignore", neighbour_index="balltree")
    )
    pd.testing.assert_frame_equal(a, b)


def test_cost_components_and_relation_bonus() -> None:
    helpers = pd.DataFrame(
        {
            "helper_id": ["SH", "BJ"],
            "capacity": [1, 1],
            "lon": [121.47, 116.40],
            "lat": [31.23, 39.90],
            "specialty": ["crop", "agritourism"],
            "province_adcode": ["310000", "110000"],
        }
    )
    needs = pd.DataFrame(
        {
            "need_id": ["YN"],
            "lon": [102.71],
            "lat": [25.04],
            "category": ["crop"],
            "adcode": ["530102"],
        }
    )
    rel = pd.DataFrame({"east_province_adcode": ["310000"], "west_adcode": ["530000"]})
    s = PairingSettings(relation_bonus=300)
    arcs = build_candidates(helpers, needs, s, relations=rel).set_index("helper_id")
    assert bool(arcs.at["SH", "relation"]) and arcs.at["SH", "relation_cost"] == 0
    assert arcs.at["BJ", "relation_cost"] == 300 and arcs.at["BJ", "fit_cost"] == 40
    for hid in ("SH", "BJ"):
        row = arcs.loc[hid]
        assert row["cost"] == row["travel_cost"] + row["fit_cost"] + row["relation_cost"]
        assert (
            row["travel_cost"] == round(row["distance_km"] * 1.3, 0)
            or abs(row["travel_cost"] - row["distance_km"] * 1.3) <= 1
        )
    # hard rule: only the paired province remains
    hard = build_candidates(
        helpers, needs, s.model_copy(update={"relation_mode": "hard"}), relations=rel
    )
    assert list(hard["helper_id"]) == ["SH"]
    with pytest.raises(InputError, match="hard"):
        build_candidates(helpers, needs, s.model_copy(update={"relation_mode": "hard"}))


def test_language_level_and_specialty_filters() -> None:
    helpers = pd.DataFrame(
        {
            "helper_id": ["zh_only", "bo_speaker", "junior_bo", "vet"],
            "capacity": 1,
            "lon": [104.0, 110.0, 104.1, 104.0],
            "lat": [30.0, 30.0, 30.0, 30.1],
            "specialty": ["health", "health", "health", "livestock"],
            "languages": ["zh", "zh;bo", "zh;bo", "zh"],
            "level": ["senior", "senior", "junior", "senior"],
        }
    )
    needs = pd.DataFrame(
        {
            "need_id": ["tibetan_clinic", "station_health"],
            "lon": [103.0, 103.0],
            "lat": [30.0, 30.0],
            "category": ["health", "health"],
            "language": ["bo", ""],
            "min_level": ["", "senior"],
        }
    )
    arcs = build_candidates(helpers, needs, PairingSettings(relation_mode="ignore"))
    got = arcs.groupby("need_id")["helper_id"].apply(set).to_dict()
    assert got["tibetan_clinic"] == {"bo_speaker", "junior_bo"}
    assert got["station_health"] == {"zh_only", "bo_speaker"}  # senior only, no vet


def test_radius_and_no_coordinates() -> None:
    helpers, needs = _random(3)
    arcs = build_candidates(
        helpers, needs, PairingSettings(relation_mode="ignore", radius_km=300.0)
    )
    assert (arcs["distance_km"] <= 300.05).all()
    with pytest.raises(InputError, match="no lon/lat"):
        build_candidates(helpers.drop(columns=["lon", "lat"]), needs, PairingSettings())


def test_relation_provinces_by_county_prefecture_province() -> None:
    rel = pd.DataFrame(
        {
            "east_province_adcode": ["310000", "320000", "330000"],
            "west_adcode": ["530000", "522300", "522326"],
        }
    )
    got = relation_provinces(["530102", "522326", "522301", "620102"], rel)
    # the most specific row wins: 522326's own row over its prefecture's
    assert got == {"530102": "310000", "522326": "330000", "522301": "320000", "620102": ""}
