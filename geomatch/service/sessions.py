"""Browser sessions: server-side, expiring, revoked on logout, each with a CSRF token.

A browser that logs in with its API token gets a *session* cookie, not the token: the
cookie holds a random 256-bit secret whose SHA-256 digest is a row of
``browser_sessions`` (user, CSRF token, expiry). Logging out revokes the row, so a copied
cookie stops working at once; a session ends by itself after
``GEOMATCH_SESSION_HOURS``. Every form a page serves carries the session's CSRF token
(and the API accepts a cookie-authenticated change only with the ``X-CSRF-Token``
header), so a form on another site cannot act for the user.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geomatch.service.auth import Principal, hash_token, principal_of
from geomatch.service.models import BrowserSession, User, as_utc, utcnow

__all__ = ["BrowserLogin", "csrf_matches", "open_session", "revoke_session", "session_login"]


@dataclass(frozen=True)
class BrowserLogin:
    """The user of a valid browser session and the session's CSRF token."""

    principal: Principal
    csrf_token: str


def open_session(session: Session, user_id: int, hours: float) -> tuple[str, str]:
    """Create a session; return ``(cookie secret, CSRF token)`` (only hashes are kept)."""
    secret = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        BrowserSession(
            id_hash=hash_token(secret),
            user_id=user_id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + dt.timedelta(hours=hours),
        )
    )
    session.flush()
    return secret, csrf


def session_login(session: Session, secret: str) -> BrowserLogin | None:
    """The login of a cookie secret (``None``: unknown, expired, revoked or user disabled)."""
    if not secret or len(secret) > 256:
        return None
    row = session.execute(
        sa.select(BrowserSession, User)
        .join(User, User.id == BrowserSession.user_id)
        .where(BrowserSession.id_hash == hash_token(secret))
    ).one_or_none()
    if row is None:
        return None
    browser, user = row
    if browser.revoked_at is not None or as_utc(browser.expires_at) <= utcnow() or not user.active:
        return None
    return BrowserLogin(principal_of(user), browser.csrf_token)


def revoke_session(session: Session, secret: str) -> bool:
    """Revoke a session (logout); whether there was one to revoke."""
    result = session.execute(
        sa.update(BrowserSession)
        .where(BrowserSession.id_hash == hash_token(secret), BrowserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def csrf_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a submitted CSRF token with the session's."""
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())
