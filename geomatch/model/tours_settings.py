"""Settings of the tours stage (the ``[tours]`` table of a scenario)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["ToursSettings"]


class ToursSettings(BaseModel):
    """Tours settings; see :mod:`geomatch.solve.tours` for their meaning."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Calendar year of the schedule.
    year: int = 2020
