"""Drawing and exporting a run: coverage, KPIs, offline maps, exports, the report.

* :mod:`geomatch.render.run` — a run folder read back (:func:`geomatch.run_result.read_run`,
  typed, checked) and :func:`with_run_inputs` gives a bring-your-own run its own needs and helpers;
* :mod:`geomatch.render.coverage` — :func:`build_coverage`, one row per poor county;
* :mod:`geomatch.render.kpi` — :func:`build_kpi`, headline figures and targets;
* :mod:`geomatch.render.maps` — :func:`write_maps`, offline maps (index, national and
  province pages, figure, report); its parts: :mod:`~geomatch.render.map_page` (folium,
  imported there only, lazily), :mod:`~geomatch.render.map_layers` (layer data),
  :mod:`~geomatch.render.map_index` (``index.html``), :mod:`~geomatch.render.search`
  (pinyin for the search box), :mod:`~geomatch.render.geometry` (light web geometry, the
  台湾/南海诸岛 context layer); ``static/`` the maps' own script and style sheet;
* :mod:`geomatch.render.static` — the national figure (PNG, SVG, PDF);
* :mod:`geomatch.render.exports` — :func:`export_run` (CSV, XLSX, GeoPackage, ICS), with
  :mod:`geomatch.render.labels` (Chinese labels), :mod:`geomatch.render.units` (unit names,
  a province or county named on the command line) and :mod:`geomatch.render.ics` (RFC 5545);
* :mod:`geomatch.render.shortfall` — :func:`summarise_unmet`, the ``unmet_summary`` table:
  shortfall per county and kind (pairing and tours) with one fix, made in the coverage stage;
* :mod:`geomatch.render.province_report` — ``geomatch report``, the province report;
  :mod:`geomatch.render.run_info` — ``geomatch info --run``;
* :mod:`geomatch.render.report` — :func:`write_report`, the one-page summary;
* :mod:`geomatch.render.manifest_view` — the run manifest as shown on maps and exports.

Import the functions from their modules; this package imports nothing heavy.
"""

__all__: list[str] = []
