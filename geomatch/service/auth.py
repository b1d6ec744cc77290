"""Users, roles and API tokens.

A token is ``secrets.token_urlsafe(32)`` shown once when the user is created; the
database keeps only its SHA-256 hex digest, so a stolen database does not give access.

Roles
-----
``national``
    Starts runs, uploads datasets, sees and exports everything.
``planner``
    Read-only, own province only (its counties, pairs, visits, maps). Carries a
    ``province_adcode``.
``analyst``
    Reads and exports everything, cannot start runs or upload.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geomatch.errors import AuthorizationError, InputError
from geomatch.service.models import Province, User, as_utc, utcnow

__all__ = [
    "ROLES",
    "AuthorizationError",
    "Principal",
    "Role",
    "add_user",
    "disable_user",
    "hash_token",
    "issue_token",
    "lookup_token",
    "principal_of",
    "province_of",
]

Role = Literal["national", "planner", "analyst"]
ROLES: tuple[Role, ...] = ("national", "planner", "analyst")

_PROVINCE_RE = re.compile(r"\d{2}0000")
_NAME_RE = re.compile(r"[\w.\-@]{1,64}")


def hash_token(token: str) -> str:
    """SHA-256 hex digest of a token (what the database stores)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token() -> str:
    """A new random API token (URL-safe, 256 bits)."""
    return secrets.token_urlsafe(32)


def province_of(adcode: str) -> str:
    """The province code of a county, township or village code (``620121`` → ``620000``)."""
    return adcode[:2] + "0000"


@dataclass(frozen=True)
class Principal:
    """The authenticated user of a request, with what they may see.

    Attributes
    ----------
    province
        ``None`` for national and analyst users (everything); the planner's province
        code otherwise. Every query of the service filters with :meth:`scope`.
    """

    id: int
    name: str
    role: Role
    province: str | None

    @property
    def can_run(self) -> bool:
        """Whether the user may start runs and upload datasets."""
        return self.role == "national"

    def scope(self, requested: str | None) -> str | None:
        """The province a query must be limited to, or ``None`` for all.

        Parameters
        ----------
        requested
            The ``province`` parameter of the request (``None`` when absent).

        Raises
        ------
        AuthorizationError
            A planner asked for another province.
        """
        if self.province is None:
            return requested
        if requested is not None and requested != self.province:
            raise AuthorizationError(
                f"用户 {self.name} 是省份 {self.province} 的规划员，不能查看省份 {requested} "
                f"(a planner of province {self.province} may not see province {requested})"
            )
        return self.province


def principal_of(user: User) -> Principal:
    """The request identity of a user row."""
    return Principal(user.id, user.name, user.role, user.province_adcode)  # type: ignore[arg-type]


def lookup_token(session: Session, token: str) -> Principal | None:
    """The active user a token belongs to (``None`` when unknown, disabled or expired)."""
    if not token or len(token) > 256:
        return None
    user = session.execute(
        sa.select(User).where(User.token_hash == hash_token(token), User.active.is_(True))
    ).scalar_one_or_none()
    if user is None:
        return None
    if user.token_expires_at is not None and as_utc(user.token_expires_at) <= utcnow():
        return None
    return principal_of(user)


def add_user(
    session: Session,
    name: str,
    role: str,
    province: str | None = None,
    *,
    rotate: bool = False,
    expires_days: float | None = None,
) -> str:
    """Create a user (or, with ``rotate``, give an existing one a new token).

    Parameters
    ----------
    session
        Open session; the caller commits.
    name
        Login name (letters, digits, ``_ . - @``; at most 64 characters).
    role
        ``national``, ``planner`` or ``analyst``.
    province
        The planner's province code (``620000``); required for planners, refused for the
        other roles. Checked against the loaded provinces when there are any.
    expires_days
        Days the token works (``None``: it does not expire).

    Returns
    -------
    str
        The token, in clear. It is not stored and cannot be shown again.

    Raises
    ------
    InputError
        Bad name, role or province, or the name exists (without ``rotate``).
    """
    if not _NAME_RE.fullmatch(name):
        raise InputError(
            f"user name {name!r} is not valid; use 1–64 letters, digits or _ . - @",
            column="NAME",
        )
    if role not in ROLES:
        raise InputError(
            f"unknown role {role!r}; expected one of {', '.join(ROLES)}", column="--role"
        )
    if role == "planner":
        if province is None:
            raise InputError(
                "a planner needs --province ADCODE (e.g. 620000 for 甘肃省)", column="--province"
            )
        if not _PROVINCE_RE.fullmatch(province):
            raise InputError(
                f"province {province!r} is not a province code; expected 6 digits ending "
                "in 0000 (e.g. 620000)",
                column="--province",
            )
        known = session.execute(sa.select(sa.func.count()).select_from(Province)).scalar_one()
        if known and session.get(Province, province) is None:
            raise InputError(
                f"province {province} is not in the loaded dataset", column="--province"
            )
    elif province is not None:
        raise InputError(
            f"--province is only for planners; a {role} user sees all provinces",
            column="--province",
        )
    if expires_days is not None and not 0 < expires_days <= 3650:
        raise InputError(
            f"token expiry {expires_days} days is outside 0–3650", column="--expires-days"
        )
    expires = None if expires_days is None else utcnow() + dt.timedelta(days=expires_days)
    token = issue_token()
    existing = session.execute(sa.select(User).where(User.name == name)).scalar_one_or_none()
    if existing is not None:
        if not rotate:
            raise InputError(
                f"user {name!r} exists; `geomatch users token {name}` issues a new token",
                column="NAME",
            )
        existing.role = role
        existing.province_adcode = province
        existing.token_hash = hash_token(token)
        existing.token_expires_at = expires
        existing.active = True
    else:
        session.add(
            User(
                name=name,
                role=role,
                province_adcode=province,
                token_hash=hash_token(token),
                token_expires_at=expires,
                active=True,
            )
        )
    session.flush()
    return token


def disable_user(session: Session, name: str) -> bool:
    """Disable a user and revoke their browser sessions; whether the user exists.

    The token stops working at once for new lookups (a server remembers a checked token
    for ``GEOMATCH_AUTH_CACHE_S`` seconds at most).
    """
    from geomatch.service.models import BrowserSession

    user = session.execute(sa.select(User).where(User.name == name)).scalar_one_or_none()
    if user is None:
        return False
    user.active = False
    session.execute(
        sa.update(BrowserSession)
        .where(BrowserSession.user_id == user.id, BrowserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return True
