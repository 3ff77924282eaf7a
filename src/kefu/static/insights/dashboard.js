/* The figures' charts (Apache ECharts, vendored): dissatisfied per hundred by week (a line) and by
   the chosen dimension (bars), and the complaints' Pareto (bars most first, the cumulative share
   as a line on its own axis). The numbers come from the page's JSON script element; the tables
   beneath hold the same numbers, each a link to what it counts. */
(function () {
  "use strict";

  function chart(id, height) {
    var holder = document.getElementById(id);
    if (!holder) return null;
    holder.style.height = height + "px";
    var made = window.echarts.init(holder, null, { renderer: "svg" });
    window.addEventListener("resize", function () { made.resize(); });
    return made;
  }

  function draw() {
    var source = document.getElementById("figures-chart-data");
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var grid = { left: 8, right: 16, top: 24, bottom: 8, containLabel: true };

    var weeks = chart("week-chart", 240);
    if (weeks) {
      weeks.setOption({
        animation: false, grid: grid, tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: data.weeks },
        yAxis: { type: "value", min: 0, name: data.per_hundred },
        series: [{ name: data.per_hundred, type: "line", data: data.week_values, itemStyle: { color: "#c01c28" } }]
      });
    }

    var dimension = chart("dimension-chart", Math.max(200, 28 * data.dimension_labels.length + 48));
    if (dimension) {
      dimension.setOption({
        animation: false, grid: grid, tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        xAxis: { type: "value", min: 0 },
        yAxis: { type: "category", data: data.dimension_labels, inverse: true, axisLabel: { width: 160, overflow: "truncate" } },
        series: [{ name: data.per_hundred, type: "bar", data: data.dimension_values, itemStyle: { color: "#c01c28" },
                   label: { show: true, position: "right", color: "#212529" } }]
      });
    }

    var pareto = chart("pareto-chart", 280);
    if (pareto) {
      pareto.setOption({
        animation: false, grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: data.causes, axisLabel: { interval: 0, width: 90, overflow: "truncate" } },
        yAxis: [
          { type: "value", min: 0, name: data.complaints },
          { type: "value", min: 0, max: 100, name: data.cumulative, axisLabel: { formatter: "{value}%" } }
        ],
        series: [
          { name: data.complaints, type: "bar", data: data.cause_counts, itemStyle: { color: "#1a5fb4" } },
          { name: data.cumulative, type: "line", yAxisIndex: 1, data: data.cause_cumulative, itemStyle: { color: "#e66100" } }
        ]
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
