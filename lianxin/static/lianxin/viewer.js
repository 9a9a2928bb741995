// The reading viewer on the order page: dwv (vendored, static/vendor/dwv) draws the images that
// the page lists (interfaces/dicom/viewer.py), loading each instance over Lianxin's WADO-URI with
// the user's session. One dwv app per pane: this study, and optionally a prior study beside it.
// The page holds every word shown; this script only takes the few it needs from the page's JSON.
// A pane's div id must not contain "-layer-": dwv finds a layer's pane by splitting its id there.
import {
  App,
  AppOptions,
  ToolConfig,
  ViewConfig,
  WindowLevel,
} from "../vendor/dwv/dwv.bundle.min.js";

const TOOLS = {
  Scroll: new ToolConfig(),
  WindowLevel: new ToolConfig(),
  ZoomAndPan: new ToolConfig(),
  Draw: new ToolConfig(["Ruler"]),
};

const watched = new WeakSet();

class Pane {
  constructor(viewer, element) {
    this.viewer = viewer;
    this.element = element;
    this.layer = element.querySelector(".lx-layer");
    this.status = element.querySelector(".lx-status");
    this.series = null;
    this.ready = false;
    this.app = new App();
    const options = new AppOptions({ "*": [new ViewConfig(this.layer.id)] });
    options.tools = TOOLS;
    this.app.init(options);
    this.app.addEventListener("load", () => {
      this.ready = true;
      this.first();
      this.element.dataset.state = "loaded";
      this.applyTool();
      this.viewer.offerPresets();
      this.viewer.applyPreset(this);
      this.showStatus();
    });
    this.app.addEventListener("error", () => {
      this.element.dataset.state = "failed";
      this.status.textContent = this.viewer.labels.failed;
    });
    this.app.addEventListener("positionchange", () => this.showStatus());
    this.app.addEventListener("wlchange", () => this.showStatus());
    this.element.addEventListener("pointerdown", () => this.viewer.activate(this));
    this.layer.addEventListener("pointerup", () =>
      window.setTimeout(() => this.viewer.tool === "Draw" && this.readMeasurement(), 0),
    );
    // dwv puts its drawing layer over the image on the first press of the length tool; the
    // pointer then "leaves" the image layer for the layer above it, and dwv would end the ruler
    // there with one point. Moving between the pane's own layers is not leaving the image.
    this.layer.addEventListener(
      "mouseout",
      (event) => {
        if (this.layer.contains(event.relatedTarget)) event.stopPropagation();
      },
      true,
    );
    window.addEventListener("resize", () => this.ready && this.app.fitToContainer());
  }

  load(series) {
    this.series = series;
    this.ready = false;
    this.length = "";
    delete this.element.dataset.length;
    this.element.dataset.state = "loading";
    this.element.dataset.modality = series.modality;
    this.status.textContent = this.viewer.labels.loading;
    this.app.abortAllLoads();
    this.app.reset();
    this.app.loadURLs(series.urls, { withCredentials: true });
  }

  controller() {
    const group = this.app.getActiveLayerGroup();
    // With a drawing layer active, the image is the group's base layer.
    const layer = group && (group.getActiveViewLayer() || group.getBaseViewLayer());
    return layer ? layer.getViewController() : null;
  }

  applyTool() {
    if (!this.ready) return;
    this.app.setTool(this.viewer.tool);
    if (this.viewer.tool === "Draw") this.app.setToolFeatures({ shapeName: "Ruler" });
  }

  // The length of the ruler last drawn or moved, in the status line (dwv labels the ruler too).
  // dwv makes the drawing layer on the first press of the tool, so it is looked for after each.
  readMeasurement() {
    const group = this.app.getActiveLayerGroup();
    const layer = group && group.getActiveDrawLayer();
    const annotations = layer && layer.getDrawController().getAnnotationGroup();
    if (!annotations) return;
    if (!watched.has(annotations)) {
      watched.add(annotations);
      annotations.addEventListener("annotationupdate", (event) => this.measured(event.data));
    }
    const list = annotations.getList();
    if (list.length) this.measured(list[list.length - 1]);
  }

  measured(annotation) {
    if (!annotation || typeof annotation.getText !== "function") return;
    this.length = annotation.getText();
    this.element.dataset.length = this.length;
    this.showStatus();
  }

  // The dimension the reader moves along: the slices of a stack, or the frames of a
  // multi-frame image (a cine clip), which dwv keeps in a dimension of their own.
  helper() {
    const group = this.app.getActiveLayerGroup();
    const helper = group && group.getPositionHelper();
    if (!helper) return null;
    const slices = helper.getScrollDimIndex();
    const dim = helper.getMaximumDimValue(slices) > 0 || !(helper.getMaximumDimValue(3) > 0) ? slices : 3;
    return { helper, dim };
  }

  // dwv opens a stack in its middle; a reader starts at the first image.
  first() {
    const found = this.helper();
    if (found) found.helper.setCurrentPosition(found.helper.getCurrentPositionAtDimValue(found.dim, 0));
  }

