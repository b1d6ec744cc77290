"""Request dependencies: the database session and the authenticated user.

A request is authenticated by ``Authorization: Bearer <token>`` or, for pages opened in
a browser after the login form, by the ``geomatch_token`` cookie (HttpOnly,
SameSite=Strict). Without a valid token an ``/api`` call gets 401 and a page shows the
login form with status 401.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from geomatch.service.auth import Principal, hash_token, lookup_token
from geomatch.service.config import ServiceSettings

__all__ = [
    "CurrentUser",
    "DbSession",
    "LoginRequiredError",
    "Settings",
    "authenticate",
    "current_user",
    "forbidden",
    "get_session",
    "get_settings_dep",
    "page_user",
]

bearer = HTTPBearer(auto_error=False, description="API token from `geomatch users add`")


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


def _token(request: Request, creds: HTTPAuthorizationCredentials | None) -> str | None:
    if creds is not None and creds.scheme.lower() == "bearer" and creds.credentials:
        return creds.credentials
    cookie: str | None = request.cookies.get(request.app.state.settings.cookie_name)
    return cookie or None


def _lookup(factory: sessionmaker[Session], token: str) -> Principal | None:
    with factory() as session:
        return lookup_token(session, token)


async def authenticate(request: Request, token: str | None) -> Principal | None:
    """The user of a token, from the cache or the database (in a worker thread)."""
    if not token or len(token) > 256:
        return None
    caches = request.app.state.caches
    key = hash_token(token)

    async def load() -> Principal | None:
        found = await run_in_threadpool(_lookup, request.app.state.session_factory, token)
        if found is not None:
            caches.principals.put(key, found)
        return found

    principal: Principal | None = await caches.flights.run(
        ("token", key), lambda: caches.principals.get(key), load
    )
    return principal


async def current_user(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The user of an ``/api`` request; 401 without a valid token."""
    principal = await authenticate(request, _token(request, creds))
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="a valid API token is required (Authorization: Bearer <token>)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]


class LoginRequiredError(Exception):
    """A page was opened without a valid token: show the login form (401)."""


async def page_user(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The user of a page request; the login form (401) without a valid token."""
    principal = await authenticate(request, _token(request, creds))
    if principal is None:
        raise LoginRequiredError()
    return principal


def forbidden(exc: PermissionError | str) -> HTTPException:
    """A 403 with the reason."""
    return HTTPException(status.HTTP_403_FORBIDDEN, detail=str(exc))
