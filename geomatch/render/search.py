"""Pinyin of place names for the maps' search box (``GM.search`` in geomatch-map.js).

The search box finds a county, township or village by its Chinese name, its pinyin
(``weining``, initials ``wn``) or its code. The pinyin is computed when the page is drawn,
offline, by the package ``pypinyin`` and embedded compactly: one reading per character
(:func:`pinyin_table` ``chars``), plus the whole-name reading of the few names whose phrase
reading differs from their characters' own (``names``: 长顺县 is *changshun*, not *zhangshun*).
The browser rebuilds each name's pinyin from these two tables.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

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


_TONE_MARKS = dict.fromkeys(
    i
    for i in range(0x300, 0x370)  # combining diacritics left by NFD
)


@functools.cache
def _toneless(syllable: str) -> str:
    """``lǚ`` → ``lv``, ``zhǎng`` → ``zhang`` (pypinyin's NORMAL style)."""
    text = unicodedata.normalize("NFD", syllable).replace("u\u0308", "v")
    return text.translate(_TONE_MARKS).lower()


@functools.cache
def _dictionaries() -> tuple[dict[int, str], dict[str, Any]]:
    from pypinyin.phrases_dict import phrases_dict
    from pypinyin.pinyin_dict import pinyin_dict

    return pinyin_dict, phrases_dict


def _is_han(ch: str) -> bool:
    return ch == "\u3007" or "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def _default(ch: str, single: dict[int, str]) -> str:
    raw = single.get(ord(ch))
    return _toneless(raw.split(",")[0]) if raw else ch.lower()


def _rereads(name: str, phrases: dict[str, Any], single: dict[int, str]) -> bool:
    """Whether a word of pypinyin's phrase dictionary in ``name`` (2–4 characters) reads
    otherwise than its characters' default readings (长顺 → changshun, not zhangshun)."""
    n = len(name)
    for k in (2, 3, 4):
        for i in range(n - k + 1):
            word = name[i : i + k]
            reading = phrases.get(word)
            if reading and [_toneless(r[0]) for r in reading] != [
                _default(ch, single) for ch in word
            ]:
                return True
    return False


def pinyin_table(names: Iterable[str]) -> PinyinTable:
    """The per-character readings of ``names`` and the names that need their own reading.

    A character reads as pypinyin's first (most common) reading; a name is read as a
    phrase (:func:`name_pinyin`) only when it contains a word of pypinyin's phrase
    dictionary that reads otherwise than its characters, and kept in ``names`` when that
    reading differs.

    Parameters
    ----------
    names
        Place names (duplicates and empty names are ignored).
    """
    single, phrases = _dictionaries()
    chars: dict[str, str] = {}
    exceptions: dict[str, str] = {}
    for name in sorted({str(n) for n in names if n and str(n) != "nan"}):
        for ch in name:
            if ch not in chars and _is_han(ch) and ord(ch) in single:
                chars[ch] = _default(ch, single)
        if not _rereads(name, phrases, single):
            continue
        phrase = "".join(name_pinyin(name))
        if "".join(chars.get(ch, ch.lower()) for ch in name) != phrase:
            exceptions[name] = " ".join(name_pinyin(name))
    return PinyinTable(chars=dict(sorted(chars.items())), names=exceptions)