  step(forward) {
    const found = this.helper();
    if (!found) return;
    if (forward) found.helper.incrementPosition(found.dim);
    else found.helper.decrementPosition(found.dim);
  }

  showStatus() {
    const controller = this.controller();
    if (!controller) return;
    const labels = this.viewer.labels;
    const found = this.helper();
    const index = found ? found.helper.getCurrentPositionDimValue(found.dim) + 1 : 1;
    const total = found ? found.helper.getMaximumDimValue(found.dim) + 1 : 1;
    const wl = controller.getWindowLevel();
    this.element.dataset.slice = String(index);
    this.element.dataset.total = String(total);
    this.status.textContent =
      `${labels.image} ${index} / ${total} · ${labels.wl} ` +
      `${Math.round(wl.width)} / ${Math.round(wl.center)}` +
      (this.length ? ` · ${labels.measured} ${this.length}` : "");
  }
}

class Viewer {
  constructor(root) {
    this.root = root;
    const source = document.getElementById(root.dataset.viewerConfig);
    this.config = JSON.parse(source.textContent);
    this.labels = this.config.labels;
    this.tool = "Scroll";
    this.preset = root.querySelector("[data-preset]");
    this.current = new Pane(this, root.querySelector('[data-pane="current"]'));
    this.priorPane = null;
    this.active = this.current;
    this.wire();
    this.current.load(this.config.current[0].series[0]);
  }

  wire() {
    const root = this.root;
    root.querySelectorAll("[data-tool]").forEach((button) =>
      button.addEventListener("click", () => {
        this.tool = button.dataset.tool;
        root.querySelectorAll("[data-tool]").forEach((b) =>
          b.setAttribute("aria-pressed", String(b === button)),
        );
        this.panes().forEach((pane) => pane.applyTool());
      }),
    );
    root.querySelectorAll("[data-series]").forEach((button) =>
      button.addEventListener("click", () => {
        const [study, series] = button.dataset.series.split(":").map(Number);
        root.querySelectorAll("[data-series]").forEach((b) => b.removeAttribute("aria-current"));
        button.setAttribute("aria-current", "true");
        this.current.load(this.config.current[study].series[series]);
      }),
    );
    this.preset.addEventListener("change", () => this.panes().forEach((p) => this.applyPreset(p)));
    root.querySelector("[data-reset]").addEventListener("click", () => {
      this.preset.value = "";
      this.panes().forEach((pane) => {
        if (!pane.ready) return;
        pane.app.resetDisplay();
        pane.showStatus();
      });
    });
    const compare = root.querySelector("[data-compare]");
    const prior = root.querySelector("[data-prior]");
    if (compare && prior) {
      compare.addEventListener("change", () => {
        prior.disabled = !compare.checked;
        root.querySelector('[data-pane="prior"]').hidden = !compare.checked;
        root.classList.toggle("lx-comparing", compare.checked);
        if (compare.checked) this.loadPrior(prior.value);
        this.current.ready && this.current.app.fitToContainer();
      });
      prior.addEventListener("change", () => this.loadPrior(prior.value));
    }
    // Slices with the keyboard, when the viewer has the focus (the wheel is dwv's own).
    root.addEventListener("keydown", (event) => {
      const keys = { ArrowDown: true, PageDown: true, ArrowUp: false, PageUp: false };
      if (!(event.key in keys) || event.target instanceof HTMLSelectElement) return;
      event.preventDefault();
      this.active.step(keys[event.key]);
    });
  }

  panes() {
    return this.priorPane ? [this.current, this.priorPane] : [this.current];
  }

  activate(pane) {
    this.active = pane;
    this.root.focus({ preventScroll: true });
  }

  loadPrior(value) {
    const [study, series] = value.split(":").map(Number);
    const described = this.config.priors[study];
    if (!this.priorPane) {
      this.priorPane = new Pane(this, this.root.querySelector('[data-pane="prior"]'));
    }
    this.root.querySelector("[data-prior-label]").textContent = described.label;
    this.priorPane.load(described.series[series]);
  }

  // The CT presets are in Hounsfield units: offered only while a CT is shown.
  offerPresets() {
    const ct = this.panes().some((pane) => pane.series && pane.series.modality === "CT");
    this.preset.querySelectorAll("[data-ct-only]").forEach((option) => {
      option.disabled = !ct;
    });
    if (this.preset.selectedOptions[0].disabled) this.preset.value = "";
  }

  applyPreset(pane) {
    const controller = pane.ready && pane.controller();
    if (!controller) return;
    const option = this.preset.selectedOptions[0];
    const value = this.preset.value;
    if (value === "") {
      controller.resetWindowLevel();
    } else if (value === "minmax") {
      controller.setWindowLevelPreset("minmax");
    } else if (!option.hasAttribute("data-ct-only") || pane.series.modality === "CT") {
      controller.setWindowLevel(
        new WindowLevel(Number(option.dataset.center), Number(option.dataset.width)),
      );
    }
    pane.showStatus();
  }
}

document.querySelectorAll("[data-viewer-config]").forEach((root) => {
  root.viewer = new Viewer(root);
});
