// 志愿服务统计: two ECharts bar charts; the same numbers are in the tables beside them.
(function () {
  "use strict";
  var node = document.getElementById("volunteer-chart-data");
  if (!node || typeof echarts === "undefined") { return; }
  var data = JSON.parse(node.textContent);
  if (!data) { return; }
  var color = "#b71c1c";
  // Drawn on the canvas: the HTML tooltip writes style="" attributes, which the Content-Security-Policy refuses.
  var TOOLTIP = { trigger: "axis", renderMode: "richText" };
  var monthly = document.getElementById("monthly-chart");
  if (monthly) {
    var chart = echarts.init(monthly);
    chart.setOption({
      animation: false,
      grid: { left: 40, right: 10, top: 30, bottom: 30 },
      tooltip: TOOLTIP,
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", name: "小时" },
      series: [{ type: "bar", data: data.hours, itemStyle: { color: color }, label: { show: true, position: "top" } }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  var dept = document.getElementById("department-chart");
  if (dept && data.departments.length) {
    var chart2 = echarts.init(dept);
    chart2.setOption({
      animation: false,
      grid: { left: 40, right: 10, top: 30, bottom: 60 },
      tooltip: TOOLTIP,
      xAxis: { type: "category", data: data.departments, axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: "value", name: "小时" },
      series: [{ type: "bar", data: data.department_hours, itemStyle: { color: "#0d6efd" }, label: { show: true, position: "top" } }]
    });
    window.addEventListener("resize", function () { chart2.resize(); });
  }
})();
