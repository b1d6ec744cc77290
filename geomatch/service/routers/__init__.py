"""The service's routes, one module per resource, each exposing ``router``.

Included by :func:`geomatch.service.app.create_app`. Role and province checks are the
dependencies of :mod:`geomatch.service.deps` (``require_role``, ``ScopedProvince``), never
code inside a route body; :data:`ERRORS` documents the error bodies every route may answer.
"""

from __future__ import annotations

from typing import Any

from geomatch.service.schemas import ErrorOut, ValidationErrorOut

__all__ = ["ERRORS"]

#: Error answers shared by the API routes (for the OpenAPI document).
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "no valid token or session"},
    403: {"model": ErrorOut, "description": "the role or province does not allow it"},
    404: {"model": ErrorOut, "description": "no such run, table, province or map"},
    413: {"model": ErrorOut, "description": "the request body is over the route's limit"},
    422: {
        "model": ValidationErrorOut | ErrorOut,
        "description": "parameters or body do not match the schema (a list of issues), "
        "or the request names something unknown (a sentence)",
    },
}
