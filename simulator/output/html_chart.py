"""`.html`: the Gantt chart as a standalone page, with tooltips and zoom (no network, no external files).

The page embeds the SVG drawing of svg_chart with its bars in a nested, zoomable plot. Zoom with the
buttons, the + and - keys, or the mouse wheel over the chart; drag to pan; 0 resets. The axis is redrawn
for the visible window. Hovering a bar shows what it was. Once drawn, the page records in
`document.body.dataset` how many lanes, axis labels and thread names on CPU bars it rendered (the browser
test reads that). CPU bars name their thread as in the SVG; the names are moved, shown and hidden as the
chart zooms, so a bar too narrow for its name at first shows it once zoomed in.
"""

from __future__ import annotations

from simulator import __version__
from simulator.analysis.metrics import RunMetrics
from simulator.output.chart_data import PLOT_WIDTH
from simulator.output.escaping import xml_text
from simulator.output.svg_chart import LABEL_MIN_WIDTH, LABEL_WIDTH, SvgChartWriter, render_svg
from simulator.timeunits import NS_PER_UNIT

STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 16px; color: #222; background: #fafafa; }
#toolbar { margin-bottom: 8px; }
#toolbar button { font-size: 14px; min-width: 32px; margin-right: 4px; }
#toolbar span { color: #555; margin-left: 10px; font-size: 12px; }
#frame { overflow: auto; border: 1px solid #ccc; background: #fff; display: inline-block; max-width: 100%; }
#tooltip { position: fixed; pointer-events: none; background: #222; color: #fff; padding: 4px 8px;
           border-radius: 4px; font-size: 12px; display: none; white-space: nowrap; z-index: 10; }
