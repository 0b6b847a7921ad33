// The event wall (/wall) for a big screen: a slideshow of the newest pictures of visitors who chose "show my
// pictures on the event screen". It reads GET /wall/photos (no booth key; the API lists only opted-in, finished
// requests and never the bucket), refreshes the list every few seconds so an erased picture leaves at once, and
// shows one picture at a time.
import { api } from "./api.js";
import I18N from "./i18n.js";
import { settings } from "./settings.js";
import { themeLabel } from "./themes.js";

const REFRESH_MS = 5000;
const el = (id) => document.getElementById(id);
let photos = [];
let shownId = null;
let position = 0;

async function refresh() {
  try {
    const answer = await api("GET", "/wall/photos");
    photos = Array.isArray(answer && answer.photos) ? answer.photos : [];
  } catch (err) {
    return; // keep showing what we have; the next refresh tries again
  }
  document.body.dataset.wallCount = String(photos.length);
  if (!photos.some((photo) => photo.id === shownId)) show(0);
}

function advance() {
  if (photos.length) show(position + 1);
}

function show(index) {
  const image = el("wall-image");
  const empty = el("wall-empty");
  if (!photos.length) {
    shownId = null;
    image.hidden = true;
    image.removeAttribute("src");
    el("wall-caption").textContent = "";
    empty.hidden = false;
    document.body.dataset.wallShown = "";
    return;
  }
  position = index % photos.length;
  const photo = photos[position];
  shownId = photo.id;
  empty.hidden = true;
  image.src = photo.url;
  image.hidden = false;
  I18N.setAttr(image, "alt", "wall.alt", { theme: themeLabel(photo.theme || "") });
  el("wall-caption").textContent = themeLabel(photo.theme || "");
  document.body.dataset.wallShown = photo.id;
}

function init() {
  const configured = settings().defaultLanguage;
  I18N.setLanguage(I18N.LANGUAGES.includes(configured) ? configured : I18N.detect());
  const params = new URLSearchParams(window.location.search);
  const slideSeconds = Number(params.get("slide")) || Number(settings().wallSlideSeconds) || 8;
  // A picture erased between two refreshes no longer loads: ask for the list again at once.
  el("wall-image").addEventListener("error", refresh);
  refresh().then(() => {
    document.body.dataset.ready = "true";
  });
  setInterval(refresh, Number(params.get("refresh")) * 1000 || REFRESH_MS);
  setInterval(advance, slideSeconds * 1000);
}

init();
