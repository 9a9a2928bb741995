/* Charts drawn with the vendored Apache ECharts from a JSON description in the page.
 *
 * A chart is <div class="chart-box" data-chart="ID"></div> next to
 * <script type="application/json" id="ID">{...}</script> (Django's json_script), so the page has
 * no inline script. The description:
 *   {type: "bar" | "line", categories: [...], series: [{name, data: [...]}], unit: "%",
 *    horizontal: false, target: 65, targetLabel: "目标"}
 */
(function () {
  "use strict";

  function option(spec) {
    var horizontal = !!spec.horizontal;
    var unit = spec.unit || "";
    var categoryAxis = {
      type: "category",
      data: spec.categories,
      axisLabel: { interval: 0, rotate: horizontal ? 0 : (spec.categories.length > 8 ? 30 : 0) }
    };
    var compact = !!spec.compact;
    var valueAxis = { type: "value", scale: compact, axisLabel: { show: !compact, formatter: "{value}" + unit },
                      splitLine: { show: !compact } };
    var series = spec.series.map(function (s, index) {
      var item = {
        name: s.name,
        type: spec.type || "bar",
        data: s.data,
        connectNulls: false,
        label: { show: compact || (spec.type !== "line" && spec.categories.length <= 20), position: horizontal ? "right" : "top",
                 fontSize: compact ? 10 : 12 }
      };
      if (index === 0 && spec.target !== undefined && spec.target !== null) {
        item.markLine = {
          symbol: "none",
          data: [horizontal ? { xAxis: spec.target } : { yAxis: spec.target }],
          label: { formatter: (spec.targetLabel || "") + " " + spec.target + unit },
          lineStyle: { type: "dashed", color: "#c0392b" }
        };
      }
      return item;
    });
    return {
      animation: false,
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + unit; } },
      legend: { show: spec.series.length > 1, top: 0 },
      grid: compact ? { left: 10, right: 10, top: 18, bottom: 22, containLabel: false }
                    : { left: horizontal ? 140 : 50, right: 30, top: spec.series.length > 1 ? 30 : 15, bottom: 50, containLabel: !horizontal },
      xAxis: horizontal ? valueAxis : categoryAxis,
      yAxis: horizontal ? Object.assign({}, categoryAxis, { inverse: true }) : valueAxis,
      series: series
    };
  }

  function draw(box) {
    var source = document.getElementById(box.getAttribute("data-chart"));
    if (!source || !window.echarts) { return; }
    var spec = JSON.parse(source.textContent);
    if (spec.horizontal) {
      box.style.height = Math.max(160, spec.categories.length * 26 + 60) + "px";
    }
    var chart = window.echarts.init(box, null, { renderer: "svg" });
    chart.setOption(option(spec));
    box.setAttribute("data-drawn", "true");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawAll(root) {
    (root || document).querySelectorAll(".chart-box[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(); });
  } else {
    drawAll();
  }
  document.addEventListener("htmx:afterSwap", function (event) { drawAll(event.target); });
})();
