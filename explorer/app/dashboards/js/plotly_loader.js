// Load plotly.js once per page: shared by chart.js (which draws with it) and navigation.js
// (which starts loading it while the browser is idle, so that the first chart a reader
// moves to does not wait for it). widgets.py puts this text in front of those modules.
//
// plotly.js is the copy Voila already serves with plotly's JupyterLab extension (a
// federated module, loaded from this server); nothing is fetched from anywhere else.

// plotly's JupyterLab extension (`jupyterlab-plotly`, a federated module Voila loads on every
// page) bundles plotly.js and keeps it on its renderer class once the renderer has drawn.
// One empty draw through that public renderer makes it load; later draws use Plotly.react.
async function loadPlotlyOnce() {
  if (window.Plotly) { return window.Plotly; }
  const container = window._JUPYTERLAB && window._JUPYTERLAB["jupyterlab-plotly"];
  if (!container) { throw new Error("plotly's extension is not on this page yet"); }
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

// Voila loads its extensions while widgets start rendering; on a busy machine a chart can
// ask before plotly's extension is ready, so keep asking for a while before giving up.
async function loadPlotly() {
  const deadline = Date.now() + 60000;
  for (let wait = 50; ; wait = Math.min(wait * 2, 1000)) {
    try {
      return await loadPlotlyOnce();
    } catch (error) {
      if (Date.now() > deadline) { throw error; }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

// One load per page, shared by every widget module that includes this text.
function plotly() {
  if (!window.ctgPlotly) {
    window.ctgPlotly = loadPlotly().catch((error) => { window.ctgPlotly = null; throw error; });
  }
  return window.ctgPlotly;
}
