"""Drawing and exporting a run: coverage, KPIs, offline maps, exports, the report.

* :mod:`geomatch.render.run` — :func:`load_run` reads a run folder back (typed, checked);
  :func:`with_run_inputs` gives a bring-your-own run its own needs and helpers;
* :mod:`geomatch.render.coverage` — :func:`build_coverage`, one row per poor county;
* :mod:`geomatch.render.kpi` — :func:`build_kpi`, headline figures and targets;
* :mod:`geomatch.render.maps` — :func:`write_maps`, offline folium maps (folium is
  imported there only, lazily); :mod:`geomatch.render.geometry` light web geometry;
  ``static/`` the maps' own script and style sheet;
* :mod:`geomatch.render.static` — the national PNG;
* :mod:`geomatch.render.exports` — :func:`export_run` (CSV, XLSX, GeoPackage, ICS), with
  :mod:`geomatch.render.labels` (Chinese labels) and :mod:`geomatch.render.ics` (RFC 5545);
* :mod:`geomatch.render.report` — :func:`write_report`, the one-page summary;
* :mod:`geomatch.render.manifest_view` — the run manifest as shown on maps and exports.

Import the functions from their modules; this package imports nothing heavy.
"""

__all__: list[str] = []
