"""The quick path of ``geomatch pair --helpers H --needs N --arcs A --out DIR``.

Recognises exactly this command line (with ``--require-all``, ``--time-limit S`` and the
global ``-q``/``-v``), without typer, and runs
:func:`geomatch.solve.pairing_quick.quick_pair` on it. It answers ``None`` — and the full
application takes over — for any other command line and whenever the quick path is not
sure about the input (:class:`geomatch.solve.pairing_quick.NotQuickError`), so help, usage
errors and input errors always come from the full application.
"""

from __future__ import annotations

import logging
import math
import sys
from dataclasses import dataclass
from pathlib import Path

from geomatch.logs import configure_logging, verbosity

__all__ = ["QuickArgs", "parse_quick_args", "run_quick"]

log = logging.getLogger("geomatch.cli")

_VALUED = ("--helpers", "--needs", "--arcs", "--out", "--time-limit")
_FLAGS = ("--require-all",)


@dataclass(frozen=True)
class QuickArgs:
    """A ``geomatch pair`` command line the quick path can run."""

    helpers: Path
    needs: Path
    arcs: Path
    out: Path
    require_all: bool = False
    time_limit: float | None = None
    verbosity: int = 0


def parse_quick_args(args: list[str]) -> QuickArgs | None:
    """Parse ``[-q|-v …] pair --helpers H --needs N --arcs A --out DIR [options]``.

    Returns ``None`` for anything else: another command, an option given twice, an
    unknown or missing option, an empty or malformed value.
    """
    quiet = verbose = False
    i = 0
    while i < len(args) and args[i] in ("-q", "--quiet", "-v", "--verbose"):
        quiet = quiet or args[i] in ("-q", "--quiet")
        verbose = verbose or args[i] in ("-v", "--verbose")
        i += 1
    if i >= len(args) or args[i] != "pair":
        return None
    seen: dict[str, str] = {}
    flags: set[str] = set()
    rest = args[i + 1 :]
    j = 0
    while j < len(rest):
        name, eq, value = rest[j].partition("=")
        if name in _FLAGS and not eq and name not in flags:
            flags.add(name)
            j += 1
            continue
        if name not in _VALUED or name in seen:
            return None
        if not eq:
            if j + 1 >= len(rest):
                return None
            value = rest[j + 1]
            j += 1
        if value == "" or (value.startswith("-") and name != "--time-limit"):
            return None
        seen[name] = value
        j += 1
    if not {"--helpers", "--needs", "--arcs", "--out"} <= set(seen):
        return None
    time_limit = None
    if "--time-limit" in seen:
        try:
            time_limit = float(seen["--time-limit"])
        except ValueError:
            return None
        if not math.isfinite(time_limit) or time_limit <= 0:
            return None
    return QuickArgs(
        helpers=Path(seen["--helpers"]),
        needs=Path(seen["--needs"]),
        arcs=Path(seen["--arcs"]),
        out=Path(seen["--out"]),
        require_all="--require-all" in flags,
        time_limit=time_limit,
        verbosity=verbosity(quiet=quiet, verbose=verbose),
    )


def run_quick(args: list[str]) -> int | None:
    """Run the command line on the quick path; ``None`` when the full path must run it."""
    qa = parse_quick_args(args)
    if qa is None:
        return None
    from geomatch.model.pairing_defaults import PAIRING_DEFAULTS
    from geomatch.model.pairing_outputs import summary_line
    from geomatch.solve.pairing_quick import NotQuickError, quick_pair, write_quick_outputs

    configure_logging(qa.verbosity)
    # the settings of the full path's `pair --helpers --needs` (PairingSettings defaults)
    settings = {**PAIRING_DEFAULTS, "relation_mode": "ignore"}
    if qa.time_limit is not None:
        settings["time_limit_s"] = qa.time_limit
    try:
        result = quick_pair(qa.helpers, qa.needs, qa.arcs, settings, require_all=qa.require_all)
        write_quick_outputs(
            result,
            qa.out,
            inputs={"helpers": qa.helpers, "needs": qa.needs, "arcs": qa.arcs},
            settings=settings,
        )
    except (NotQuickError, OSError) as exc:
        log.debug("quick pairing path not taken (%s); running the full path", exc)
        return None
    except Exception as exc:  # a fault of the quick path must not cost the user the run
        log.warning("the quick pairing path failed (%r); running the full path", exc)
        log.debug("quick path failure", exc_info=True)
        return None
    sys.stdout.write(summary_line(result.summary, qa.out) + "\n")
    return 0
