// One plotly chart that is drawn once and then updated in place (Plotly.react), so a
// redraw sends only the new figure: no output area is cleared, no plot is rebuilt.
//
// plotly.js is the copy Voila already serves with plotly's JupyterLab extension (a
// federated module, loaded from this server); nothing is fetched from anywhere else.
// `plotly()` comes from plotly_loader.js, which widgets.py puts in front of this module.

const PRINT_WIDTH_PX = 690;
// The size the figures' fonts are chosen for: a page whose text is larger (presentation
// mode sets 22 px) gets chart text scaled by the same ratio.
const BASE_FONT_PX = 16;
// Below this width a chart folds away behind "Show the chart" (the tables on the page say
// the same); opened, it keeps a readable width (explorer.css) and scrolls sideways inside
// its own box.
const NARROW = "(max-width: 600px)";

// A copy of a figure's layout and traces with every font size multiplied by `factor`
// (font, tickfont, textfont, title.font, subtitle.font, legend.font, annotations' fonts).
function scaleFonts(value, factor, key) {
  if (Array.isArray(value)) { return value.map((item) => scaleFonts(item, factor)); }
  if (!value || typeof value !== "object") { return value; }
  const copy = {};
  for (const [name, item] of Object.entries(value)) {
    copy[name] = scaleFonts(item, factor, name);
  }
  if (key && /font$/i.test(key) && typeof copy.size === "number") {
    copy.size = Math.round(copy.size * factor);
  }
  return copy;
}

// plotly makes room at the top for the top-side axis labels but not for the title's note
// above them: when a narrow screen stands the labels on end they grow up into the note.
// Measured after drawing, the plot area is moved down by the overlap (one more layout).
async function clearTheTitle(Plotly, plot) {
  const title = [...plot.querySelectorAll("text.gtitle, text.gtitle-subtitle")];
  const labels = [...plot.querySelectorAll(".xtick text")]
    .map((text) => text.getBoundingClientRect()).filter((box) => box.height > 0);
  const area = plot.querySelector(".draglayer .nsewdrag");
  const paper = plot.querySelector(".main-svg");
  if (!title.length || !labels.length || !area || !paper) { return; }
  const overlap = Math.max(...title.map((text) => text.getBoundingClientRect().bottom)) -
    Math.min(...labels.map((box) => box.top));
  if (overlap <= -4) { return; }
  const top = area.getBoundingClientRect().top - paper.getBoundingClientRect().top;
  await Plotly.relayout(plot, { "margin.t": Math.ceil(top + overlap + 8) });
}

// plotly lays a chart out again by itself (a chart drawn while its page was hidden is laid
// out when shown; a resize): each time, the title is cleared again (once clear, nothing is
// done, so this cannot loop).
function keepTheTitleClear(Plotly, plot) {
  let busy = false;
  plot.on("plotly_afterplot", () => {
    if (busy) { return; }
    busy = true;
    clearTheTitle(Plotly, plot).catch(() => {}).finally(() => { busy = false; });
  });
}

function scaled(figure, factor) {
  if (Math.abs(factor - 1) < 0.05) { return figure; }
  const layout = scaleFonts(figure.layout || {}, factor);
  // plotly's default text is 12 px: a layout without its own font gets that, scaled.
  layout.font = { size: 12, ...(figure.layout || {}).font, ...layout.font };
  if (!(figure.layout || {}).font) { layout.font.size = Math.round(12 * factor); }
  if (typeof layout.height === "number") { layout.height = Math.round(layout.height * factor); }
  if (typeof layout.width === "number") { layout.width = Math.round(layout.width * factor); }
  for (const side of ["t", "b", "l", "r"]) {
    if (layout.margin && typeof layout.margin[side] === "number") {
      layout.margin[side] = Math.round(layout.margin[side] * factor);
    }
  }
  return { data: scaleFonts(figure.data || [], factor), layout };
}

