"""The plain-data defaults of the quick pairing path equal PairingSettings' defaults."""

from __future__ import annotations

from geomatch.model.pairing_defaults import PAIRING_DEFAULTS
from geomatch.model.pairing_settings import PairingSettings


def test_plain_defaults_equal_the_pydantic_defaults() -> None:
    dump = PairingSettings().model_dump()
    plain = {k: dict(v) if hasattr(v, "items") else v for k, v in PAIRING_DEFAULTS.items()}
    missing, extra = set(dump) - set(plain), set(plain) - set(dump)
    assert not missing and not extra, (
        f"update geomatch/model/pairing_defaults.py: missing {missing}, extra {extra}"
    )
    for key, value in dump.items():
        assert plain[key] == value and type(plain[key]) is type(value), (
            f"update geomatch/model/pairing_defaults.py: {key} is {value!r} in PairingSettings"
        )
