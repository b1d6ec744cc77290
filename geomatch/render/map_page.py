"""The page machinery of the offline maps: folium without CDNs, data layers, boxes, assets.

folium is imported here only, and only when a map is drawn (:func:`folium_kit`). The
pages link Leaflet from the ``xstatic-leaflet`` package and geomatch's own script and
style sheet (``render/static/``), copied to ``<maps>/assets/`` (:func:`copy_assets`).
Every layer is drawn in the browser by a function of ``assets/geomatch-map.js``
(``GM.polygons``, ``GM.points``, ``GM.lines``, ``GM.labels``, ``GM.search``, ``GM.inset``) from
compact JSON embedded with :func:`~geomatch.render.geometry.js_json`.
"""

from __future__ import annotations

import functools
import html
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from geomatch.render.geometry import js_json
from geomatch.render.manifest_view import manifest_html

__all__ = ["LEAFLET_LICENCE", "FoliumKit", "copy_assets", "finish_page", "folium_kit", "new_map"]

#: Leaflet's licence (BSD 2-Clause), copied next to the vendored Leaflet files.
LEAFLET_LICENCE = """Leaflet 1.9.3 — https://leafletjs.com (from the xstatic-leaflet package)

BSD 2-Clause License

Copyright (c) 2010-2023, Volodymyr Agafonkin
Copyright (c) 2010-2011, CloudMade
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""


@dataclass(frozen=True)
class FoliumKit:
    """folium and geomatch's element classes (built once, on first use).

    Attributes
    ----------
    folium
        The folium module.
    element
        ``branca.element.Element`` (raw HTML in the page header).
    offline_map
        A ``folium.Map`` that links no CDN script or style sheet.
    data_layer
        ``DataLayer(fn, data_expr, opts, name, overlay=, show=)``: a layer of the layer
        control drawn by ``GM.<fn>(data, opts)``.
    data
        ``Data(var, obj)``: ``var <var> = <json>;`` shared by several layers.
    call
        ``Call(fn, *args)``: ``GM.<fn>(<map>, <json args>…);`` (labels, search, inset).
    box
        ``Box(html, position, cls)``: a legend / manifest box (HTML already escaped).
    """

    folium: Any
    element: Any
    offline_map: Any
    data_layer: Any
    data: Any
    call: Any
    box: Any


def _layer_classes(folium: Any, template: Any) -> tuple[Any, Any]:
    """``OfflineMap`` (no CDN links) and ``DataLayer`` (a ``GM.<fn>`` layer)."""

    class OfflineMap(folium.Map):  # type: ignore[misc]
        """A folium map that links no CDN script or style sheet."""

        default_js: list[tuple[str, str]] = []  # noqa: RUF012
        default_css: list[tuple[str, str]] = []  # noqa: RUF012

    class DataLayer(folium.map.Layer):  # type: ignore[misc]
        """A layer drawn by ``GM.<fn>(data, options)`` from assets/geomatch-map.js."""

        _template = template(
            "{% macro script(this, kwargs) %}"
            "var {{ this.get_name() }} = GM.{{ this.fn }}({{ this.data_expr }}, {{ this.opts }});"
            "{% endmacro %}"
        )

        def __init__(
            self,
            fn: str,
            data_expr: str,
            opts: Mapping[str, Any],
            name: str,
            *,
            overlay: bool = True,
            show: bool = True,
        ) -> None:
            super().__init__(name=name, overlay=overlay, control=True, show=show)
            self._name = "DataLayer"
            self.fn = fn
            self.data_expr = data_expr
            self.opts = js_json(dict(opts))

    return OfflineMap, DataLayer


def _script_classes(macro: Any, template: Any) -> tuple[Any, Any, Any]:
    """``Data`` (a shared JSON variable), ``Call`` (``GM.<fn>(map, …)``) and ``Box``."""

    class Data(macro):  # type: ignore[misc]
        """``var <name> = <json>;`` shared by several layers."""

        _template = template(
            "{% macro script(this, kwargs) %}var {{ this.var }} = {{ this.json }};{% endmacro %}"
        )

        def __init__(self, var: str, obj: Any) -> None:
            super().__init__()
            self._name = "Data"
            self.var = var
            self.json = js_json(obj)

    class Call(macro):  # type: ignore[misc]
        """``GM.<fn>(<the map>, <args as JSON>…);`` once the layers exist."""

        _template = template(
            "{% macro script(this, kwargs) %}"
            "GM.{{ this.fn }}({{ this._parent.get_name() }}, {{ this.args }});"
            "{% endmacro %}"
        )

        def __init__(self, fn: str, *args: Any) -> None:
            super().__init__()
            self._name = "Call"
            self.fn = fn
            self.args = ", ".join(js_json(a) for a in args)

    class Box(macro):  # type: ignore[misc]
        """A legend / manifest box (HTML already escaped)."""

        _template = template(
            "{% macro script(this, kwargs) %}"
            "GM.box({{ this._parent.get_name() }}, {{ this.html }}, {{ this.position }},"
            " {{ this.cls }});"
            "{% endmacro %}"
        )

        def __init__(self, html_text: str, position: str, cls: str = "") -> None:
            super().__init__()
            self._name = "Box"
            self.html = js_json(html_text)
            self.position = js_json(position)
            self.cls = js_json(cls)

    return Data, Call, Box


@functools.cache
def folium_kit() -> FoliumKit:
    """Import folium and build geomatch's element classes (once, lazily)."""
    import folium
    from branca.element import Element, MacroElement
    from jinja2 import Template

    offline_map, data_layer = _layer_classes(folium, Template)
    data, call, box = _script_classes(MacroElement, Template)
    return FoliumKit(
        folium=folium,
        element=Element,
        offline_map=offline_map,
        data_layer=data_layer,
        data=data,
        call=call,
        box=box,
    )


