/* Maps of the owner's places (vendored Leaflet). No inline script: each map is a
   <div class="map" data-map="ID"> and its data a json_script element #ID holding
   {points: [{lat, lon, time, label}], tiles, attribution, title}. With no tile URL the
   points are drawn on a blank background (offline installations, tests). */
(function () {
  "use strict";

  function text(value) {
    var span = document.createElement("span");
    span.textContent = value;
    return span;
  }

  function escaped(value) {
    return text(value).innerHTML;
  }

  function draw(el) {
    if (el.dataset.drawn || typeof L === "undefined") return;
    var source = document.getElementById(el.dataset.map);
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var points = data.points || [];
    var map = L.map(el, { attributionControl: Boolean(data.tiles), scrollWheelZoom: false });
    if (data.tiles) {
      // The tile server learns this installation's origin, never the page (a source, a day).
      L.tileLayer(data.tiles, {
        maxZoom: 19, attribution: escaped(data.attribution || ""), referrerPolicy: "strict-origin"
      }).addTo(map);
    }
    var line = points.map(function (p) { return [p.lat, p.lon]; });
    if (line.length > 1) {
      L.polyline(line, { color: "#2563eb", weight: 3, opacity: 0.6 }).addTo(map);
    }
    points.forEach(function (p) {
      var marker = L.circleMarker([p.lat, p.lon], {
        radius: p.label ? 7 : 4, color: "#1d4ed8", weight: 1, fillColor: p.label ? "#f59e0b" : "#3b82f6",
        fillOpacity: 0.9, className: "map-point"
      }).addTo(map);
      marker.bindTooltip(text(p.time + (p.label ? " · " + p.label : "")));
    });
    if (line.length === 1) {
      map.setView(line[0], 15);
    } else if (line.length > 1) {
      map.fitBounds(L.latLngBounds(line), { padding: [16, 16], maxZoom: 17 });
    } else {
      map.setView([0, 0], 1);
    }
    el.dataset.drawn = String(points.length);
  }

  function drawAll(root) {
    (root || document).querySelectorAll("div.map[data-map]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSettle", function () { drawAll(document); });  // drawn maps are skipped
})();
