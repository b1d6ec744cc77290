"""Unmet penalties: the county station comes before a training session."""

from __future__ import annotations

import pandas as pd
import pytest
from pydantic import ValidationError

from geomatch.model.pairing_settings import PairingSettings
from geomatch.solve.pairing import solve_pairing, unmet_penalties

NEEDS = pd.DataFrame(
    {
        "need_id": ["ST-1-crop", "TR-1"],
        "kind": ["station", "training"],
        "priority": ["ordinary", "ordinary"],
        "deep_poverty_area": ["", ""],
    }
)


def test_kind_weights_scale_the_penalty():
    s = PairingSettings()
    assert unmet_penalties(NEEDS, s).tolist() == [18000, 6000]
    flat = PairingSettings(kind_weights={"station": 1.0})
    assert unmet_penalties(NEEDS, flat).tolist() == [6000, 6000]


def test_needs_without_kind_weigh_one():
    plain = NEEDS.drop(columns=["kind"])
    assert unmet_penalties(plain, PairingSettings()).tolist() == [6000, 6000]


def test_unknown_kind_is_refused():
    with pytest.raises(ValidationError, match="unknown need kind"):
        PairingSettings(kind_weights={"stations": 2.0})


def test_one_unit_of_capacity_goes_to_the_station():
    helpers = pd.DataFrame({"helper_id": ["H1"], "capacity": [1]})
    # the training is the cheaper pair, but the station's unmet penalty is three times higher
    arcs = pd.DataFrame(
        {
            "helper_id": ["H1", "H1"],
            "need_id": ["ST-1-crop", "TR-1"],
            "cost": [900, 100],
            "load": [1, 1],
        }
    )
    res = solve_pairing(helpers, NEEDS, arcs, PairingSettings(), arcs_given=True)
    assert res.pairings["need_id"].tolist() == ["ST-1-crop"]
    assert res.unmet["need_id"].tolist() == ["TR-1"]