function render({ model, el }) {
  el.classList.add("ctg-figure");
  const plot = h("div", { className: "ctg-plot" });
  const alt = h("p", { className: "ctg-srOnly ctg-alt" });
  const fold = h("details", { className: "ctg-chart-fold" },
                 h("summary", { text: "Show the chart (the tables on this page say the same)" }),
                 plot);
  el.append(fold, alt);
  const narrow = window.matchMedia(NARROW);
  fold.open = !narrow.matches;
  let drawn = false;
  let draws = 0;
  // A figure waits here while the chart cannot be laid out (folded away, its page hidden,
  // not yet in the document): plotly measures its texts when it draws, and a chart drawn
  // unseen puts its title, note and labels on top of each other.
  let pending = false;
  const laidOut = () => plot.isConnected && plot.getBoundingClientRect().width > 0;
  const sized = new ResizeObserver(() => { if (pending && laidOut()) { draw(); } });
  sized.observe(plot);
  let factor = 1;
  let watched = null;
  // Presentation mode is switched by a class on the explorer's root: redraw at its size.
  const rootClasses = new MutationObserver(() => {
    if (drawn && fontFactor() !== factor) { draw(); }
  });
  const fontFactor = () => (parseFloat(getComputedStyle(el).fontSize) || BASE_FONT_PX) /
    BASE_FONT_PX;

  const config = () => ({
    displaylogo: false,
    responsive: true,
    showSendToCloud: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d"],
    toImageButtonOptions: { filename: model.get("filename") || "chart", scale: 2 },
  });

  // A printed page is about 700 CSS pixels wide: the print stylesheet zooms the chart by
  // this much so that it fits (a chart drawn for a wide screen would be cut off). Measured
  // after every layout, plotly's own resizes included, so it is never a stale width's; the
  // width is the one plotly drew at (the zoom itself changes the on-screen size).
  const fitPaper = () => {
    const width = (plot._fullLayout && plot._fullLayout.width) ||
      plot.getBoundingClientRect().width || PRINT_WIDTH_PX;
    el.style.setProperty("--ctg-print-zoom", String(Math.min(1, PRINT_WIDTH_PX / width)));
  };

  const draw = async () => {
    const figure = model.get("figure") || {};
    alt.textContent = model.get("description") || "";
    if (!figure.data) {
      el.style.display = "none";
      return;
    }
    el.style.display = "";
    if (!fold.open) {
      pending = true;
      el.dataset.folded = "true"; // tests and benchmarks: folded, nothing more to wait for
      return;
    }
    delete el.dataset.folded;
    if (!laidOut()) {
      pending = true; // drawn by the ResizeObserver once the chart has a size
      return;
    }
    pending = false;
    try {
      const Plotly = await plotly();
      const root = el.closest(".ctg-root");
      if (root && root !== watched) {
        watched = root;
        rootClasses.observe(root, { attributes: true, attributeFilter: ["class"] });
      }
      factor = fontFactor();
      const shown = scaled(figure, factor);
      await Plotly.react(plot, shown.data, shown.layout, config());
      if (!drawn) { // from now on, every layout plotly makes by itself is followed too
        keepTheTitleClear(Plotly, plot);
        plot.on("plotly_afterplot", fitPaper);
      }
      await clearTheTitle(Plotly, plot);
      drawn = true;
      fitPaper(); // this draw's own layout ended before the handler above was there
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

  fold.addEventListener("toggle", () => {
    if (!fold.open) { return; }
    if (pending || !drawn) { draw(); } else {
      plotly().then((Plotly) => Plotly.Plots.resize(plot)).catch(() => {});
    }
  });
  const followWidth = () => { fold.open = !narrow.matches; };
  narrow.addEventListener("change", followWidth);
  // A printed page holds the chart whatever the screen's width.
  const unfold = () => { fold.open = true; };
  window.addEventListener("beforeprint", unfold);

  model.on("change:figure", draw);
  model.on("change:description", () => { alt.textContent = model.get("description") || ""; });
  draw();
  return () => {
    rootClasses.disconnect();
    sized.disconnect();
    narrow.removeEventListener("change", followWidth);
    window.removeEventListener("beforeprint", unfold);
    if (drawn) { plotly().then((Plotly) => Plotly.purge(plot)).catch(() => {}); }
  };
}

export default { render };
