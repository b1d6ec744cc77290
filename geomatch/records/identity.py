"""Personal numbers of the register: checked, hashed with a server secret, masked.

The register never stores a resident ID or phone number. It keeps

* ``HMAC-SHA256(secret, normalised number)`` — equal numbers give equal hashes, so the
  same person filed by two provinces is found, but a stolen database cannot be
  reversed by hashing all 10^11 phone numbers without the secret;
* the masked form: the last four digits (``**************123X``, ``*******5678``).

The secret comes from ``GEOMATCH_REGISTER_SECRET``; without it a random secret is
created once in ``<service home>/geomatch-register.key`` (mode 0600) and reused. Losing
the secret makes new imports unable to match old entries (the duplicate check), nothing
else.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "CHECK_CHARACTERS",
    "ID_WEIGHTS",
    "RecordsSettings",
    "RegisterKey",
    "id_number_problem",
    "mask_tail",
    "normalise_id_number",
    "normalise_phone",
    "phone_problem",
    "register_key",
]

_ID = re.compile(r"\d{17}[\dX]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{9,11}")
#: GB 11643-1999 check digit weights and characters.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
KEY_FILE = "geomatch-register.key"


class RecordsSettings(BaseSettings):
    """Settings of the records (``GEOMATCH_REGISTER_SECRET``)."""

    model_config = SettingsConfigDict(env_prefix="GEOMATCH_", frozen=True, extra="ignore")

    register_secret: SecretStr | None = None


@dataclass(frozen=True)
class RegisterKey:
    """The server secret of the register's hashes."""

    secret: bytes

    def digest(self, *parts: str) -> str:
        """HMAC-SHA256 hex digest of the parts (joined by a separator no value holds)."""
        message = "\x1f".join(parts).encode("utf-8")
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()


def register_key(service_home: Path) -> RegisterKey:
    """The register secret: the setting, else the key file in the service home."""
    configured = RecordsSettings().register_secret
    if configured is not None and configured.get_secret_value():
        return RegisterKey(configured.get_secret_value().encode("utf-8"))
    path = Path(service_home) / KEY_FILE
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32))
    return RegisterKey(path.read_text(encoding="ascii").strip().encode("ascii"))


def normalise_id_number(value: str) -> str:
    """An ID number without spaces, ``x`` as ``X``."""
    return re.sub(r"\s+", "", value).upper()


def id_number_problem(value: str) -> str | None:
    """Why a normalised resident ID number is not valid, or ``None``."""
    if not _ID.fullmatch(value):
        return "身份证号应为 18 位（末位可为 X）/ an ID number has 18 characters (last may be X)"
    total = sum(int(d) * w for d, w in zip(value[:17], ID_WEIGHTS, strict=True))
    if CHECK_CHARACTERS[total % 11] != value[17]:
        return "身份证号校验位不符 / the ID number's check digit is wrong"
    return None


def normalise_phone(value: str) -> str:
    """A phone number as digits, without ``+86``/``0086`` and separators."""
    digits = re.sub(r"[\s\-()（）]", "", value)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return digits


def phone_problem(value: str) -> str | None:
    """Why a normalised phone number is not a mainland mobile or landline, or ``None``."""
    if _MOBILE.fullmatch(value) or _LANDLINE.fullmatch(value):
        return None
    return (
        "电话应为 11 位手机号或带区号的固话 / expected an 11-digit mobile number or a "
        "landline with its area code"
    )


def mask_tail(value: str, keep: int = 4) -> str:
    """``*`` for every character but the last ``keep``."""
    if not value:
        return ""
    return "*" * max(len(value) - keep, 0) + value[-keep:]
