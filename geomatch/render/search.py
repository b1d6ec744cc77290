"""Pinyin of place names for the maps' search box (``GM.search`` in geomatch-map.js).

The search box finds a county, township or village by its Chinese name, its pinyin
(``weining``, initials ``wn``) or its code. The pinyin is computed when the page is drawn,
offline, by the package ``pypinyin`` and embedded compactly: one reading per character
(:func:`pinyin_table` ``chars``), plus the whole-name reading of the few names whose phrase
reading differs from their characters' own (``names``: 长顺县 is *changshun*, not *zhangshun*).
The browser rebuilds each name's pinyin from these two tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["PinyinTable", "name_pinyin", "pinyin_table"]


@dataclass(frozen=True)
class PinyinTable:
    """Readings for a set of names.

    Attributes
    ----------
    chars
        Han character → its most common reading (tone-less, lower case).
    names
        Name → space-separated syllables, for names read otherwise as a phrase.
    """

    chars: dict[str, str]
    names: dict[str, str]

    def as_json(self) -> dict[str, dict[str, str]]:
        """The table as ``GM.search`` reads it."""
        return {"chars": self.chars, "names": self.names}


def name_pinyin(name: str) -> list[str]:
    """The syllables of ``name`` read as a phrase (non-Han characters kept as they are)."""
    from pypinyin import Style, lazy_pinyin

    return [s.lower() for s in lazy_pinyin(name, style=Style.NORMAL, errors="default")]


def _char_reading(ch: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return str(lazy_pinyin(ch, style=Style.NORMAL)[0]).lower()


def _is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def pinyin_table(names: Iterable[str]) -> PinyinTable:
    """The per-character readings of ``names`` and the names that need their own reading.

    Parameters
    ----------
    names
        Place names (duplicates and empty names are ignored).
    """
    chars: dict[str, str] = {}
    exceptions: dict[str, str] = {}
    for name in sorted({str(n) for n in names if n and str(n) != "nan"}):
        phrase = name_pinyin(name)
        for ch in name:
            if _is_han(ch) and ch not in chars:
                chars[ch] = _char_reading(ch)
        by_char = "".join(chars.get(ch, ch.lower()) for ch in name)
        # lazy_pinyin keeps a run of non-Han characters as one item: compare joined text
        if by_char != "".join(phrase):
            exceptions[name] = " ".join(phrase)
    return PinyinTable(chars=dict(sorted(chars.items())), names=exceptions)
