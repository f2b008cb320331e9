// 月度分析: draws each chart from the page's JSON data block (the same numbers as the tables beside it).
// SVG renderer, ECharts' aria description on; a hidden cell (null) is simply not drawn.
(function () {
  "use strict";
  var block = document.getElementById("analysis-data");
  if (!block || typeof echarts === "undefined") { return; }
  var data = JSON.parse(block.textContent);
  var font = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif';
  var charts = [];

  function base(extra) {
    var option = {
      aria: { enabled: true },
      animation: false,
      textStyle: { fontFamily: font },
      tooltip: { trigger: "axis" },
      grid: { left: 48, right: 24, top: 48, bottom: 40, containLabel: true }
    };
    for (var key in extra) { if (Object.prototype.hasOwnProperty.call(extra, key)) { option[key] = extra[key]; } }
    return option;
  }

  function bars(labels, series, horizontal) {
    var category = { type: "category", data: labels, axisLabel: { interval: 0, width: 180, overflow: "truncate" } };
    var value = { type: "value", minInterval: 1 };
    return base({
      legend: { top: 0, type: "scroll" },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? Object.assign({}, category, { inverse: true }) : value,
      series: series.map(function (s) { return { type: "bar", name: s.name, data: s.data, barMaxWidth: 28 }; })
    });
  }

  // Horizontal bar charts grow with their rows so that no label is drawn over another.
  function fitRows(el, rows) {
    var height = Math.max(320, rows * 24 + 96);
    if (height > el.clientHeight) { el.style.height = height + "px"; }
  }

  var builders = {
    trend: function () {
      var series = data.tags.map(function (t) {
        return { type: "line", name: t.name, data: t.series, symbolSize: 5 };
      });
      series.push({ type: "line", name: "全部反映", data: data.total.series, lineStyle: { width: 3, type: "dashed" } });
      return base({
        legend: { top: 0, type: "scroll" },
        xAxis: { type: "category", data: data.months, boundaryGap: false },
        yAxis: { type: "value", minInterval: 1 },
        series: series
      });
    },
    share: function () {
      var slices = data.tags.filter(function (t) { return t.count > 0; })
        .map(function (t) { return { name: t.name, value: t.count }; });
      return base({
        tooltip: { trigger: "item", formatter: "{b}：{c} 条（{d}%）" },
        legend: { type: "scroll", orient: "vertical", right: 0, top: "middle" },
        series: [{
          type: "pie", radius: ["35%", "68%"], center: ["40%", "52%"], data: slices,
          label: { formatter: "{b} {c}" }
        }]
      });
    },
    breakdown: function (el) {
      var cells = data.breakdowns[el.getAttribute("data-dimension")];
      fitRows(el, cells.length);
      return bars(
        cells.map(function (c) { return c.count === null ? c.label + "（已隐藏）" : c.label; }),
        [{ name: "反映数", data: cells.map(function (c) { return c.count; }) }],
        true
      );
    },
    departments: function () {
      var rows = data.departments;
      return bars(rows.map(function (d) { return d.department_name; }), [
        { name: "交办数", data: rows.map(function (d) { return d.assigned; }) },
        { name: "按时反馈", data: rows.map(function (d) { return d.responded_on_time; }) },
        { name: "超期", data: rows.map(function (d) { return d.overdue; }) }
      ], false);
    },
    terms: function (el) {
      var rows = data.emerging_terms;
      fitRows(el, rows.length);
      return bars(rows.map(function (t) { return t.term; }), [
        { name: "本月", data: rows.map(function (t) { return t.count; }) },
        { name: "前 3 个月平均", data: rows.map(function (t) { return t.baseline; }) }
      ], true);
    }
  };

  var elements = document.querySelectorAll(".chart[data-chart]");
  for (var i = 0; i < elements.length; i++) {
    var el = elements[i];
    var build = builders[el.getAttribute("data-chart")];
    if (!build) { continue; }
    var option = build(el);
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption(option);
    charts.push(chart);
  }
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
