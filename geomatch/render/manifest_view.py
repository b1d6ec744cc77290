"""The run manifest as a short list of facts for maps, exports and reports.

Every map and export shows where its numbers come from: the scenario, the SHA-256 of
each input (a folder's files folded into one digest), the versions of geomatch and its
solvers, the seed and the date (:func:`manifest_rows`).
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = ["manifest_frame", "manifest_html", "manifest_rows", "manifest_text"]

_VERSION_KEYS = ("geomatch", "python", "ortools", "pandas", "geopandas", "shapely", "folium")


def _input_digest(entry: Any) -> str:
    """``sha256`` of a file entry, or a digest of a folder's ``{file: sha256}`` entries."""
    if isinstance(entry, Mapping):
        if "sha256" in entry:
            return str(entry.get("sha256") or "missing")
        lines = "\n".join(f"{k}:{entry[k]}" for k in sorted(entry))
        digest = hashlib.sha256(lines.encode("utf-8")).hexdigest()
        return f"{digest} ({len(entry)} files)"
    return str(entry)


def manifest_rows(manifest: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Key facts of a manifest as ``(field, value)`` pairs, in a fixed order.

    Parameters
    ----------
    manifest
        ``manifest.json`` of a run (see :func:`geomatch.manifest.build_manifest`).

    Returns
    -------
    list of (str, str)
        ``scenario``, ``seed``, ``created``, ``command``, one ``input:<role>`` per input
        with its SHA-256, one ``version:<package>`` per recorded version.
    """
    rows: list[tuple[str, str]] = [
        ("scenario", str(manifest.get("scenario") or "")),
        ("seed", "" if manifest.get("seed") is None else str(manifest.get("seed"))),
        ("created", str(manifest.get("created") or "")),
        ("command", str(manifest.get("command") or "")),
    ]
    inputs = manifest.get("inputs") or {}
    if isinstance(inputs, Mapping):
        for role in sorted(inputs):
            rows.append((f"input:{role}", _input_digest(inputs[role])))
    versions = manifest.get("versions") or {}
    if isinstance(versions, Mapping):
        keys = [k for k in _VERSION_KEYS if k in versions]
        keys += sorted(k for k in versions if k not in _VERSION_KEYS)
        rows.extend((f"version:{k}", str(versions[k])) for k in keys)
    return rows


def manifest_frame(manifest: Mapping[str, Any]) -> pd.DataFrame:
    """:func:`manifest_rows` as a two-column table (``field``, ``value``)."""
    rows = manifest_rows(manifest)
    return pd.DataFrame({"field": [r[0] for r in rows], "value": [r[1] for r in rows]})


def manifest_text(manifest: Mapping[str, Any], *, sep: str = "; ") -> str:
    """One line of text (ICS descriptions): ``field=value`` joined by ``sep``."""
    return sep.join(f"{k}={v}" for k, v in manifest_rows(manifest) if v)


def manifest_html(manifest: Mapping[str, Any]) -> str:
    """An escaped HTML ``<details>`` block for maps and reports."""
    rows = manifest_rows(manifest)
    head = {k: v for k, v in rows[:3]}
    summary = html.escape(
        f"运行清单 run manifest — {head.get('scenario') or '?'} · seed {head.get('seed') or '?'}"
        f" · {head.get('created') or '?'}"
    )
    body = "".join(
        f"<tr><th>{html.escape(k)}</th><td><code>{html.escape(v)}</code></td></tr>" for k, v in rows
    )
    return (
        f'<details class="gm-manifest"><summary>{summary}</summary><table>{body}</table></details>'
    )