rect.bar:hover { opacity: 0.75; }
"""

SCRIPT = """
(function () {
  var chart = document.getElementById("chart"), plot = document.getElementById("plot");
  var axis = document.getElementById("axis"), tip = document.getElementById("tooltip");
  var W = %(plot_width)d, LEFT = %(left)d, PER_UNIT = %(per_unit)d, UNIT = chart.dataset.unit;
  var MIN_LABEL = %(min_label)d;
  var END = Number(chart.dataset.end), H = plot.viewBox.baseVal.height, x0 = 0, w = W;
  var NS = "http://www.w3.org/2000/svg";
  function label(ns) {
    var value = ns / PER_UNIT;
    return String(Number(value.toPrecision(12)));
  }
  function niceStep(span) {
    for (var magnitude = 1; ; magnitude *= 10) {
      var steps = [magnitude, 2 * magnitude, 5 * magnitude];
      for (var i = 0; i < 3; i++) if (Math.floor(span / steps[i]) <= 10) return steps[i];
    }
  }
  function drawAxis() {
    var y = Number(axis.dataset.y);
    axis.querySelectorAll(".tick, .tick-label").forEach(function (node) { node.remove(); });
    if (!END) return;
    var from = x0 / W * END, to = (x0 + w) / W * END, step = niceStep(Math.max(1, to - from));
    for (var t = Math.ceil(from / step) * step; t <= to; t += step) {
      var x = LEFT + (t / END * W - x0) * W / w;
      var line = document.createElementNS(NS, "line");
      line.setAttribute("class", "tick"); line.setAttribute("x1", x); line.setAttribute("x2", x);
      line.setAttribute("y1", y); line.setAttribute("y2", y + 5); line.setAttribute("stroke", "#333");
      var text = document.createElementNS(NS, "text");
      text.setAttribute("class", "tick-label"); text.setAttribute("x", x); text.setAttribute("y", y + 17);
      text.setAttribute("text-anchor", "middle"); text.textContent = label(t);
      axis.appendChild(line); axis.appendChild(text);
    }
  }
  var labels = chart.querySelectorAll(".bar-label");
  function drawLabels() {
    // CPU bars name their thread where the zoomed bar is at least MIN_LABEL px wide.
    labels.forEach(function (node) {
      var a = LEFT + (Number(node.dataset.x0) - x0) * W / w, b = LEFT + (Number(node.dataset.x1) - x0) * W / w;
      var left = Math.max(a, LEFT), right = Math.min(b, LEFT + W);
      if (right - left >= MIN_LABEL) {
        node.setAttribute("x", (left + right) / 2); node.removeAttribute("display");
      } else {
        node.setAttribute("display", "none");
      }
    });
  }
  function apply() {
    plot.setAttribute("viewBox", x0 + " 0 " + w + " " + H);
    document.getElementById("zoomlevel").textContent = "zoom " + (W / w).toFixed(1) + "x";
    drawAxis();
    drawLabels();
  }
  function zoom(factor, centre) {
    var width = Math.min(W, Math.max(W / 1e6, w / factor));
    x0 = Math.min(W - width, Math.max(0, x0 + (w - width) * centre));
    w = width; apply();
  }
  document.getElementById("zoomin").onclick = function () { zoom(2, 0.5); };
  document.getElementById("zoomout").onclick = function () { zoom(0.5, 0.5); };
  document.getElementById("reset").onclick = function () { x0 = 0; w = W; apply(); };
  document.addEventListener("keydown", function (event) {
    if (event.key === "+" || event.key === "=") zoom(2, 0.5);
    if (event.key === "-") zoom(0.5, 0.5);
    if (event.key === "0") { x0 = 0; w = W; apply(); }
  });
  function centreOf(event) {
    var box = plot.getBoundingClientRect();
    return Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
  }
  plot.addEventListener("wheel", function (event) {
    event.preventDefault(); zoom(event.deltaY < 0 ? 1.25 : 0.8, centreOf(event));
  }, {passive: false});
  var dragging = null;
  plot.addEventListener("mousedown", function (event) { dragging = {x: event.clientX, x0: x0}; });
  window.addEventListener("mouseup", function () { dragging = null; });
  window.addEventListener("mousemove", function (event) {
    if (dragging) {
      var box = plot.getBoundingClientRect();
      x0 = Math.min(W - w, Math.max(0, dragging.x0 - (event.clientX - dragging.x) * w / box.width));
      apply();
    }
  });
  chart.addEventListener("mouseover", function (event) {
    var title = event.target.querySelector && event.target.querySelector("title");
    if (title) { tip.textContent = title.textContent; tip.style.display = "block"; }
  });
  chart.addEventListener("mouseout", function () { tip.style.display = "none"; });
  chart.addEventListener("mousemove", function (event) {
    tip.style.left = (event.clientX + 14) + "px"; tip.style.top = (event.clientY + 14) + "px";
  });
  apply();
  var box = plot.getBBox();
  document.body.dataset.lanes = String(document.querySelectorAll(".lane-label").length);
  document.body.dataset.bars = String(document.querySelectorAll("rect.bar").length);
  document.body.dataset.axisLabels = String(axis.querySelectorAll(".tick-label").length);
  document.body.dataset.barLabels = String(chart.querySelectorAll(".bar-label:not([display])").length);
  document.body.dataset.rendered = String(box.width > 0 && box.height > 0);
})();
"""


class HtmlChartWriter(SvgChartWriter):
    """Collects bars like the SVG writer, and writes the page (the drawing, interactive) at the end."""

    def close(self, metrics: RunMetrics) -> None:
        write = self.stream.write
        title = xml_text(f"threadsim: {self.info.scenario}")
        write(f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{title}</title>\n'
              f'<meta name="generator" content="threadsim {__version__}">\n<style>{STYLE}</style>\n</head>\n<body>\n'
              '<div id="toolbar"><button id="zoomin" title="zoom in (+)">+</button>'
              '<button id="zoomout" title="zoom out (-)">&minus;</button>'
              '<button id="reset" title="reset zoom (0)">reset</button><span id="zoomlevel"></span>'
              "<span>wheel over the chart to zoom, drag to pan, hover a bar for details</span></div>\n"
              '<div id="frame">\n')  # fmt: skip
        for piece in render_svg(self.info, metrics, self.data, interactive=True, end_state=self.end_lines(metrics)):
            write(piece)
        script = SCRIPT % {"plot_width": PLOT_WIDTH, "left": LABEL_WIDTH, "min_label": LABEL_MIN_WIDTH,
                           "per_unit": NS_PER_UNIT[self.info.time_unit]}  # fmt: skip
        write(f'</div>\n<div id="tooltip"></div>\n<script>{script}</script>\n</body>\n</html>\n')
