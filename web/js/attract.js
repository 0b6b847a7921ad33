// The attract screen, shown while nobody uses the booth: sample pictures of each theme cycle under "Tap to start".
// The camera is off here (camera.js stops it on entry), so the booth never films a passer-by.
import I18N from "./i18n.js";
import { settings } from "./settings.js";
import { catalogue, offeredThemes, themeLabel } from "./themes.js";

const el = (id) => document.getElementById(id);
const FALLBACK_THEMES = ["unicorn-meadow", "floating-city", "cosmos", "forest", "beach"];
let machine = null;
let slide = 0;
let onStart = null;

export function init(screens, handlers) {
  machine = screens;
  onStart = handlers.onStart;
  const section = el("screen-attract");
  section.addEventListener("click", () => onStart());
  el("attract-image").addEventListener("error", () => showSlide(slide + 1));
  machine.onEnter("attract", () => {
    showSlide(0);
    machine.every(Math.max(1, Number(settings().attractSlideSeconds) || 4) * 1000, () => showSlide(slide + 1));
  });
  document.addEventListener("photobooth:themes", () => {
    if (machine.current === "attract") showSlide(slide);
  });
  I18N.onChange(() => {
    if (machine.current === "attract") showSlide(slide);
  });
}

function names() {
  const offered = catalogue.loaded ? offeredThemes().map((theme) => theme.name) : FALLBACK_THEMES;
  return offered.length ? offered : FALLBACK_THEMES;
}

function showSlide(index) {
  const list = names();
  slide = ((index % list.length) + list.length) % list.length;
  const name = list[slide];
  const image = el("attract-image");
  const src = `samples/${encodeURIComponent(name)}.jpg`;
  if (image.getAttribute("src") !== src) image.setAttribute("src", src);
  image.dataset.theme = name;
  I18N.setAttr(image, "alt", "attract.sampleAlt", { theme: themeLabel(name) });
  el("attract-caption").textContent = themeLabel(name);
}
