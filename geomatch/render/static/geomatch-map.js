/* geomatch coverage maps: layers drawn from compact data embedded in the page.
 * Every text shown comes from data and is escaped before it reaches the DOM.
 * (c) geomatch contributors, MIT licence. Needs Leaflet (assets/leaflet.js). */
var GM = (function () {
  "use strict";
  var ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return ESC[c];
    });
  }
  function fmt(v) {
    if (typeof v === "number" && !Number.isInteger(v)) { return (Math.round(v * 1000) / 1000).toString(); }
    if (Array.isArray(v)) { return v.join("、"); }
    return v;
  }
  /* A tooltip table: title key and [label, key] rows; list values become lines. */
  function tip(spec, p) {
    var h = '<div class="gm-tip"><b>' + esc(p[spec.title]) + "</b>";
    if (spec.subtitle && p[spec.subtitle]) { h += " <small>" + esc(p[spec.subtitle]) + "</small>"; }
    h += "<table>";
    (spec.rows || []).forEach(function (r) {
      var v = p[r[1]];
      if (v === undefined || v === "" || v === null) { return; }
      if (Array.isArray(v) && v.length === 0) { return; }
      if (r[2] && r[2][v] !== undefined) { v = r[2][v]; }
      h += "<tr><th>" + esc(r[0]) + "</th><td>" + esc(fmt(v)) + "</td></tr>";
    });
    h += "</table>";
    if (spec.list && p[spec.list] && p[spec.list].length) {
      h += "<ul>" + p[spec.list].map(function (x) { return "<li>" + esc(x) + "</li>"; }).join("") + "</ul>";
    }
    return h + "</div>";
  }
  /* Colour of a value: categorical (map) or stepped (breaks + colours). */
  function colour(scale, v) {
    if (!scale) { return "#3388ff"; }
    if (scale.map) { return scale.map[v] !== undefined ? scale.map[v] : (scale.other || "#999"); }
    var i = 0;
    while (i < scale.breaks.length && v > scale.breaks[i]) { i++; }
    return scale.colours[Math.min(i, scale.colours.length - 1)];
  }
  /* Polygons (a GeoJSON FeatureCollection) styled by one property. */
  function polygons(data, o) {
    return L.geoJSON(data, {
      style: function (f) {
        var fill = o.fill ? colour(o.scale, f.properties[o.key]) : null;
        return {
          color: o.color || "#555", weight: o.weight === undefined ? 0.6 : o.weight,
          opacity: o.opacity === undefined ? 0.9 : o.opacity,
          fill: !!o.fill, fillColor: fill, fillOpacity: o.fillOpacity === undefined ? 0.75 : o.fillOpacity,
          dashArray: o.dash || null, interactive: !!o.tip
        };
      },
      onEachFeature: function (f, layer) {
        if (o.tip) { layer.bindTooltip(function () { return tip(o.tip, f.properties); }, { sticky: true }); }
      }
    });
  }
  function rowObject(cols, r) {
    var p = {};
    for (var i = 0; i < cols.length; i++) { p[cols[i]] = r[i]; }
    return p;
  }
  /* Points: {cols: [...], rows: [[lon, lat, ...], ...]} as circle markers. */
  function points(data, o) {
    var g = L.featureGroup();
    data.rows.forEach(function (r) {
      var p = rowObject(data.cols, r);
      var rad = o.radius || 3;
      if (o.radiusKey) {
        var v = Math.max(0, p[o.radiusKey] || 0);
        rad = o.radiusMax ? rad + (o.radiusMax - rad) * Math.sqrt(Math.min(1, v / (o.radiusDen || 1)))
                          : Math.max(rad, Math.sqrt(v) * (o.radiusScale || 3));
      }
      var m = L.circleMarker([p.lat, p.lon], {
        radius: rad, color: o.color || "#222", weight: o.weight === undefined ? 0.5 : o.weight,
        fillColor: o.scale ? colour(o.scale, p[o.key]) : (o.fillColor || "#3388ff"),
        fillOpacity: o.fillOpacity === undefined ? 0.85 : o.fillOpacity,
        dashArray: (o.dashKey && p[o.dashKey]) ? "2 2" : null
      });
      if (o.tip) { m.bindTooltip(function () { return tip(o.tip, p); }); }
      m.addTo(g);
    });
    return g;
  }
  /* Lines: {cols: [...], rows: [[path, ...], ...]} with path [[lat, lon], ...]. */
  function lines(data, o) {
    var g = L.featureGroup();
    data.rows.forEach(function (r) {
      var p = rowObject(data.cols, r);
      var w = o.widthKey ? Math.min(o.maxWidth || 12, (o.minWidth || 1) + Math.sqrt(p[o.widthKey] || 0) * (o.widthScale || 1)) : (o.weight || 2);
      var l = L.polyline(p.path, {
        color: o.scale ? colour(o.scale, p[o.key]) : (o.color || "#c0392b"), weight: w,
        opacity: o.opacity === undefined ? 0.7 : o.opacity, dashArray: o.dash || null
      });
      if (o.tip) { l.bindTooltip(function () { return tip(o.tip, p); }, { sticky: true }); }
      l.addTo(g);
    });
    return g;
  }
  /* A fixed box (legend, manifest) with HTML escaped on the Python side. */
  function box(map, html, position, cls) {
    var c = L.control({ position: position });
    c.onAdd = function () {
      var d = L.DomUtil.create("div", "gm-box " + (cls || ""));
      d.innerHTML = html;
      L.DomEvent.disableClickPropagation(d);
      L.DomEvent.disableScrollPropagation(d);
      return d;
    };
    c.addTo(map);
    return c;
  }
  return { esc: esc, tip: tip, colour: colour, polygons: polygons, points: points, lines: lines, box: box };
})();
