"""Drawing and exporting a run: coverage, KPIs, offline maps, exports, the report.

* :mod:`geomatch.render.coverage` — :func:`build_coverage`, one row per poor county;
* :mod:`geomatch.render.kpi` — :func:`build_kpi`, headline figures and targets;
* :mod:`geomatch.render.maps` — :func:`write_maps`, offline folium maps (folium is
  imported there only, lazily);
* :mod:`geomatch.render.static` — the national PNG;
* :mod:`geomatch.render.exports` — :func:`export_run` (CSV, XLSX, GeoPackage, ICS);
* :mod:`geomatch.render.report` — :func:`write_report`, the one-page summary.

Import the functions from their modules; this package imports nothing heavy.
"""

__all__: list[str] = []
