"""geomatch — pairing and coverage platform for science-and-technology poverty relief.

The package joins the geography of China's 832 poor counties, their townships and
villages with the profiles of experts and scientific societies, pairs eastern helpers
with western needs (OR-Tools), schedules the science caravans and mobile science-museum
tours, and draws the result as offline coverage maps and exports.

One flow, four stages: ``geomatch.io``/``geomatch.dataset`` (layers and profiles) →
``geomatch.model`` (typed settings) → ``geomatch.solve`` (pairing, tours) →
``geomatch.render`` (maps, exports, KPIs). ``geomatch.cli`` and ``geomatch.service``
drive the same stages.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("geomatch")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
