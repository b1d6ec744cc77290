"""Request dependencies: the database session, the authenticated user, roles and scope.

A request is authenticated by ``Authorization: Bearer <token>`` (scripts) or by the
browser-session cookie set by the login form (pages; see :mod:`geomatch.service.sessions`).
The identity is looked up once per request — by the body-limit middleware
(:mod:`geomatch.service.limits`) before any body byte is read, or here — and kept in the
request's state.

Dependencies other routers reuse:

* :data:`CurrentUser` — any signed-in user of an ``/api`` route (401 without one; a
  cookie-authenticated change also needs the ``X-CSRF-Token`` header);
* :func:`require_role` — ``Depends(require_role("national"))``: 403 for other roles;
  :data:`NationalUser` and :data:`FullReader` (national or analyst) are the common ones;
* :data:`ScopedProvince` — the ``province`` query parameter checked against the dataset
  (404 for an unknown province) and narrowed to the user's scope (403 for a planner asking
  for another province; a planner without the parameter gets their own province);
* :data:`PageUser` and :data:`CsrfForm` for server-rendered pages and their forms.

Every 403 is raised as :class:`~geomatch.errors.AuthorizationError` and written to the
audit log by the application's handler.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import Depends, Form, HTTPException, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from geomatch.errors import AuthorizationError
from geomatch.service.auth import Principal, hash_token, lookup_token
from geomatch.service.config import ServiceSettings
from geomatch.service.models import Province
from geomatch.service.sessions import csrf_matches, session_login

__all__ = [
    "CsrfForm",
    "CurrentUser",
    "DbSession",
    "FullReader",
    "Identity",
    "LoginRequiredError",
    "NationalUser",
    "PageUser",
    "ScopedProvince",
    "Settings",
    "current_user",
    "get_session",
    "get_settings_dep",
    "identify",
    "known_province",
    "page_user",
    "province_scope",
    "require_role",
]

bearer = HTTPBearer(auto_error=False, description="API token from `geomatch users add`")
_STATE_KEY = "geomatch_identity"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Identity:
    """Who sent a request and how: an API token or a browser session (with its CSRF token)."""

    principal: Principal
    via: Literal["token", "session"]
    csrf_token: str = ""


def get_session(request: Request) -> Iterator[Session]:
    """A session per request (closed afterwards; routes commit what they change)."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
    finally:
        session.close()


def get_settings_dep(request: Request) -> ServiceSettings:
    settings: ServiceSettings = request.app.state.settings
    return settings


DbSession = Annotated[Session, Depends(get_session)]
Settings = Annotated[ServiceSettings, Depends(get_settings_dep)]


