/* Instantané de séance (observatoire/exports/html.py): draws the figures with the inlined plotly.js, sized for
   the screen that opens the file, and redraws them when it changes (rotation, window, printing).

   - Projector / desktop (landscape, ≥ 1000 px): one slide per screen, the figure fills the slide's free height
     (CSS); a map keeps its legend beside it.
   - Phone / tablet / portrait: the figure's height follows its width; a map takes the whole width with its
     legend below it; texts scaled with the width (never below 11 px).
   - Values on hover (mouse) or tap (touch); no dragging or zooming: a finger scrolls the page.
   - ← / → go to the previous / next slide. Printing: figures redrawn at the paper's width.
   No request of any kind: everything this script needs is in the page. */
(function () {
  "use strict";
  if (!window.Plotly) { return; }
  var localeNode = document.getElementById("plotly-locale-fr");
  var locale = localeNode ? JSON.parse(localeNode.textContent) : null;
  var config = {
    displayModeBar: false, displaylogo: false, responsive: false, scrollZoom: false, doubleClick: false,
    showTips: false, locale: "fr"
  };
  if (locale) { config.locales = { fr: locale }; }
  var projector = window.matchMedia("(min-width: 1000px) and (orientation: landscape)");
  var plots = Array.prototype.slice.call(document.querySelectorAll(".obs-plot[data-figure]"));
  var specs = {};
  var printing = false;
  var PRINT_WIDTH = 1000;

  function spec(el) {
    var id = el.getAttribute("data-figure");
    if (!specs[id]) { specs[id] = JSON.parse(document.getElementById(id).textContent); }
    return specs[id];
  }

  function clone(value) { return JSON.parse(JSON.stringify(value)); }

  function scaleFont(font, scale, minimum) {
    if (font && typeof font.size === "number") {
      font.size = Math.max(minimum, Math.round(font.size * scale * 10) / 10);
    }
  }

  /* every font size of the layout and of the traces' legend titles, times `scale` */
  function scaleFonts(layout, data, scale, minimum) {
    layout.font = layout.font || {};
    if (typeof layout.font.size !== "number") { layout.font.size = 12; }
    scaleFont(layout.font, scale, minimum);
    ["legend", "hoverlabel"].forEach(function (name) {
      if (layout[name]) { scaleFont(layout[name].font, scale, minimum); }
    });
    Object.keys(layout).forEach(function (name) {
      if (/^[xy]axis\d*$/.test(name)) {
        var axis = layout[name];
        scaleFont(axis.tickfont, scale, minimum);
        if (axis.title) { scaleFont(axis.title.font, scale, minimum); }
      }
    });
    (layout.annotations || []).forEach(function (note) { scaleFont(note.font, scale, minimum - 1); });
    data.forEach(function (trace) {
      if (trace.legendgrouptitle) { scaleFont(trace.legendgrouptitle.font, scale, minimum); }
      if (trace.marker && typeof trace.marker.size === "number") {
        trace.marker.size = Math.max(8, trace.marker.size * Math.max(scale, 0.7));
      }
    });
  }

  /* `text` (plotly's HTML subset) cut on spaces into lines of at most `perLine` characters */
  function wrap(text, perLine) {
    var bold = /^<b>(.*)<\/b>$/.exec(text);
    var words = (bold ? bold[1] : text).replace(/<br>/g, " ").split(" ");
    var lines = [];
    var line = "";
    words.forEach(function (word) {
      if (line && (line + " " + word).length > perLine) { lines.push(line); line = word; }
      else { line = line ? line + " " + word : word; }
    });
    if (line) { lines.push(line); }
    var out = lines.join("<br>");
    return bold ? "<b>" + out + "</b>" : out;
  }

  function legendEntries(data) {
    return data.filter(function (trace) { return trace.showlegend !== false && trace.name; }).length;
  }

  function draw(el) {
    var figure = spec(el);
    var data = clone(figure.data || []);
    var layout = clone(figure.layout || {});
    var kind = el.getAttribute("data-kind");
    var wide = projector.matches && !printing;
    var width = printing ? PRINT_WIDTH : Math.max(240, el.clientWidth || el.parentNode.clientWidth || 320);
    /* texts scaled from the width the figure was designed for (`data-width`), never below 11 px on a phone
       or 15 px on a projector (read from the back of the room) */
    var design = Number(el.getAttribute("data-width")) || 1000;
    var scale = Math.min(1.2, Math.max(0.6, width / design));
    var narrow = width < 700;
    scaleFonts(layout, data, scale, wide ? 15 : 11);
    layout.margin = layout.margin || {};
    layout.margin.t = Math.max(8, Math.min(layout.margin.t || 10, 24));
    if (kind === "carte" && narrow) {
      /* the whole width for the académie, the legend below it, in two columns of entries */
      layout.xaxis = layout.xaxis || {};
      layout.xaxis.domain = [0, 1];
      layout.legend = Object.assign(layout.legend || {}, {
        orientation: "v", x: 0, xanchor: "left", y: -0.02, yanchor: "top", tracegroupgap: 10
      });
    }
    if (kind === "carte") {
      /* a legend title wider than the legend's room goes on several lines (else plotly widens the right margin
         and shrinks the map) */
      var legend = layout.legend || {};
      var room = narrow ? width : width * (1 - (typeof legend.x === "number" ? legend.x : 0.66)) - 16;
      var size = (legend.font && legend.font.size) || (layout.font && layout.font.size) || 12;
      var perLine = Math.max(14, Math.floor(room / (size * 0.62)));
      data.forEach(function (trace) {
        if (trace.legendgrouptitle && trace.legendgrouptitle.text) {
          trace.legendgrouptitle.text = wrap(trace.legendgrouptitle.text, perLine);
        }
      });
    }
    var height;
    if (printing) {
      height = kind === "carte" ? 560 : 460;
    } else if (wide) {
      height = null; /* the CSS gives the plot the slide's free height */
    } else if (kind === "carte") {
      var rows = narrow ? legendEntries(data) + 3 : 0;
      height = Math.round(width * (narrow ? 0.95 : 0.62) + rows * 26 * Math.max(scale, 0.7) + 10);
    } else {
      height = Math.round(Math.min(520, Math.max(280, width * 0.62)));
    }
    if (height && !narrow) {  /* a landscape phone or a small window: the figure within one screen */
      height = Math.max(280, Math.min(height, window.innerHeight - 24));
    }
    el.style.height = height ? height + "px" : "";
    el.style.width = printing ? PRINT_WIDTH + "px" : "";
    layout.autosize = true;
    delete layout.width;
    delete layout.height;
    el.setAttribute("data-drawn-width", String(width));
    return window.Plotly.react(el, data, layout, config);
  }

  function drawAll() { plots.forEach(draw); }

  var pending = null;
  var lastWidth = window.innerWidth;
  var lastHeight = window.innerHeight;
  function onResize() {
    if (printing) { return; }
    if (window.innerWidth === lastWidth && Math.abs(window.innerHeight - lastHeight) < 80) { return; }
    lastWidth = window.innerWidth;
    lastHeight = window.innerHeight;
    if (pending) { window.clearTimeout(pending); }
    pending = window.setTimeout(drawAll, 150);
  }

  function slides() { return Array.prototype.slice.call(document.querySelectorAll(".obs-slide")); }

  function go(step) {
    var all = slides();
    var top = window.scrollY + 2;
    var current = 0;
    all.forEach(function (section, index) {
      if (section.getBoundingClientRect().top + window.scrollY <= top) { current = index; }
    });
    var target = all[Math.max(0, Math.min(all.length - 1, current + step))];
    if (target) { target.scrollIntoView({ block: "start" }); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var target = event.target;
    if (target && /^(INPUT|TEXTAREA|SELECT|SUMMARY)$/.test(target.tagName)) { return; }
    if (event.key === "ArrowRight") { event.preventDefault(); go(1); }
    if (event.key === "ArrowLeft") { event.preventDefault(); go(-1); }
  });

  var opened = [];
  window.addEventListener("beforeprint", function () {
    printing = true;
    opened = Array.prototype.slice.call(document.querySelectorAll("details.obs-alt:not([open])"));
    opened.forEach(function (details) { details.open = true; });
    drawAll();
  });
  window.addEventListener("afterprint", function () {
    printing = false;
    opened.forEach(function (details) { details.open = false; });
    opened = [];
    drawAll();
  });
  window.addEventListener("resize", onResize);
  if (projector.addEventListener) { projector.addEventListener("change", drawAll); }
  Promise.all(plots.map(draw)).then(function () {
    document.documentElement.setAttribute("data-instantane", "pret");
  });
})();
