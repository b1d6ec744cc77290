"""Unknown and renamed administrative codes."""

from __future__ import annotations

import pandas as pd
import pytest

from geomatch.errors import InputError
from geomatch.io.codes import check_known_codes, code_aliases

POOR = pd.DataFrame(
    {
        "adcode": ["532601", "610981", "522727"],
        "adcode_source": ["532600", "610981", "522727"],
        "adcode_cnmaps": ["532601", "610928", "522727"],
    }
)


def test_aliases_from_source_and_cnmaps_codes():
    assert code_aliases(POOR) == {"532600": "532601", "610928": "610981"}


def test_known_codes_pass_and_empty_cells_are_skipped():
    df = pd.DataFrame({"adcode": ["522727", "", "610981"]})
    check_known_codes(df, "adcode", POOR["adcode"])


def test_renamed_code_suggests_the_current_one():
    df = pd.DataFrame({"adcode": ["522727", "610928"]})
    with pytest.raises(InputError, match="use 610981") as err:
        check_known_codes(
            df, "adcode", POOR["adcode"], file="needs.csv", aliases=code_aliases(POOR)
        )
    assert (err.value.file, err.value.row, err.value.column) == ("needs.csv", 3, "adcode")


def test_unknown_code():
    df = pd.DataFrame({"adcode": ["999999"]})
    with pytest.raises(InputError, match="unknown administrative code '999999'"):
        check_known_codes(df, "adcode", POOR["adcode"])


def test_every_unknown_code_is_listed_in_row_order():
    df = pd.DataFrame({"adcode": ["610928", "522727", "999999", "", "123"]})
    with pytest.raises(InputError) as err:
        check_known_codes(df, "adcode", POOR["adcode"], file="n.csv", aliases=code_aliases(POOR))
    text = str(err.value)
    assert "3 problems" in text and text.index("row 2") < text.index("row 4") < text.index("row 6")
    assert "use 610981" in text and "'999999'" in text and "'123'" in text
    assert (err.value.file, err.value.row, err.value.column) == ("n.csv", 2, "adcode")
