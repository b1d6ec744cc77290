"""The service's routes, one module per resource, each exposing ``router``.

Included by :func:`geomatch.service.app.create_app`. Role and province checks are the
dependencies of :mod:`geomatch.service.deps` (``require_role``, ``ScopedProvince``), never
code inside a route body; :data:`ERRORS` documents the error bodies every route may answer.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Query

from geomatch.service.schemas import ErrorOut, ValidationErrorOut

__all__ = ["ERRORS", "YearForm", "YearQuery", "multipart_form"]

#: Years of the programme's records a request may name (2013 … 2035).
YEAR_MIN, YEAR_MAX = 2013, 2035
#: A year as a query parameter (``?year=2020``) and as a field of a page's form.
YearQuery = Annotated[int, Query(ge=YEAR_MIN, le=YEAR_MAX, description="year, e.g. 2020")]
YearForm = Annotated[int, Form(ge=YEAR_MIN, le=YEAR_MAX)]

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


def multipart_form(field: str, field_schema: dict[str, Any], files: str) -> dict[str, Any]:
    """The OpenAPI request body of an upload form: one text ``field`` and one ``file``.

    The routes read the form as it streams (:func:`geomatch.service.limits.read_multipart`),
    so FastAPI cannot derive the body from parameters; ``files`` describes the file types.
    """
    properties = {
        field: field_schema,
        "file": {"type": "string", "format": "binary", "description": files},
    }
    schema = {"type": "object", "required": [field, "file"], "properties": properties}
    return {
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
    }
