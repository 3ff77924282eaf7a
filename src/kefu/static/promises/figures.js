/* The promise-kept figure's chart (Apache ECharts, vendored): one bar per policy and promise, the
   kept rate in percent; the advertised target in the tooltip. The numbers come from the page's
   JSON script element; the table beneath holds the same numbers for readers without the chart. */
(function () {
  "use strict";

  function escape(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function draw() {
    var holder = document.getElementById("promise-chart");
    var source = document.getElementById("promise-chart-data");
    if (!holder || !source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    holder.style.height = Math.max(200, 36 * data.labels.length + 48) + "px";
    var chart = window.echarts.init(holder, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        formatter: function (items) {
          var item = items[0];
          var target = data.targets[item.dataIndex];
          var rate = item.value === null || item.value === undefined ? "—" : item.value + "%";
          return escape(item.name) + "<br>" + escape(data.series) + ": " + rate + (target ? "<br>" + escape(target) : "");
        }
      },
      xAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "category", data: data.labels, inverse: true, axisLabel: { width: 220, overflow: "truncate" } },
      series: [{
        name: data.series,
        type: "bar",
        data: data.rates,
        itemStyle: { color: "#1a5fb4" },
        label: { show: true, position: "right", formatter: "{c}%", color: "#212529" }
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