def _bearer(conn: HTTPConnection) -> str | None:
    scheme, _, value = conn.headers.get("authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def _lookup_token(factory: sessionmaker[Session], token: str) -> Principal | None:
    with factory() as session:
        return lookup_token(session, token)


def _lookup_session(factory: sessionmaker[Session], secret: str) -> Identity | None:
    with factory() as session:
        login = session_login(session, secret)
    return None if login is None else Identity(login.principal, "session", login.csrf_token)


async def _by_token(conn: HTTPConnection, token: str) -> Principal | None:
    if len(token) > 256:
        return None
    caches = conn.app.state.caches
    key = hash_token(token)

    async def load() -> Principal | None:
        found = await run_in_threadpool(_lookup_token, conn.app.state.session_factory, token)
        if found is not None:
            caches.principals.put(key, found)
        return found

    principal: Principal | None = await caches.flights.run(
        ("token", key), lambda: caches.principals.get(key), load
    )
    return principal


async def identify(conn: HTTPConnection) -> Identity | None:
    """The identity of a request (token first, then the session cookie), looked up once."""
    state = conn.scope.setdefault("state", {})
    if _STATE_KEY in state:
        found: Identity | None = state[_STATE_KEY]
        return found
    identity: Identity | None = None
    token = _bearer(conn)
    if token is not None:
        principal = await _by_token(conn, token)
        identity = None if principal is None else Identity(principal, "token")
    else:
        secret = conn.cookies.get(conn.app.state.settings.cookie_name)
        if secret:
            identity = await run_in_threadpool(
                _lookup_session, conn.app.state.session_factory, secret
            )
    state[_STATE_KEY] = identity
    return identity


def _unauthorised() -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail="a valid API token is required (Authorization: Bearer <token>)",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def current_user(
    request: Request,
    _creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The user of an ``/api`` request; 401 without a valid token or session."""
    identity = await identify(request)
    if identity is None:
        raise _unauthorised()
    unsafe = identity.via == "session" and request.method not in _SAFE_METHODS
    if unsafe and not csrf_matches(identity.csrf_token, request.headers.get("x-csrf-token")):
        raise AuthorizationError("缺少或错误的 CSRF 令牌 (missing or wrong X-CSRF-Token)")
    return identity.principal


CurrentUser = Annotated[Principal, Depends(current_user)]


def require_role(*roles: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency admitting only users of ``roles`` (403 for the others)."""

    async def check(user: CurrentUser) -> Principal:
        if user.role not in roles:
            raise AuthorizationError(
                f"角色 {user.role} 无权执行此操作 (a {user.role} user may not do this; "
                f"allowed: {', '.join(roles)})"
            )
        return user

    return check


NationalUser = Annotated[Principal, Depends(require_role("national"))]
FullReader = Annotated[Principal, Depends(require_role("national", "analyst"))]

ProvinceParam = Annotated[
    str | None,
    Query(pattern=r"^\d{2}0000$", description="province code, e.g. 620000 (甘肃省)"),
]


def check_province_known(session: Session, province: str | None) -> None:
    """404 for a province code the loaded dataset does not have."""
    if province is None or session.get(Province, province) is not None:
        return
    if session.execute(sa.select(sa.func.count()).select_from(Province)).scalar_one():
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"数据中没有省份 {province}")


def _province_codes(factory: sessionmaker[Session]) -> frozenset[str]:
    with factory() as session:
        return frozenset(session.execute(sa.select(Province.adcode)).scalars())


async def known_province(request: Request, province: str | None) -> None:
    """:func:`check_province_known` against a per-minute cache of the province codes."""
    if province is None:
        return
    now = time.monotonic()
    cached: tuple[float, frozenset[str]] | None = getattr(request.app.state, "province_codes", None)
    if cached is None or cached[0] < now:
        codes = await run_in_threadpool(_province_codes, request.app.state.session_factory)
        cached = (now + 60.0, codes)
        request.app.state.province_codes = cached
    if cached[1] and province not in cached[1]:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"数据中没有省份 {province}")


async def province_scope(
    request: Request, user: CurrentUser, province: ProvinceParam = None
) -> str | None:
    """The province a read is limited to (``None``: all); 404 unknown, 403 out of scope."""
    await known_province(request, province)
    return user.scope(province)


ScopedProvince = Annotated[str | None, Depends(province_scope)]


class LoginRequiredError(Exception):
    """A page was opened without a valid session or token: show the login form (401)."""


async def page_user(request: Request) -> Principal:
    """The user of a page request; the login form (401) without a valid session."""
    identity = await identify(request)
    if identity is None:
        raise LoginRequiredError()
    return identity.principal


PageUser = Annotated[Principal, Depends(page_user)]


async def check_csrf_form(
    request: Request, csrf_token: Annotated[str, Form(max_length=128)] = ""
) -> None:
    """A page form must carry the session's CSRF token (a token-authenticated client needs none)."""
    identity = await identify(request)
    if identity is None:
        raise LoginRequiredError()
    if identity.via == "session" and not csrf_matches(identity.csrf_token, csrf_token):
        raise AuthorizationError(
            "表单已过期或来自其他网站，请刷新页面后重试 (CSRF token missing or wrong)"
        )


CsrfForm = Depends(check_csrf_form)
