"""Reading CSV in the encodings Chinese offices use, and broken files."""

from __future__ import annotations

from pathlib import Path

import pytest

from geomatch.errors import InputError
from geomatch.io.tables import read_table

HEADER = "need_id,adcode,category,name\n"
ROWS = "N1,522727,crop,平塘县克度镇\nN2,522728,health,罗甸县龙坪镇\n"


def _write(tmp_path: Path, data: bytes, name: str = "needs.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize(
    ("encoding", "prefix", "expected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
        ("gbk", b"", "gb18030"),
        ("gb18030", b"", "gb18030"),
    ],
)
def test_reads_utf8_bom_and_gbk(tmp_path, encoding, prefix, expected):
    p = _write(tmp_path, prefix + (HEADER + ROWS).encode(encoding))
    df = read_table(p)
    assert list(df.columns) == ["need_id", "adcode", "category", "name"]
    assert df["name"].tolist() == ["平塘县克度镇", "罗甸县龙坪镇"]
    assert df.attrs["encoding"] == expected


def test_codes_keep_leading_zeros_and_text(tmp_path):
    p = _write(tmp_path, b"need_id,adcode\n007,010101\n")
    df = read_table(p)
    assert df.loc[0, "need_id"] == "007"
    assert df.loc[0, "adcode"] == "010101"


def test_garbage_bytes_name_the_row(tmp_path):
    # valid UTF-8 header, then bytes that are neither UTF-8 nor GB18030
    p = _write(tmp_path, HEADER.encode() + b"N1,522727,crop,ok\nN2,522728,crop,\x80\xff\xfe\n")
    with pytest.raises(InputError) as err:
        read_table(p)
    assert err.value.row == 3
    assert str(p) in str(err.value)


def test_binary_file_is_rejected(tmp_path):
    p = _write(tmp_path, b"PK\x03\x04\x00\x00binary")
    with pytest.raises(InputError, match="not a text CSV"):
        read_table(p)


def test_unterminated_quote_names_the_row(tmp_path):
    p = _write(tmp_path, (HEADER + 'N1,522727,crop,ok\nN2,522728,crop,"open\nN3,1,2,3\n').encode())
    with pytest.raises(InputError, match="unterminated quote") as err:
        read_table(p)
    assert err.value.row == 3


def test_quoted_newlines_are_fine(tmp_path):
    p = _write(tmp_path, (HEADER + 'N1,522727,crop,"two\nlines"\n').encode())
    assert read_table(p).loc[0, "name"] == "two\nlines"


def test_ragged_row(tmp_path):
    p = _write(tmp_path, (HEADER + "N1,522727,crop,a,EXTRA\n").encode())
    with pytest.raises(InputError, match="5 fields but the header has 4") as err:
        read_table(p)
    assert err.value.row == 2


def test_duplicate_header(tmp_path):
    p = _write(tmp_path, b"need_id,need_id\n1,2\n")
    with pytest.raises(InputError, match="twice") as err:
        read_table(p)
    assert err.value.column == "need_id"


@pytest.mark.parametrize("data", [b"", b"\n\n"])
def test_empty_file(tmp_path, data):
    with pytest.raises(InputError, match="empty"):
        read_table(_write(tmp_path, data))


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="unsupported"):
        read_table(_write(tmp_path, b"x", "needs.xls"))


def test_parquet_round_trip(tmp_path):
    import pandas as pd

    p = tmp_path / "needs.parquet"
    pd.DataFrame({"need_id": ["a", "b"], "size": [1.5, None]}).to_parquet(p)
    df = read_table(p)
    assert df["need_id"].tolist() == ["a", "b"]
    assert df["size"].tolist() == ["1.5", ""]
