"""Limits enforced before and while a request body is read.

:class:`BodyLimitMiddleware` (pure ASGI) sits in front of every route. For a request with a
body it

1. authenticates first (:func:`geomatch.service.deps.identify`; token or session cookie):
   a route that needs a user answers 401 before a single body byte is read, so an
   anonymous client cannot make the server spool anything;
2. refuses a ``Content-Length`` over the route's cap with 413;
3. counts the bytes as they arrive and answers 413 as soon as the cap is passed (a
   missing or lying ``Content-Length`` changes nothing).

Caps: :data:`UPLOAD_PATHS` (``/api/datasets`` and what other routers register with
:func:`allow_upload`) take ``GEOMATCH_MAX_UPLOAD_MB`` plus a little for the multipart
envelope; every other route ``GEOMATCH_MAX_BODY_KB``.

:class:`CsvShapeGuard` checks an uploaded CSV while it streams — columns, rows, cell length —
and :func:`read_multipart` parses an upload form chunk by chunk, feeding the guard, so a
million-column file is refused after its first kilobytes, not after minutes of parsing.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, NoReturn

from fastapi import HTTPException, status
from starlette.requests import HTTPConnection

from geomatch.errors import InputError
from geomatch.service.config import ServiceSettings

__all__ = [
    "PUBLIC_PATHS",
    "UPLOAD_PATHS",
    "BodyLimitMiddleware",
    "CsvLimitError",
    "CsvShapeGuard",
    "FileTooLargeError",
    "StreamedForm",
    "allow_upload",
    "csv_guards",
    "read_multipart",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Route prefixes that accept uploads (the upload cap instead of the small body cap).
UPLOAD_PATHS: set[str] = {"/api/datasets"}
#: Paths that take a body without a signed-in user (the login form; logging out of an
#: expired session shows the login form rather than a 401 body).
PUBLIC_PATHS: frozenset[str] = frozenset({"/login", "/logout"})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_ENVELOPE = 64 * 1024  # multipart headers and the other form fields


def allow_upload(prefix: str) -> None:
    """Let routes under ``prefix`` take bodies up to the upload cap (for other routers)."""
    UPLOAD_PATHS.add(prefix)


def body_cap(settings: ServiceSettings, path: str) -> int:
    """The most bytes a request body to ``path`` may have."""
    if any(path == p or path.startswith(p + "/") for p in UPLOAD_PATHS):
        return settings.max_upload_bytes + _ENVELOPE
    return settings.max_body_bytes


def _too_large(cap: int) -> HTTPException:
    return HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE,
        detail=f"请求体超过上限 {cap} 字节 (the request body is larger than {cap} bytes)",
    )


async def _send_json(send: Send, code: int, body: dict[str, Any], headers: list[Any]) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class BodyLimitMiddleware:
    """Authentication, ``Content-Length`` and a streaming byte cap before any body is read."""

    def __init__(self, app: ASGIApp, settings: ServiceSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        from geomatch.service.deps import identify

        path: str = scope["path"]
        if path not in PUBLIC_PATHS and await identify(HTTPConnection(scope)) is None:
            await _send_json(
                send,
                401,
                {"detail": "需要有效的令牌或登录 (a valid API token is required)"},
                [(b"www-authenticate", b"Bearer")],
            )
            return
        cap = body_cap(self.settings, path)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > cap:
            await _send_json(send, 413, {"detail": _too_large(cap).detail}, [])
            return
        await self._counted(scope, receive, send, cap)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, cap: int) -> None:
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:
                    raise _too_large(cap)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except HTTPException as exc:  # raised from receive outside a route's handlers
            if started or exc.status_code != 413:
                raise
            await _send_json(send, 413, {"detail": exc.detail}, [])


class FileTooLargeError(InputError):
    """The uploaded file is larger than ``GEOMATCH_MAX_UPLOAD_MB`` (HTTP 413)."""


class CsvLimitError(InputError):
    """An uploaded CSV has more columns or rows, or longer cells, than allowed."""


@dataclass
class CsvShapeGuard:
    """Checks a CSV's shape as its bytes arrive (quote-aware; commas, newlines are ASCII).

    Parameters
    ----------
    max_columns, max_rows, max_cell
        The limits (``GEOMATCH_MAX_UPLOAD_COLUMNS`` …); passing one raises
        :class:`CsvLimitError` naming it, the row and the file.
    """

    max_columns: int
    max_rows: int
    max_cell: int
    display: str = "upload"
    rows: int = 0
    _fields: int = 1
    _cell: int = 0
    _quoted: bool = False

    def feed(self, chunk: bytes) -> None:
        """Check the next bytes of the file."""
        if not self._quoted and b'"' not in chunk:
            self._plain(chunk)
        else:
            self._scan(chunk)

    def _plain(self, chunk: bytes) -> None:
        lines = chunk.split(b"\n")
        for i, line in enumerate(lines):
            commas = line.count(b",")
            self._fields += commas
            self._check_columns()
            cells = line.split(b",") if commas else [line]
            self._cell += len(cells[0])
            self._check_cell()
            if commas:
                self._cell = max(len(c) for c in cells[1:])
                self._check_cell()
                self._cell = len(cells[-1])
            if i < len(lines) - 1:
                self._end_row()

    def _scan(self, chunk: bytes) -> None:
        last = 0
        for match in re.finditer(rb'[",\n]', chunk):
            pos, char = match.start(), match.group()
            self._cell += pos - last
            last = pos + 1
            if char == b'"':
                self._quoted = not self._quoted
            elif not self._quoted:
                self._check_cell()
                self._cell = 0
                if char == b",":
                    self._fields += 1
                    self._check_columns()
                else:
                    self._end_row()
        self._cell += len(chunk) - last
        self._check_cell()

    def _end_row(self) -> None:
        self.rows += 1
        self._fields, self._cell = 1, 0
        if self.rows > self.max_rows:
            self._refuse(
                f"上传表超过 {self.max_rows} 行 (more than max_upload_rows = {self.max_rows})",
                row=self.rows,
            )

    def _check_columns(self) -> None:
        if self._fields > self.max_columns:
            self._refuse(
                f"上传表超过 {self.max_columns} 列 "
                f"(more than max_upload_columns = {self.max_columns})"
            )

    def _check_cell(self) -> None:
        if self._cell > self.max_cell:
            self._refuse(
                f"单元格超过 {self.max_cell} 个字符 (a cell longer than max_cell_chars = "
                f"{self.max_cell})",
                column=str(self._fields),
            )

    def _refuse(
        self, message: str, *, row: int | None = None, column: str | None = None
    ) -> NoReturn:
        """Raise the limit error at ``row`` (default: the row being read, header = 1)."""
        raise CsvLimitError(
            message, file=self.display, row=self.rows + 1 if row is None else row, column=column
        )


def csv_guards(settings: ServiceSettings) -> Callable[[str], CsvShapeGuard | None]:
    """The streaming shape check of an uploaded file by its name: CSV files only, named.

    The limits are the settings' ``max_upload_columns``, ``max_upload_rows`` and
    ``max_cell_chars``; a file of another kind (``.xlsx``, ``.gpkg``, ``.zip``) gets none.
    """

    def make(name: str) -> CsvShapeGuard | None:
        if PurePosixPath(name.replace("\\", "/")).suffix.lower() != ".csv":
            return None
        return CsvShapeGuard(
            settings.max_upload_columns,
            settings.max_upload_rows,
            settings.max_cell_chars,
            display=name,
        )

    return make


@dataclass
class StreamedForm:
    """The fields and the one file of a multipart upload form."""

    fields: dict[str, str] = field(default_factory=dict)
    filename: str = ""
    data: bytearray = field(default_factory=bytearray)


def _disposition(value: bytes) -> dict[str, str]:
    from python_multipart.multipart import parse_options_header

    _, params = parse_options_header(value)
    return {k.decode("latin-1"): v.decode("utf-8", "replace") for k, v in params.items()}


class _FormSink:
    """Callbacks of :class:`python_multipart.MultipartParser` collecting one upload form."""

    def __init__(self, guard_for: Callable[[str], CsvShapeGuard | None], max_file: int) -> None:
        self.form = StreamedForm()
        self.max_file = max_file
        self.guard_for = guard_for
        self._header = b""
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._is_file = False
        self._value = bytearray()
        self._guard: CsvShapeGuard | None = None

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda d, s, e: setattr(self, "_header", self._header + d[s:e]),
            "on_header_value": self._header_value,
            "on_header_end": lambda: setattr(self, "_header", b""),
            "on_headers_finished": self._headers_done,
            "on_part_data": self._data,
            "on_part_end": self._end,
        }

    def _begin(self) -> None:
        self._headers, self._value, self._guard = {}, bytearray(), None

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        key = self._header.lower()
        self._headers[key] = self._headers.get(key, b"") + data[start:end]

    def _headers_done(self) -> None:
        params = _disposition(self._headers.get(b"content-disposition", b""))
        self._name = params.get("name", "")
        self._is_file = "filename" in params
        if self._is_file:
            if self.form.filename:
                raise InputError("the form holds more than one file; upload one table")
            self.form.filename = params["filename"] or "upload"
            self._guard = self.guard_for(self.form.filename)

    def _data(self, data: bytes, start: int, end: int) -> None:
        piece = data[start:end]
        if self._is_file:
            if self._guard is not None:
                self._guard.feed(piece)
            self.form.data += piece
            if len(self.form.data) > self.max_file:
                raise FileTooLargeError(
                    f"上传文件超过 {self.max_file} 字节 (the file is larger than {self.max_file} "
                    "bytes, GEOMATCH_MAX_UPLOAD_MB)",
                    file=self.form.filename,
                )
        else:
            self._value += piece
            if len(self._value) > 4096:
                raise InputError(f"form field {self._name!r} is longer than 4096 bytes")

    def _end(self) -> None:
        if not self._is_file:
            self.form.fields[self._name] = self._value.decode("utf-8", "replace")


async def read_multipart(
    content_type: str,
    stream: AsyncIterator[bytes],
    guard_for: Callable[[str], CsvShapeGuard | None],
    max_file: int | None = None,
) -> StreamedForm:
    """Parse a ``multipart/form-data`` body as it streams, checking the file on the way.

    Raises
    ------
    FileTooLargeError
        The file passed ``max_file`` bytes (``None``: only the route's body cap applies).
    InputError
        Not a multipart form, more than one file, or the guard refused the file.
    """
    from python_multipart.multipart import MultipartParser, parse_options_header

    kind, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise InputError("expected a multipart/form-data upload with a boundary")
    sink = _FormSink(guard_for, max_file if max_file is not None else 1 << 62)
    parser = MultipartParser(boundary, sink.callbacks())  # type: ignore[arg-type]
    async for chunk in stream:
        if chunk:
            parser.write(chunk)
    parser.finalize()
    return sink.form
