// Draws every chart of a briefing or a static page from the JSON figure written beside it,
// with the document's own copy of plotly.js. Nothing is fetched from anywhere.
(function () {
  "use strict";
  var holders = document.querySelectorAll("[data-ctg-figure]");
  var fixed = document.body.classList.contains("ctg-briefing");
  for (var i = 0; i < holders.length; i++) {
    var holder = holders[i];
    try {
      var source = document.getElementById(holder.getAttribute("data-ctg-figure"));
      var figure = JSON.parse(source.textContent);
      window.Plotly.newPlot(holder, figure.data, figure.layout || {}, {
        displaylogo: false,
        responsive: !fixed,
        showSendToCloud: false,
        modeBarButtonsToRemove: ["select2d", "lasso2d"],
        toImageButtonOptions: { filename: holder.getAttribute("data-ctg-filename") || "chart",
                                scale: 2 }
      });
    } catch (error) {
      holder.textContent = "The chart could not be drawn here; the same information is in " +
        "the text and tables on this page.";
      if (window.console) { window.console.error("explorer chart:", error); }
    }
  }
})();
