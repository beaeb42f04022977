/* The dashboard's charts (Chart.js, vendored). The figures come from <script type="application/json"
   id="dashboard-data">, each canvas names its series in data-chart; no inline script (CSP). The same figures are
   in the tables below the charts. */
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof window.Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    var colours = ["#1f4e79", "#2e86c1", "#48c9b0", "#f5b041", "#dc7633", "#af7ac5", "#5d6d7e", "#58d68d",
                   "#ec7063", "#85929e", "#f4d03f", "#5dade2", "#a569bd", "#45b39d", "#eb984e", "#99a3a4"];
    window.Chart.defaults.font.family = "Sarabun, system-ui, sans-serif";
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var series = data[canvas.dataset.chart];
      if (!series) return;
      var kind = canvas.dataset.kind;
      var config;
      if (kind === "utilisation") {
        config = {
          type: "bar",
          data: {labels: series.labels, datasets: [
            {label: canvas.dataset.offered, data: series.offered, backgroundColor: "#aed6f1"},
            {label: canvas.dataset.booked, data: series.booked, backgroundColor: "#1f4e79"}
          ]},
          options: {responsive: true, animation: false}
        };
      } else {
        config = {
          type: kind,
          data: {labels: series.labels, datasets: [{
            label: canvas.dataset.label, data: series.values,
            backgroundColor: kind === "doughnut" ? colours : "#1f4e79"
          }]},
          options: {
            responsive: true, animation: false, aspectRatio: kind === "doughnut" ? 1.3 : 2,
            indexAxis: canvas.dataset.horizontal ? "y" : "x",
            plugins: {legend: {display: kind === "doughnut", position: "bottom"}},
            scales: kind === "doughnut" ? {} : {x: {ticks: {precision: 0}}, y: {ticks: {precision: 0}}}
          }
        };
      }
      new window.Chart(canvas, config);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
