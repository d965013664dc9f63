// One plotly chart that is drawn once and then updated in place (Plotly.react), so a
// redraw sends only the new figure: no output area is cleared, no plot is rebuilt.
//
// plotly.js is the copy Voila already serves with plotly's JupyterLab extension (a
// federated module, loaded from this server); nothing is fetched from anywhere else.

let plotlyPromise = null;

// plotly's JupyterLab extension (`jupyterlab-plotly`, a federated module Voila loads on every
// page) bundles plotly.js and keeps it on its renderer class once the renderer has drawn.
// One empty draw through that public renderer makes it load; later draws use Plotly.react.
async function loadPlotly() {
  if (window.Plotly) { return window.Plotly; }
  const container = window._JUPYTERLAB && window._JUPYTERLAB["jupyterlab-plotly"];
  if (!container) { throw new Error("plotly's extension is not on this page"); }
  const module = (await container.get("./index"))();
  const Renderer = module.RenderedPlotly;
  if (!Renderer.Plotly) {
    const probe = new Renderer({ mimeType: module.MIME_TYPE });
    await probe.renderModel({
      data: { [module.MIME_TYPE]: { data: [], layout: {} } }, setData() {}, metadata: {},
    });
    probe.dispose();
  }
  if (!Renderer.Plotly || typeof Renderer.Plotly.react !== "function") {
    throw new Error("plotly.js did not load");
  }
  return Renderer.Plotly;
}

function plotly() {
  if (!plotlyPromise) {
    plotlyPromise = loadPlotly().catch((error) => { plotlyPromise = null; throw error; });
  }
  return plotlyPromise;
}

function render({ model, el }) {
  el.classList.add("ctg-figure");
  const plot = document.createElement("div");
  plot.className = "ctg-plot";
  const alt = document.createElement("p");
  alt.className = "ctg-srOnly ctg-alt";
  el.append(plot, alt);
  let drawn = false;

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
