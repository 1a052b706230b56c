// signpost statistics pages: draws the day-by-day chart with uPlot from
// the JSON in the chart's data-series attribute (the same numbers are in
// the table beside it), and lets Escape close an open explanation.
(function () {
  "use strict";

  function draw(el) {
    var data;
    try {
      data = JSON.parse(el.getAttribute("data-series") || "null");
    } catch (e) {
      return;
    }
    if (!data || !data.x || !data.x.length || typeof window.uPlot !== "function") {
      return;
    }
    var lang = document.documentElement.lang || "en";
    var nf = new Intl.NumberFormat(lang);
    var df = new Intl.DateTimeFormat(lang, { day: "numeric", month: "short", timeZone: "UTC" });
    var day = function (v) { return df.format(new Date(v * 1000)); };
    var colors = ["#0b3d66", "#1e7b34", "#b35c00", "#8a1c7c", "#555555"];
    var series = [{ label: data.xlabel, value: function (u, v) { return v == null ? "" : day(v); } }];
    data.series.forEach(function (s, i) {
      series.push({
        label: s.label,
        stroke: colors[i % colors.length],
        width: 2,
        spanGaps: false,
        points: { show: data.x.length <= 62 },
        // No cursor (idx null): nothing to show; a null value at a day
        // is a hidden figure.
        value: function (u, v, si, idx) {
          if (idx == null) {
            return "";
          }
          return v == null ? data.hidden : nf.format(v);
        }
      });
    });
    var columns = [data.x].concat(data.series.map(function (s) { return s.data; }));
    var height = 300;
    var width = function () { return Math.max(260, el.clientWidth); };
    var plot = new window.uPlot({
      width: width(),
      height: height,
      series: series,
      tzDate: function (ts) { return window.uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); },
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } } },
      axes: [
        { values: function (u, splits) { return splits.map(day); } },
        {
          size: 64,
          values: function (u, splits) { return splits.map(function (v) { return nf.format(v); }); }
        }
      ]
    }, columns, el);
    el.classList.add("drawn");
    var pending = 0;
    window.addEventListener("resize", function () {
      if (pending) {
        return;
      }
      pending = window.setTimeout(function () {
        pending = 0;
        plot.setSize({ width: width(), height: height });
      }, 150);
    });
  }

  function closeExplanations(except) {
    document.querySelectorAll("details.explain[open]").forEach(function (d) {
      if (d !== except) {
        d.open = false;
      }
    });
  }

  function init() {
    document.querySelectorAll("[data-series]").forEach(draw);
    document.addEventListener("keydown", function (ev) {
      if (ev.key !== "Escape") {
        return;
      }
      var open = document.activeElement && document.activeElement.closest("details.explain[open]");
      closeExplanations(null);
      if (open) {
        open.querySelector("summary").focus();
      }
    });
    document.addEventListener("toggle", function (ev) {
      var d = ev.target;
      if (d.matches && d.matches("details.explain") && d.open) {
        closeExplanations(d);
      }
    }, true);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