def new_map(
    title: str, bounds: tuple[float, float, float, float], assets: str, tiles: str | None
) -> Any:
    """A folium map fitted to ``bounds`` (lon/lat) linking the assets at ``assets``."""
    kit = folium_kit()
    fig = kit.folium.Figure(title=title)
    m = kit.offline_map(
        location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2],
        zoom_start=5,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        zoom_snap=0.25,
    )
    fig.add_child(m)
    links = (
        f'<link rel="stylesheet" href="{assets}/leaflet.css"/>'
        f'<link rel="stylesheet" href="{assets}/geomatch-map.css"/>'
        f'<script src="{assets}/leaflet.js"></script>'
        f'<script src="{assets}/geomatch-map.js"></script>'
    )
    fig.header.add_child(kit.element(links), name="geomatch_assets")
    if tiles:
        kit.folium.TileLayer(
            tiles=tiles,
            attr="user-supplied tiles",
            name="底图 tiles",
            overlay=True,
            control=True,
            show=True,
        ).add_to(m)
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    return m


def finish_page(m: Any, legend: str, manifest: Mapping[str, Any], title: str) -> str:
    """Add the title, legend, manifest and layer control; the page's HTML."""
    kit = folium_kit()
    kit.box(f'<div class="gm-title">{html.escape(title)}</div>', "topleft", "gm-head").add_to(m)
    kit.box(legend, "bottomright", "gm-legend").add_to(m)
    kit.box(manifest_html(manifest), "bottomleft", "gm-manifest-box").add_to(m)
    kit.folium.LayerControl(collapsed=False, position="topright").add_to(m)
    return str(m.get_root().render())


def copy_assets(dest: Path) -> list[Path]:
    """Copy Leaflet (xstatic-leaflet), its licence and geomatch's script/style to ``dest``."""
    import xstatic.pkg.leaflet as xleaflet

    dest.mkdir(parents=True, exist_ok=True)
    src = Path(xleaflet.BASE_DIR)
    out = []
    for name in ("leaflet.js", "leaflet.css"):
        out.append(Path(shutil.copyfile(src / name, dest / name)))
    (dest / "images").mkdir(exist_ok=True)
    for img in sorted((src / "images").glob("*.png")):
        out.append(Path(shutil.copyfile(img, dest / "images" / img.name)))
    static = files("geomatch.render") / "static"
    for name in ("geomatch-map.js", "geomatch-map.css"):
        (dest / name).write_bytes((static / name).read_bytes())
        out.append(dest / name)
    (dest / "LICENSE-leaflet.txt").write_text(LEAFLET_LICENCE, encoding="utf-8")
    out.append(dest / "LICENSE-leaflet.txt")
    return out
