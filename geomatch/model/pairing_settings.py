"""Settings of the pairing stage (the ``[pairing]`` table of a scenario)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["PairingSettings"]


class PairingSettings(BaseModel):
    """Pairing settings; see :mod:`geomatch.solve.pairing` for their meaning."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Wall-clock limit of the solver, seconds.
    time_limit_s: float = 60.0
