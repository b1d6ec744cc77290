"""List function bodies longer than a limit (default 80 lines), longest first.

Usage: ``python scripts/long_functions.py [PATH ...] [--max 80]`` (default path
``geomatch``). A body is counted from its first statement after the docstring to its
last line, so signatures and docstrings are free. Exit status 1 when any is found.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LongFunction:
    """One function over the limit."""

    path: Path
    line: int
    name: str
    body_lines: int


def _body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = node.body
    first = body[0]
    is_doc = (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )
    if is_doc and len(body) > 1:
        first = body[1]
    end = node.end_lineno or first.lineno
    return end - first.lineno + 1


def long_functions(path: Path, limit: int) -> Iterator[LongFunction]:
    """Functions (methods and nested functions too) of ``path`` whose body exceeds ``limit``."""
    files = [path] if path.is_file() else sorted(path.rglob("*.py"))
    for f in files:
        tree = ast.parse(f.read_text(encoding="utf-8"), filename=str(f))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = _body_lines(node)
                if n > limit:
                    yield LongFunction(f, node.lineno, node.name, n)


def main(argv: list[str] | None = None) -> int:
    """Print ``path:line name body-lines`` for each long function; 1 if any."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", type=Path, default=[Path("geomatch")])
    ap.add_argument("--max", type=int, default=80, help="longest body allowed (lines)")
    args = ap.parse_args(argv)
    found = [lf for p in args.paths for lf in long_functions(p, args.max)]
    for lf in sorted(found, key=lambda x: -x.body_lines):
        sys.stdout.write(f"{lf.path}:{lf.line} {lf.name} {lf.body_lines}\n")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
