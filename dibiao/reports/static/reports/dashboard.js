// 工作驾驶舱: draws the dashboard's charts with ECharts from <script id="dashboard-data">
// (reports/dashboard.py). Every bar, cell and point opens the records behind it. Names come
// from the records, so tooltips escape them (ECharts' formatter output is HTML).
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var RAG = { green: "#2e7d32", amber: "#d48806", red: "#cf222e", grey: "#c9ced6" };
  var LEVEL_COLORS = [RAG.grey, RAG.green, RAG.amber, RAG.red]; // Level.ORDER
  var FONT = { fontFamily: "'Noto Sans SC', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif" };

  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function go(url) {
    if (url) window.location.href = url;
  }

  var builders = {
    funds_by_product: function (d) {
      return {
        option: {
          tooltip: {
            trigger: "axis",
            formatter: function (items) {
              var i = items[0].dataIndex;
              return esc(d.products[i]) + "<br>补助资金 " + d.allocated[i] + " 万元<br>累计支出 " +
                d.spent[i] + " 万元<br>" + esc(d.reasons[i]);
            }
          },
          legend: { top: 0, data: ["补助资金", "累计支出", "执行率"] },
          grid: { left: 50, right: 45, bottom: 70, top: 40 },
          xAxis: { type: "category", data: d.products, axisLabel: { rotate: 35, interval: 0 } },
          yAxis: [
            { type: "value", name: "万元" },
            { type: "value", name: "%", max: 100, splitLine: { show: false } }
          ],
          series: [
            { name: "补助资金", type: "bar", data: d.allocated, itemStyle: { color: "#8fb3d9" } },
            {
              name: "累计支出",
              type: "bar",
              data: d.spent.map(function (v, i) {
                return { value: v, itemStyle: { color: RAG[d.levels[i]] } };
              }),
              itemStyle: { color: RAG.green }
            },
            { name: "执行率", type: "line", yAxisIndex: 1, data: d.rates, itemStyle: { color: "#333" } }
          ]
        },
        click: function (p) { go(d.urls[p.dataIndex]); }
      };
    },

    funds_by_month: function (d) {
      return {
        option: {
          tooltip: { trigger: "axis" },
          legend: { top: 0, data: ["资金下达", "当月支出", "累计执行率"] },
          grid: { left: 50, right: 45, bottom: 30, top: 40 },
          xAxis: { type: "category", data: d.months },
          yAxis: [
            { type: "value", name: "万元" },
            { type: "value", name: "%", max: 100, splitLine: { show: false } }
          ],
          series: [
            { name: "资金下达", type: "bar", data: d.passed, itemStyle: { color: "#8fb3d9" } },
            { name: "当月支出", type: "bar", data: d.spent, itemStyle: { color: "#2f5597" } },
            { name: "累计执行率", type: "line", yAxisIndex: 1, data: d.rates, itemStyle: { color: RAG.green } }
          ]
        },
        click: function () { go(d.url); }
      };
    },

    heatmap: function (d, element) {
      // Indicators across and products down; on a narrow screen (a phone) the other way
      // round, so that the 21 indicators' names stay readable. The height follows the rows.
      var narrow = element.clientWidth < 640;
      var indicators = narrow ? d.indicators.slice().reverse() : d.indicators;
      var n = d.indicators.length;
      element.style.height = (narrow ? 110 + 26 * n : 150 + 34 * d.products.length) + "px";
      var cells = d.cells.map(function (c) {
        // [x, y, level, figure, reason, url, indicator index, product index]
        var position = narrow ? [d.products.length - 1 - c[1], n - 1 - c[0]] : [c[0], c[1]];
        return position.concat(c.slice(2), [c[0], c[1]]);
      });
      var indicatorAxis = {
        type: "category",
        data: indicators,
        axisLabel: narrow ? { fontSize: 10, width: 96, overflow: "truncate" } : { rotate: 45, interval: 0, fontSize: 11, width: 130, overflow: "truncate" },
        splitArea: { show: true }
      };
      var productAxis = {
        type: "category",
        data: narrow ? d.products.slice().reverse() : d.products,
        axisLabel: narrow ? { rotate: 30, interval: 0, fontSize: 10 } : {},
        splitArea: { show: true }
      };
      return {
        option: {
          tooltip: {
            formatter: function (p) {
              var c = p.data;
              return esc(d.products[c[7]]) + " · " + esc(d.indicators[c[6]]) + "<br>" +
                esc(d.levels[c[2]]) + "：" + esc(c[4]);
            }
          },
          grid: narrow ? { left: 100, right: 6, top: 6, bottom: 90 } : { left: 110, right: 10, top: 10, bottom: 120 },
          xAxis: narrow ? productAxis : indicatorAxis,
          yAxis: narrow ? indicatorAxis : productAxis,
          visualMap: {
            type: "piecewise",
            dimension: 2,
            orient: "horizontal",
            left: "center",
            bottom: 0,
            itemGap: 16,
            pieces: d.levels.map(function (label, i) {
              return { value: i, label: label, color: LEVEL_COLORS[i] };
            })
          },
          series: [{
            type: "heatmap",
            data: cells,
            label: {
              show: true,
              fontSize: 10,
              formatter: function (p) { return p.data[3]; }
            },
            itemStyle: { borderColor: "#fff", borderWidth: 1 }
          }]
        },
        click: function (p) { go(p.data[5]); }
      };
    },

    reporting: function (d) {
      return {
        option: {
          tooltip: { trigger: "axis" },
          legend: { top: 0, data: d.series.map(function (s) { return s.name; }) },
          grid: { left: 40, right: 10, bottom: 50, top: 40 },
          xAxis: { type: "category", data: d.months, axisLabel: { rotate: 30 } },
          yAxis: { type: "value", name: "份", minInterval: 1 },
          series: d.series.map(function (s) {
            return { name: s.name, type: "bar", stack: "reports", data: s.data, itemStyle: { color: s.color } };
          })
        },
        click: function () { go(d.url); }
      };
    },

    trace: function (d) {
      return {
        option: {
          tooltip: { trigger: "axis" },
          legend: { top: 0, data: ["发放标签码（个）", "扫码次数"] },
          grid: [
            { left: 55, right: 15, top: 35, height: "30%" },
            { left: 55, right: 15, bottom: 25, height: "30%" }
          ],
          xAxis: [
            { type: "category", data: d.months, gridIndex: 0, axisLabel: { fontSize: 10 } },
            { type: "category", data: d.days, gridIndex: 1, axisLabel: { fontSize: 10 } }
          ],
          yAxis: [
            { type: "value", gridIndex: 0, minInterval: 1 },
            { type: "value", gridIndex: 1, minInterval: 1 }
          ],
          series: [
            { name: "发放标签码（个）", type: "bar", data: d.issued, xAxisIndex: 0, yAxisIndex: 0, itemStyle: { color: "#2f5597" } },
            { name: "扫码次数", type: "line", data: d.scans, xAxisIndex: 1, yAxisIndex: 1, areaStyle: {}, itemStyle: { color: RAG.green } }
          ]
        },
        click: function (p) { go(p.seriesIndex === 0 ? d.issuance_url : d.alert_url); }
      };
    },

    training_media: function (d) {
      var urls = [d.training_urls, d.national_urls, d.provincial_urls];
      return {
        option: {
          tooltip: { trigger: "axis" },
          legend: { top: 0, data: ["培训人次", "国家级媒体报道", "省级媒体报道"] },
          grid: { left: 55, right: 45, bottom: 60, top: 40 },
          xAxis: { type: "category", data: d.products, axisLabel: { rotate: 25, interval: 0 } },
          yAxis: [
            { type: "value", name: "人次" },
            { type: "value", name: "篇", minInterval: 1, splitLine: { show: false } }
          ],
          series: [
            { name: "培训人次", type: "bar", data: d.training, itemStyle: { color: "#5b8c5a" } },
            { name: "国家级媒体报道", type: "bar", yAxisIndex: 1, data: d.national, itemStyle: { color: "#b7791f" } },
            { name: "省级媒体报道", type: "bar", yAxisIndex: 1, data: d.provincial, itemStyle: { color: "#e6a23c" } }
          ]
        },
        click: function (p) { go(urls[p.seriesIndex][p.dataIndex]); }
      };
    }
  };

  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var name = element.getAttribute("data-chart");
    var built = builders[name](data[name], element);
    var chart = echarts.init(element, null, { renderer: "canvas" });
    built.option.textStyle = FONT;
    built.option.animation = false;
    chart.setOption(built.option);
    chart.on("click", built.click);
    chart.getZr().setCursorStyle("pointer");
    // The browser test (and anyone scripting the page) waits for every chart to be drawn.
    element.setAttribute("data-rendered", "1");
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
