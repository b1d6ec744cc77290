"""RFC 5545 writing: escaping and line folding."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from geomatch.render.ics import CalendarEvent, escape_text, fold_line, render_calendar


def test_escape():
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


@given(st.text(min_size=0, max_size=400))
def test_fold_keeps_text_and_octet_limit(text: str):
    line = "DESCRIPTION:" + escape_text(text.replace("\r", ""))
    folded = fold_line(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert folded.replace("\r\n ", "") == line


def test_fold_never_splits_a_chinese_character():
    line = "SUMMARY:" + "流动科技馆巡展" * 20
    for part in fold_line(line).split("\r\n"):
        part.encode("utf-8").decode("utf-8")  # each chunk is valid UTF-8 on its own
        assert len(part.encode("utf-8")) <= 75


def test_calendar_shape():
    ev = CalendarEvent(
        uid="x@geomatch", start=dt.date(2020, 3, 1), end=dt.date(2020, 3, 1), summary="s"
    )
    raw = render_calendar(
        [ev], name="n", description="d", stamp=dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    )
    lines = raw.decode().split("\r\n")
    assert lines[-1] == ""
    assert "DTSTAMP:20200102T030405Z" in lines
    assert "DTSTART;VALUE=DATE:20200301" in lines and "DTEND;VALUE=DATE:20200302" in lines
    assert lines.index("BEGIN:VEVENT") < lines.index("END:VEVENT")
