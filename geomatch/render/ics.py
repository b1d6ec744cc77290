"""iCalendar (RFC 5545) files of mobile-museum visits and caravan trips, written by hand.

A small, strict subset: ``VCALENDAR`` with ``VERSION``, ``PRODID``, ``CALSCALE``,
``METHOD``, ``X-WR-CALNAME`` and ``X-WR-CALDESC`` (the run manifest), and one
all-day ``VEVENT`` per museum visit or caravan day with ``UID``, ``DTSTAMP``,
``DTSTART;VALUE=DATE``, ``DTEND;VALUE=DATE`` (exclusive, the day after the last),
``SUMMARY``, ``LOCATION``, ``DESCRIPTION`` and ``CATEGORIES``. Text values are escaped
(``\\\\``, ``\\;``, ``\\,``, ``\\n``), lines are folded at 75 octets without splitting a
UTF-8 character, and every line ends with CRLF. ``DTSTAMP`` is the run's creation time, so
the same run gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["CalendarEvent", "escape_text", "fold_line", "parse_stamp", "render_calendar"]

_MAX_OCTETS = 75


@dataclass(frozen=True)
class CalendarEvent:
    """One all-day event.

    Attributes
    ----------
    uid
        Globally unique, stable id (e.g. ``museum-621121-1-62-set-1@geomatch``).
    start, end
        First and last day (inclusive).
    summary, location, description
        Text (escaped when written).
    category
        ``museum`` or ``caravan``.
    """

    uid: str
    start: dt.date
    end: dt.date
    summary: str
    location: str = ""
    description: str = ""
    category: str = ""


def escape_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 §3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold_line(line: str) -> str:
    """Fold a content line into chunks of at most 75 octets joined by CRLF + space.

    Continuation lines start with one space, which counts towards their 75 octets.
    A multi-byte UTF-8 character is never split.
    """
    out: list[str] = []
    current = ""
    size = 0
    limit = _MAX_OCTETS
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            out.append(current)
            current, size, limit = ch, n, _MAX_OCTETS - 1
        else:
            current += ch
            size += n
    out.append(current)
    return "\r\n ".join(out)


def _date(d: dt.date) -> str:
    return d.strftime("%Y%m%d")


def render_calendar(
    events: Iterable[CalendarEvent],
    *,
    name: str,
    description: str,
    stamp: dt.datetime,
) -> bytes:
    """Render a calendar.

    Parameters
    ----------
    events
        The events, written in the order given.
    name
        Calendar name (``X-WR-CALNAME``).
    description
        Calendar description (``X-WR-CALDESC``; the run manifest).
    stamp
        ``DTSTAMP`` of every event (UTC).

    Returns
    -------
    bytes
        UTF-8 text with CRLF line ends.
    """
    stamp_txt = stamp.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//geomatch//coverage plan//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        f"X-WR-CALDESC:{escape_text(description)}",
    ]
    for ev in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{escape_text(ev.uid)}",
            f"DTSTAMP:{stamp_txt}",
            f"DTSTART;VALUE=DATE:{_date(ev.start)}",
            f"DTEND;VALUE=DATE:{_date(ev.end + dt.timedelta(days=1))}",
            f"SUMMARY:{escape_text(ev.summary)}",
        ]
        if ev.location:
            lines.append(f"LOCATION:{escape_text(ev.location)}")
        if ev.description:
            lines.append(f"DESCRIPTION:{escape_text(ev.description)}")
        if ev.category:
            lines.append(f"CATEGORIES:{escape_text(ev.category)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return ("\r\n".join(fold_line(x) for x in lines) + "\r\n").encode("utf-8")


def parse_stamp(manifest: Mapping[str, object]) -> dt.datetime:
    """The run's creation time from its manifest (``created``), or 2000-01-01 UTC."""
    text = str(manifest.get("created") or "")
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        return dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)
