// 驾驶舱: six ECharts charts from the page's json_script data; each card also has the numbers as a table.
(function () {
  "use strict";
  var node = document.getElementById("cockpit-data");
  if (!node || typeof echarts === "undefined") { return; }
  var data = JSON.parse(node.textContent);
  var charts = [];
  // Drawn on the canvas: the HTML tooltip writes style="" attributes, which the Content-Security-Policy refuses.
  var TOOLTIP = { trigger: "axis", renderMode: "richText" };
  var RED = "#b71c1c", GREEN = "#2e7d32", GREY = "#9e9e9e", BLUE = "#0d6efd";

  function toolbox(name) {
    return { right: 4, top: 0, feature: { saveAsImage: { title: "保存为 PNG", type: "png", name: name, pixelRatio: 2 } } };
  }
  function make(id, option) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    var chart = echarts.init(el);
    option.animation = false;
    chart.setOption(option);
    charts.push(chart);
    return chart;
  }
  function empty(id, text) {
    var el = document.getElementById(id);
    if (el) { el.classList.add("wm-chart-empty"); el.textContent = text; }
  }

  var d = data.departments;
  if (d.names.length) {
    var bar = make("chart-departments", {
      toolbox: toolbox("各部门任务完成情况"),
      tooltip: TOOLTIP,
      legend: { top: 0, left: "center", data: ["已完成", "未完成", "逾期"] },
      grid: { left: 36, right: 8, top: 30, bottom: 56 },
      xAxis: { type: "category", data: d.names, axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: "value", name: "项" },
      series: [
        { name: "已完成", type: "bar", stack: "t", data: d.done, itemStyle: { color: GREEN } },
        { name: "未完成", type: "bar", stack: "t", data: d.open, itemStyle: { color: GREY } },
        { name: "逾期", type: "bar", stack: "t", data: d.late, itemStyle: { color: RED } }
      ]
    });
    bar.on("click", function (params) {
      var url = d.urls[params.dataIndex];
      if (url) { window.location.href = url; }
    });
  } else { empty("chart-departments", "暂无分解到部门的任务"); }

  if (data.phases.length) {
    var names = data.phases.map(function (p) { return p.name; });
    make("chart-phases", {
      toolbox: toolbox("实施阶段"),
      tooltip: { trigger: "item", renderMode: "richText" },
      grid: { left: 90, right: 16, top: 24, bottom: 28 },
      xAxis: { type: "time" },
      yAxis: { type: "category", data: names, inverse: true },
      series: data.phases.map(function (p, i) {
        var s = {
          name: p.name, type: "line", symbol: "none", lineStyle: { width: 14, color: i % 2 ? BLUE : "#6c8ebf" },
          data: [[p.start, p.name], [p.end, p.name]]
        };
        if (i === 0) {
          s.markLine = { symbol: "none", label: { formatter: "今天" }, lineStyle: { color: RED, type: "solid", width: 2 },
            data: [{ xAxis: data.today }] };
        }
        return s;
      })
    });
  } else { empty("chart-phases", "方案未设阶段日期"); }

  var h = data.heatmap;
  if (h.cells.length) {
    make("chart-coverage", {
      toolbox: toolbox("佐证覆盖"),
      tooltip: { trigger: "item", renderMode: "richText",
        formatter: function (p) { return p.data[3] + "：" + (p.data[2] === null ? "—" : p.data[2] + "%"); } },
      grid: { left: 110, right: 8, top: 24, bottom: 52 },
      xAxis: { type: "category", data: h.columns, splitArea: { show: true } },
      yAxis: { type: "category", data: h.items, inverse: true,
        axisLabel: { width: 100, overflow: "truncate" } },
      visualMap: { min: 0, max: 100, calculable: false, orient: "horizontal", left: "center", bottom: 0,
        itemHeight: 80, inRange: { color: ["#f8d7da", "#fff3cd", "#d1e7dd"] }, text: ["100%", "0%"] },
      series: [{ type: "heatmap", data: h.cells, label: { show: true, formatter: function (p) {
        return p.data[2] === null ? "" : Math.round(p.data[2]) + "%"; } } }]
    });
  } else { empty("chart-coverage", "尚未采用测评体系"); }

  var r = data.rounds;
  if (r.names.length) {
    make("chart-rounds", {
      toolbox: toolbox("历次自查得分率"),
      tooltip: TOOLTIP,
      grid: { left: 40, right: 16, top: 30, bottom: 56 },
      xAxis: { type: "category", data: r.names, axisLabel: { interval: 0, rotate: 20 } },
      yAxis: { type: "value", name: "%", max: 100 },
      series: [{ type: "line", data: r.percent, itemStyle: { color: RED }, label: { show: true, position: "top" } }]
    });
  } else { empty("chart-rounds", "尚未自查"); }

  var m = data.monthly;
  if (m.series.length) {
    make("chart-dossiers", {
      toolbox: toolbox("每月档案"),
      tooltip: TOOLTIP,
      legend: { top: 0, left: "center", type: "scroll", width: "70%" },
      grid: { left: 32, right: 8, top: 30, bottom: 24 },
      xAxis: { type: "category", data: m.months },
      yAxis: { type: "value", name: "份", minInterval: 1 },
      series: m.series.map(function (s) { return { name: s.name, type: "bar", stack: "c", data: s.data }; })
    });
  } else { empty("chart-dossiers", "本年暂无档案"); }

  make("chart-hours", {
    toolbox: toolbox("每月志愿服务时长"),
    tooltip: TOOLTIP,
    grid: { left: 40, right: 8, top: 30, bottom: 24 },
    xAxis: { type: "category", data: data.hours.months },
    yAxis: { type: "value", name: "小时" },
    series: [{ type: "bar", data: data.hours.hours, itemStyle: { color: RED }, label: { show: true, position: "top" } }]
  });

  function resizeAll() { charts.forEach(function (c) { c.resize(); }); }
  window.addEventListener("resize", resizeAll);
  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);
  document.body.setAttribute("data-charts-ready", String(charts.length));
})();

// The trend from the daily snapshots (not printed: the print page keeps the six charts of the month).
(function () {
  "use strict";
  var node = document.getElementById("cockpit-trend");
  var el = document.getElementById("chart-trend");
  if (!node || !el || typeof echarts === "undefined") { return; }
  var t = JSON.parse(node.textContent);
  if (!t.dates.length) { el.classList.add("wm-chart-empty"); el.textContent = "还没有快照（每晚生成）"; return; }
  var chart = echarts.init(el);
  chart.setOption({
    animation: false,
    toolbox: { right: 4, top: 0, feature: { saveAsImage: { title: "保存为 PNG", type: "png", name: "近一年趋势", pixelRatio: 2 } } },
    tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { top: 0, left: "center" },
    grid: { left: 40, right: 16, top: 30, bottom: 24 },
    xAxis: { type: "category", data: t.dates },
    yAxis: { type: "value", max: 100, name: "%" },
    series: Object.keys(t.labels).map(function (key) {
      return { name: t.labels[key], type: "line", data: t[key], connectNulls: true, showSymbol: t.dates.length < 40 };
    })
  });
  window.addEventListener("resize", function () { chart.resize(); });
  document.body.setAttribute("data-trend-ready", "1");
})();
