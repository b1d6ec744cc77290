"""Security headers on every answer (pure ASGI middleware).

* ``Content-Security-Policy``: own origin only; pages may not be framed
  (``frame-ancestors 'none'``); the coverage maps (Leaflet, inline scripts of the map
  files) may be framed by the service's own province page only (``'self'``);
* ``X-Frame-Options`` (``DENY`` / ``SAMEORIGIN``) for older browsers;
* ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin``;
* ``Cache-Control: no-store`` on ``/api`` answers and pages (maps keep their short private
  caching).
"""

from __future__ import annotations

from geomatch.service.limits import ASGIApp, Message, Receive, Scope, Send

__all__ = ["PAGE_CSP", "SecurityHeadersMiddleware"]

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-src 'self'; "
    "frame-ancestors 'none'"
)
MAP_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'self'"
)


def _headers_for(path: str) -> list[tuple[bytes, bytes]]:
    is_map = path.startswith("/maps/")
    out = [
        (b"content-security-policy", (MAP_CSP if is_map else PAGE_CSP).encode()),
        (b"x-frame-options", b"SAMEORIGIN" if is_map else b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
    ]
    if not is_map and not path.startswith("/static/"):
        out.append((b"cache-control", b"no-store"))
    return out


class SecurityHeadersMiddleware:
    """Adds the headers above to each HTTP answer (a route's own Cache-Control wins)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = _headers_for(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in extra if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
