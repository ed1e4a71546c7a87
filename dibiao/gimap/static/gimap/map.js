// 一张图: the province map (counties shaded by a measure) and a county's map (its layers), for
// staff and for the public. Everything comes from the map API as GeoJSON; no tile server is
// needed (a tile layer is added only when DIBIAO_MAP_TILE_URL is set). The page's settings are
// in <script id="map-config" type="application/json">. Names and other text from the records
// are put into the page as text nodes, never as HTML.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("map-config").textContent);
  var container = document.getElementById("map");

  // The printed map's colours (gimap/printing.py), so that both read alike.
  var COLORS = {
    area: "#2e7d32",
    base: "#e67e22",
    baseOutside: "#cf222e",
    producer: "#0b5cad",
    lab: "#7b3fa0",
    event: "#b7791f",
    scans: "#14532d",
    county: "#373737",
    productCounty: "#14532d",
    neighbour: "#9aa3ad"
  };
  // ColorBrewer OrRd: "none" then four classes.
  var RAMP = ["#f1f2f4", "#fdd49e", "#fdbb84", "#ef6548", "#b30000"];

  function node(tag, text, attributes) {
    var element = document.createElement(tag);
    if (text !== undefined && text !== null) element.textContent = String(text);
    Object.keys(attributes || {}).forEach(function (name) {
      element.setAttribute(name, attributes[name]);
    });
    return element;
  }

  function getJSON(url) {
    return fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/geo+json, application/json" }
    }).then(function (response) {
      if (!response.ok) throw new Error(url + " → " + response.status);
      return response.json();
    });
  }

  function query(base, params) {
    var search = new URLSearchParams();
    Object.keys(params).forEach(function (key) {
      if (params[key] !== null && params[key] !== undefined && params[key] !== "") {
        search.set(key, params[key]);
      }
    });
    var text = search.toString();
    return text ? base + (base.indexOf("?") < 0 ? "?" : "&") + text : base;
  }

  function showError(message) {
    var box = document.getElementById("map-status");
    if (box) {
      box.textContent = message;
      box.hidden = false;
    }
  }

  function newMap() {
    var map = L.map(container, {
      zoomSnap: 0.25,
      zoomDelta: 0.5,
      minZoom: 5,
      maxZoom: 18,
      attributionControl: Boolean(config.tileUrl)
    });
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { maxZoom: 18, attribution: config.tileAttribution || "" }).addTo(map);
    }
    L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);
    return map;
  }

  function countyUrl(code) {
    return config.countyUrl.replace("000000", code);
  }

  function mayOpen(code) {
    return config.openable === null || config.openable.indexOf(code) >= 0;
  }

  // Leaflet's paths take no attributes: the code and name are set once the path is drawn, for
  // assistive technology and for the browser test.
  function label(layer, code, name) {
    layer.on("add", function () {
      var element = layer.getElement();
      if (element) {
        element.setAttribute("data-code", code);
        element.setAttribute("aria-label", name);
      }
    });
  }

  // --- The province map ----------------------------------------------------------------------

  // Upper bounds of up to four classes of the positive values (quartiles, without repeats).
  function classBreaks(values) {
    var positive = values.filter(function (v) { return v > 0; }).sort(function (a, b) { return a - b; });
    if (!positive.length) return [];
    var bounds = [];
    [0.25, 0.5, 0.75, 1].forEach(function (q) {
      var value = positive[Math.max(0, Math.ceil(q * positive.length) - 1)];
      if (bounds.indexOf(value) < 0) bounds.push(value);
    });
    return bounds;
  }

  function classOf(value, bounds) {
    if (!value) return 0;
    for (var i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]) return i + 1;
    }
    return bounds.length;
  }

  function provinceMap() {
    var map = newMap();
    map.createPane("cities");
    map.getPane("cities").style.zIndex = 420;
    map.getPane("cities").style.pointerEvents = "none";
    var select = document.getElementById("measure");
    var legend = document.getElementById("legend");
    var cache = {};
    var counties = null;
    var values = {};
    var products = {};
    var bounds = [];

    function measure(name) {
      if (!cache[name]) cache[name] = getJSON(config.api.measure.replace("__measure__", name));
      return cache[name];
    }

    function style(feature) {
      var code = feature.properties.code;
      var highlighted = (products[code] || 0) > 0;
      return {
        className: "county" + (highlighted ? " product-county" : "") + (mayOpen(code) ? "" : " county-locked"),
        color: highlighted ? COLORS.productCounty : "#8c959f",
        weight: highlighted ? 2.2 : 0.7,
        fillColor: RAMP[classOf(values[code] || 0, bounds)],
        fillOpacity: 0.9
      };
    }

    function drawLegend(name) {
      legend.textContent = "";
      legend.appendChild(node("h2", config.measures[name]));
      var list = node("ul", null, { class: "legend-list" });
      function row(color, text, outline) {
        var item = node("li");
        var swatch = node("span", null, { class: "swatch" });
        swatch.style.background = color;
        if (outline) swatch.style.border = "2px solid " + outline;
        item.appendChild(swatch);
        item.appendChild(node("span", text));
        list.appendChild(item);
      }
      row(RAMP[0], "0");
      var lower = 1;
      bounds.forEach(function (upper, index) {
        row(RAMP[index + 1], lower === upper ? String(upper) : lower + "–" + upper);
        lower = upper + 1;
      });
      row("#fff", "有地理标志产品的县", COLORS.productCounty);
      legend.appendChild(list);
    }

    function apply(name) {
      return measure(name).then(function (data) {
        values = data.values;
        bounds = classBreaks(Object.keys(values).map(function (code) { return values[code]; }));
        if (counties) {
          counties.setStyle(style);
          counties.eachLayer(function (layer) {
            if ((products[layer.feature.properties.code] || 0) > 0) layer.bringToFront();
          });
        }
        drawLegend(name);
        container.setAttribute("data-measure", name);
      });
    }

    Promise.all([
      getJSON(query(config.api.divisions, { level: "county" })),
      getJSON(query(config.api.divisions, { level: "city" })),
      measure("products")
    ]).then(function (results) {
      products = results[2].values;
      counties = L.geoJSON(results[0], {
        style: style,
        onEachFeature: function (feature, layer) {
          var code = feature.properties.code;
          var name = feature.properties.name;
          label(layer, code, name);
          layer.bindTooltip(function () {
            var box = node("div");
            box.appendChild(node("strong", name));
            box.appendChild(node("div", config.measures[select.value] + "：" + (values[code] || 0)));
            if (!mayOpen(code)) box.appendChild(node("div", "不在您的管辖范围", { class: "muted" }));
            return box;
          }, { sticky: true, direction: "top", offset: [0, -8] });
          if (mayOpen(code)) {
            layer.on("click", function () { window.location.href = countyUrl(code); });
            layer.on("mouseover", function () { layer.setStyle({ weight: 3, color: "#1f2328" }); });
            layer.on("mouseout", function () { counties.resetStyle(layer); });
          }
        }
      }).addTo(map);
      L.geoJSON(results[1], {
        pane: "cities",
        interactive: false,
        style: { className: "city", color: "#2b2f33", weight: 1.6, fill: false }
      }).addTo(map);
      map.fitBounds(counties.getBounds(), { padding: [8, 8] });
      return apply(select.value);
    }).then(function () {
      container.setAttribute("data-ready", "true");
    }).catch(function (error) {
      showError("地图数据加载失败，请刷新重试。");
      if (window.console) console.error(error);
    });

    select.addEventListener("change", function () {
      var url = new URL(window.location.href);
      url.searchParams.set("measure", select.value);
      window.history.replaceState(null, "", url);
      apply(select.value);
    });
  }

  // --- A county's map --------------------------------------------------------------------------

  // Properties shown in a popup, in this order, when a feature has them.
  var FACTS = [
    ["kind_label", "类型"],
    ["status_label", "状态"],
    ["certificate_number", "登记证书"],
    ["product", "产品"],
    ["products", "产品"],
    ["producer", "经营主体"],
    ["division", "所在县"],
    ["held_on", "日期"],
    ["place", "地点"],
    ["attendees", "参加人数"],
    ["test_reports", "检测报告（份）"],
    ["scans", "扫码次数"]
  ];

  function popup(feature) {
    var p = feature.properties || {};
    var box = node("div", null, { class: "map-popup" });
    var title = node("div", null, { class: "popup-title" });
    if (p.url) {
      title.appendChild(node("a", p.name, { href: p.url }));
    } else {
      title.textContent = p.name || "";
    }
    box.appendChild(title);
    var facts = node("dl");
    function fact(label, value) {
      if (value === undefined || value === null || value === "") return;
      facts.appendChild(node("dt", label));
      facts.appendChild(node("dd", value));
    }
    FACTS.forEach(function (item) {
      var value = p[item[0]];
      if (Array.isArray(value)) value = value.join("、");
      if (typeof value === "string" || typeof value === "number") fact(item[1], value);
    });
    if (p.layer === "protected_areas") {
      fact("范围依据", p.basis);
      if (p.approximate) fact("说明", "近似范围（虚线），尚未上传保护范围边界");
      if (p.area_mu) fact("面积", Math.round(p.area_mu).toLocaleString("zh-CN") + " 亩");
    } else if (p.layer === "bases") {
      if (p.area_mu) {
        var hectares = p.area_hectares ? "（" + Number(p.area_hectares).toFixed(2) + " 公顷）" : "";
        fact("面积", Number(p.area_mu).toLocaleString("zh-CN") + " 亩" + hectares + (p.area_basis ? "，" + p.area_basis : ""));
      }
      if (p.inside_protected_area === false) fact("保护范围", "不在产品保护范围内");
      else if (p.inside_protected_area === true) fact("保护范围", "在产品保护范围内");
      if (p.in_recorded_county === false) fact("核对", "位置不在所填的县内");
    }
    if (p.approximate && p.layer !== "protected_areas") fact("位置", "近似（" + (p.basis || "所在县") + "）");
    box.appendChild(facts);
    return box;
  }

  // Each layer in a pane of its own, stacked so that what is looked for is on top: the
  // protected areas lowest, then the scan circles, labs and events, producers, and the bases
  // (a producer is often placed at its base's point).
  var PANES = {
    protected_areas: ["overlayPane", 400],
    scans: ["gi-scans", 405],
    labs: ["gi-sites", 415],
    events: ["gi-sites", 415],
    producers: ["gi-producers", 420],
    bases: ["gi-bases", 430]
  };

  function point(color, radius, className, pane) {
    return function (feature, latlng) {
      return L.circleMarker(latlng, {
        pane: pane,
        radius: radius,
        color: "#fff",
        weight: 1.5,
        fillColor: color,
        fillOpacity: 0.95,
        className: className
      });
    };
  }

  // The name on hover, the facts on click (the name hidden while they are open).
  function bindInfo(layer, feature) {
    layer.bindPopup(function () { return popup(feature); }, { maxWidth: 320 });
    if (feature.properties && feature.properties.name) {
      layer.bindTooltip(String(feature.properties.name), { direction: "top" });
      layer.on("popupopen", function () { layer.closeTooltip(); });
    }
  }

  function baseColor(feature) {
    return feature.properties.inside_protected_area === false ? COLORS.baseOutside : COLORS.base;
  }

  var LAYER_STYLES = {
    protected_areas: {
      style: function (feature) {
        return {
          className: "gi-area",
          color: COLORS.area,
          weight: 2,
          fillColor: COLORS.area,
          fillOpacity: 0.16,
          dashArray: feature.properties.approximate ? "7 5" : null
        };
      }
    },
    bases: {
      style: function (feature) {
        var color = baseColor(feature);
        return { className: "gi-base", color: color, weight: 1.5, fillColor: color, fillOpacity: 0.5 };
      },
      pointToLayer: function (feature, latlng) {
        return point(baseColor(feature), 6, "gi-base", "gi-bases")(feature, latlng);
      }
    },
    // A ring: a producer is often placed at its base's point, whose dot shows inside it.
    producers: {
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, {
          pane: "gi-producers",
          radius: 9,
          color: COLORS.producer,
          weight: 2.5,
          fillColor: COLORS.producer,
          fillOpacity: 0.08,
          className: "gi-producer"
        });
      }
    },
    labs: { pointToLayer: point(COLORS.lab, 6, "gi-lab", "gi-sites") },
    events: { pointToLayer: point(COLORS.event, 6, "gi-event", "gi-sites") },
    scans: {
      pointToLayer: function (feature, latlng) {
        var count = Number(feature.properties.scans || 0);
        return L.circleMarker(latlng, {
          pane: "gi-scans",
          radius: Math.max(6, Math.min(30, 4 + Math.sqrt(count))),
          color: COLORS.scans,
          weight: 1.5,
          fillColor: COLORS.scans,
          fillOpacity: 0.35,
          className: "gi-scans"
        });
      },
      style: { className: "gi-scans", color: COLORS.scans, weight: 1, fillOpacity: 0.2 }
    }
  };

  function countyMap() {
    var map = newMap();
    // The counties below the layers; the county's own border again above them, so that a
    // protected area drawn along it does not hide it.
    map.createPane("county-outline");
    map.getPane("county-outline").style.zIndex = 390;
    map.createPane("county-edge");
    map.getPane("county-edge").style.zIndex = 410;
    map.getPane("county-edge").style.pointerEvents = "none";
    Object.keys(PANES).forEach(function (layer) {
      var pane = PANES[layer];
      if (!map.getPane(pane[0])) map.createPane(pane[0]).style.zIndex = pane[1];
    });
    var groups = {};
    var productSelect = document.getElementById("product");
    var checkboxes = document.querySelectorAll("input[data-layer]");
    var pending = 0;

    function product() {
      return productSelect ? productSelect.value : "";
    }

    function setCount(layer, count) {
      var badge = document.querySelector("[data-count='" + layer + "']");
      if (badge) badge.textContent = String(count);
    }

    function updateLinks() {
      document.querySelectorAll("a[data-href]").forEach(function (link) {
        link.href = query(link.getAttribute("data-href"), { product: product() });
      });
    }

    function loadLayer(name) {
      pending += 1;
      container.removeAttribute("data-ready");
      return getJSON(query(config.api.layer.replace("__layer__", name), {
        division: config.county.code,
        product: product()
      })).then(function (collection) {
        var options = LAYER_STYLES[name] || {};
        var group = L.geoJSON(collection, {
          pane: PANES[name][0],
          style: options.style,
          pointToLayer: options.pointToLayer,
          onEachFeature: function (feature, layer) {
            bindInfo(layer, feature);
          }
        });
        if (name === "bases") {
          // A base of a few hundred 亩 is a few pixels at county zoom: a dot marks each
          // polygon so that it can be seen and clicked.
          collection.features.forEach(function (feature) {
            if (!feature.geometry || feature.geometry.type === "Point") return;
            var center = L.geoJSON(feature).getBounds().getCenter();
            var dot = point(baseColor(feature), 5, "gi-base gi-base-dot", "gi-bases")(feature, center);
            bindInfo(dot, feature);
            group.addLayer(dot);
          });
        }
        if (groups[name]) map.removeLayer(groups[name]);
        groups[name] = group;
        setCount(name, collection.features.length);
        var box = document.querySelector("input[data-layer='" + name + "']");
        if (!box || box.checked) group.addTo(map);
        if (name === "protected_areas") group.bringToBack();
      }).catch(function (error) {
        setCount(name, "!");
        showError("部分图层加载失败，请刷新重试。");
        if (window.console) console.error(error);
      }).then(function () {
        pending -= 1;
        if (pending === 0) container.setAttribute("data-ready", "true");
      });
    }

    function loadLayers() {
      return Promise.all(config.layers.map(loadLayer));
    }

    getJSON(query(config.api.divisions, { level: "county", parent: config.county.parent }))
      .then(function (collection) {
        var own = null;
        L.geoJSON(collection, {
          pane: "county-outline",
          style: function (feature) {
            var mine = feature.properties.code === config.county.code;
            return mine
              ? { className: "county county-self", color: COLORS.county, weight: 2.5, fillColor: "#fbfaf5", fillOpacity: 0.6 }
              : { className: "county county-neighbour", color: COLORS.neighbour, weight: 1, fillColor: "#eef0f2", fillOpacity: 0.5 };
          },
          onEachFeature: function (feature, layer) {
            var code = feature.properties.code;
            label(layer, code, feature.properties.name);
            if (code === config.county.code) {
              own = layer;
              return;
            }
            layer.bindTooltip(String(feature.properties.name), { sticky: true });
            if (mayOpen(code)) {
              layer.on("click", function () { window.location.href = countyUrl(code); });
            }
          }
        }).addTo(map);
        if (own) {
          L.geoJSON(own.feature, {
            pane: "county-edge",
            interactive: false,
            style: { className: "county-edge", color: COLORS.county, weight: 2.5, fill: false }
          }).addTo(map);
          map.fitBounds(own.getBounds(), { padding: [12, 12] });
        }
        else map.fitBounds(L.geoJSON(collection).getBounds());
      })
      .catch(function (error) {
        showError("县界加载失败，请刷新重试。");
        if (window.console) console.error(error);
      })
      .then(loadLayers);

    checkboxes.forEach(function (box) {
      box.addEventListener("change", function () {
        var group = groups[box.getAttribute("data-layer")];
        if (!group) return;
        if (box.checked) {
          group.addTo(map);
          if (box.getAttribute("data-layer") === "protected_areas") group.bringToBack();
        } else {
          map.removeLayer(group);
        }
      });
    });
    if (productSelect) {
      productSelect.addEventListener("change", function () {
        var url = new URL(window.location.href);
        if (product()) url.searchParams.set("product", product());
        else url.searchParams.delete("product");
        window.history.replaceState(null, "", url);
        updateLinks();
        loadLayers();
      });
    }
    updateLinks();
  }

  if (config.page === "province") provinceMap();
  else countyMap();
})();
