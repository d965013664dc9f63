// One plotly chart that is drawn once and then updated in place (Plotly.react), so a
// redraw sends only the new figure: no output area is cleared, no plot is rebuilt.
//
// plotly.js is the copy Voila already serves with plotly's JupyterLab extension (a
// federated module, loaded from this server); nothing is fetched from anywhere else.
// `plotly()` comes from plotly_loader.js, which widgets.py puts in front of this module.

function render({ model, el }) {
  el.classList.add("ctg-figure");
  const plot = h("div", { className: "ctg-plot" });
  const alt = h("p", { className: "ctg-srOnly ctg-alt" });
  el.append(plot, alt);
  let drawn = false;
  let draws = 0;

  const config = () => ({
    displaylogo: false,
    responsive: true,
    showSendToCloud: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d"],
    toImageButtonOptions: { filename: model.get("filename") || "chart", scale: 2 },
  });

  const draw = async () => {
    const figure = model.get("figure") || {};
    alt.textContent = model.get("description") || "";
    if (!figure.data) {
      el.style.display = "none";
      return;
    }
    el.style.display = "";
    try {
      const Plotly = await plotly();
      await Plotly.react(plot, figure.data, figure.layout || {}, config());
      drawn = true;
      // How many figures this slot has drawn (plotly_afterplot has fired for each): tests
      // and benchmarks wait for this to change instead of guessing from the SVG.
      draws += 1;
      el.dataset.draws = String(draws);
    } catch (error) {
      plot.textContent = "The chart could not be drawn here; the same information is in " +
        "the tables on this page.";
      console.error("explorer chart:", error);
    }
  };

  model.on("change:figure", draw);
  model.on("change:description", () => { alt.textContent = model.get("description") || ""; });
  draw();
  return () => {
    if (drawn) { plotly().then((Plotly) => Plotly.purge(plot)).catch(() => {}); }
  };
}

export default { render };
