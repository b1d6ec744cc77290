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
  /* A tooltip table: title key and [label, key] rows; a list value becomes lines, capped at
   * spec.listMax in the tooltip ("另有 N 名", the full list is in the popup: full = true). */
  function tip(spec, p, full) {
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
    var items = spec.list ? p[spec.list] : null;
    if (items && items.length) {
      var max = full || !spec.listMax ? items.length : spec.listMax;
      if (spec.listTitle) { h += '<div class="gm-list-title">' + esc(spec.listTitle) + "</div>"; }
      h += "<ul>" + items.slice(0, max).map(function (x) { return "<li>" + esc(x) + "</li>"; }).join("");
      if (items.length > max) {
        h += '<li class="gm-more">另有 ' + (items.length - max) + " " + esc(spec.listUnit || "项") +
             "（点击查看全部）</li>";
      }
      h += "</ul>";
    }
    return h + "</div>";
  }
  /* Tooltip (capped) and popup (full lists, scrolls) of a layer. */
  function bind(layer, o, p, sticky) {
    if (!o.tip) { return; }
    layer.bindTooltip(function () { return tip(o.tip, p, false); }, { sticky: sticky });
    layer.bindPopup(function () { return tip(o.tip, p, true); }, { maxHeight: 360, maxWidth: 380 });
  }
  /* Units a search can find: {kind, code, name, sub, layers, latlng, html}. */
  var units = {};
  var order = [];
  function register(o, p, layer, latlng) {
    if (!o.search) { return; }
    var s = o.search;
    var key = s.kind + ":" + p[s.code];
    var u = units[key];
    if (!u) {
      u = { kind: s.kind, rank: s.rank || 0, code: String(p[s.code]), name: String(p[s.name]),
            sub: s.sub ? String(p[s.sub] || "") : "", layers: [], latlng: latlng,
            html: function () { return o.tip ? tip(o.tip, p, true) : esc(p[s.name]); } };
      units[key] = u;
      order.push(u);
    }
    u.layers.push(layer);
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
        bind(layer, o, f.properties, true);
        register(o, f.properties, layer, null);
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
      bind(m, o, p, false);
      register(o, p, m, L.latLng(p.lat, p.lon));
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
      bind(l, o, p, true);
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
  /* County names as labels, shown from zoom level o.minZoom on. */
  function labels(map, data, o) {
    var g = L.layerGroup();
    data.rows.forEach(function (r) {
      var p = rowObject(data.cols, r);
      L.marker([p.lat, p.lon], {
        interactive: false, keyboard: false,
        icon: L.divIcon({ className: "gm-label", html: "<span>" + esc(p.n) + "</span>", iconSize: null })
      }).addTo(g);
    });
    function toggle() {
      if (map.getZoom() >= o.minZoom) { g.addTo(map); } else { map.removeLayer(g); }
    }
    map.on("zoomend", toggle);
    toggle();
    return g;
  }
  /* Pinyin of a name: the phrase reading when it differs from the characters' own. */
  function pinyinOf(py, name) {
    var syl = py.names[name] ? py.names[name].split(" ") : name.split("").map(function (c) {
      return py.chars[c] || c.toLowerCase();
    });
    return { full: syl.join(""), initials: syl.map(function (s) { return s.charAt(0); }).join("") };
  }
  function norm(q) { return String(q).toLowerCase().replace(/[\s'’·]/g, ""); }
  /* How well a unit matches a query (lower is better; -1 = no match). */
  function score(u, q) {
    if (u.code === q || u.name === q) { return 0; }
    if (u.name.indexOf(q) === 0) { return 1; }
    if (/^[0-9]{2,}$/.test(q) && u.code.indexOf(q) === 0) { return 2; }
    if (u.py.full.indexOf(q) === 0) { return 2; }
    if (u.py.initials.indexOf(q) === 0 && q.length >= 2) { return 3; }
    if (u.name.indexOf(q) > 0) { return 4; }
    if (q.length >= 3 && u.py.full.indexOf(q) > 0) { return 5; }
    return -1;
  }
  function find(q, limit) {
    q = norm(q);
    if (!q) { return []; }
    var hits = [];
    order.forEach(function (u) {
      var s = score(u, q);
      if (s >= 0) { hits.push([s, u.rank, u.name.length, u]); }
    });
    hits.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1] || a[2] - b[2]; });
    return hits.slice(0, limit || 12).map(function (h) { return h[3]; });
  }
  var mark = null;
  /* Zoom to a unit and open its popup (on the layer shown, else at its place). */
  function go(map, u) {
    var shown = u.layers.filter(function (l) { return !!l._map; })[0];
    var layer = shown || u.layers[0];
    var where = u.latlng || layer.getBounds().getCenter();
    if (u.latlng) { map.setView(u.latlng, Math.max(map.getZoom(), 11), { animate: false }); }
    else { map.fitBounds(layer.getBounds(), { maxZoom: 10, animate: false }); }
    if (mark) { map.removeLayer(mark); }
    mark = L.circleMarker(where, { radius: 12, color: "#0047ab", weight: 3, fill: false,
                                   interactive: false }).addTo(map);
    if (shown) { shown.openPopup(u.latlng || undefined); }
    else { L.popup({ maxHeight: 360, maxWidth: 380 }).setLatLng(where).setContent(u.html()).openOn(map); }
  }
  /* The search box: county, township, village by Chinese name, pinyin or code. */
  function search(map, py, o) {
    order.forEach(function (u) { u.py = pinyinOf(py, u.name); });
    var c = L.control({ position: o.position || "topleft" });
    c.onAdd = function () {
      var d = L.DomUtil.create("div", "gm-box gm-search");
      d.innerHTML = '<input type="search" class="gm-search-input" autocomplete="off" placeholder="' +
        esc(o.placeholder || "搜索") + '" aria-label="' + esc(o.placeholder || "搜索") + '"/>' +
        '<ul class="gm-search-hits"></ul>';
      L.DomEvent.disableClickPropagation(d);
      L.DomEvent.disableScrollPropagation(d);
      var input = d.querySelector("input");
      var list = d.querySelector("ul");
      var hits = [];
      function show() {
        hits = find(input.value, 12);
        list.innerHTML = hits.map(function (u, i) {
          return '<li data-i="' + i + '"><b>' + esc(u.name) + "</b> <small>" + esc(u.kind) + " " +
                 esc(u.code) + (u.sub ? " · " + esc(u.sub) : "") + "</small></li>";
        }).join("") || (input.value ? '<li class="gm-none">没有找到</li>' : "");
      }
      input.addEventListener("input", show);
      input.addEventListener("keydown", function (e) {
        if (e.key === "Enter" && hits.length) { go(map, hits[0]); list.innerHTML = ""; }
      });
      list.addEventListener("click", function (e) {
        var li = e.target.closest("li[data-i]");
        if (li) { go(map, hits[+li.getAttribute("data-i")]); list.innerHTML = ""; }
      });
      return d;
    };
    c.addTo(map);
    return c;
  }
  /* An inset map (南海诸岛) in a box: its own small non-interactive map of given layers. */
  function inset(map, o) {
    var c = L.control({ position: o.position || "bottomright" });
    c.onAdd = function () {
      var d = L.DomUtil.create("div", "gm-box gm-inset");
      d.innerHTML = '<div class="gm-inset-map"></div><div class="gm-inset-title">' + esc(o.title) + "</div>";
      L.DomEvent.disableClickPropagation(d);
      L.DomEvent.disableScrollPropagation(d);
      return d;
    };
    c.addTo(map);
    var m = L.map(c.getContainer().querySelector(".gm-inset-map"), {
      zoomControl: false, attributionControl: false, dragging: false, scrollWheelZoom: false,
      doubleClickZoom: false, boxZoom: false, keyboard: false, touchZoom: false,
      preferCanvas: true, zoomSnap: 0.1
    });
    o.layers.forEach(function (l) {  /* data: JSON, or the name of a page variable */
      GM[l.fn](typeof l.data === "string" ? window[l.data] : l.data, l.opts).addTo(m);
    });
    m.fitBounds(o.bounds, { animate: false });
    return m;
  }
  return { esc: esc, tip: tip, colour: colour, polygons: polygons, points: points, lines: lines,
           box: box, labels: labels, search: search, find: find, go: go, inset: inset, units: order };
})();
