// The result tiles (progressive: each picture appears as soon as it is made, each with its own progress bar while
// it is being made), the QR codes that open a picture on the visitor's phone, the large viewer and "Delete my
// photos".
import { absoluteUrl, api, BoothError, KNOWN_CODES } from "./api.js";
import I18N from "./i18n.js";
import { drawQr } from "./qr.js";
import { forgetVisitor, session } from "./session.js";
import { settings } from "./settings.js";
import { setThemeText, themeLabel } from "./themes.js";

const el = (id) => document.getElementById(id);
const ui = {};

export function init() {
  Object.assign(ui, {
    grid: el("results-grid"),
    viewer: el("viewer"),
    viewerImage: el("viewer-image"),
    viewerQr: el("viewer-qr"),
    viewerTitle: el("viewer-title"),
    viewerClose: el("viewer-close"),
    deleteButton: el("delete-button"),
    deleteConfirm: el("delete-confirm"),
    deleteYes: el("delete-yes"),
    deleteNo: el("delete-no"),
    deleteConfirmation: el("delete-confirmation"),
  });
  ui.viewerClose.addEventListener("click", closeViewer);
  ui.viewer.addEventListener("click", (event) => {
    if (event.target === ui.viewer) closeViewer();
  });
  ui.deleteButton.addEventListener("click", () => {
    ui.deleteConfirm.hidden = false;
    ui.deleteButton.hidden = true;
    el("delete-no").focus({ preventScroll: true });
  });
  ui.deleteNo.addEventListener("click", () => {
    ui.deleteConfirm.hidden = true;
    ui.deleteButton.hidden = false;
  });
  ui.deleteYes.addEventListener("click", deletePhotos);
}

export function clearResults() {
  ui.grid.textContent = "";
  closeViewer();
  ui.deleteConfirm.hidden = true;
  ui.deleteButton.hidden = true;
  ui.deleteConfirmation.hidden = true;
}

export function showDeleteButton(visible) {
  ui.deleteButton.hidden = !visible;
  ui.deleteConfirm.hidden = true;
}

export function prepareTiles(themes) {
  ui.grid.textContent = "";
  ui.grid.dataset.count = String(themes.length);
  themes.forEach((theme, i) => ui.grid.append(createTile(i + 1, theme)));
}

function createTile(index, theme) {
  const tile = document.createElement("article");
  tile.className = "tile";
  tile.dataset.testid = "result-tile";
  tile.dataset.index = String(index);
  tile.dataset.theme = theme || "";
  tile.dataset.status = "PENDING";

  const frame = document.createElement("div");
  frame.className = "tile-frame";
  const placeholder = document.createElement("div");
  placeholder.className = "tile-placeholder";
  placeholder.dataset.testid = "result-pending";
  const spinner = document.createElement("span");
  spinner.className = "spinner";
  spinner.setAttribute("aria-hidden", "true");
  const pendingText = document.createElement("span");
  I18N.setText(pendingText, "result.pending");
  const bar = document.createElement("div");
  bar.className = "tile-progress";
  bar.dataset.testid = "tile-progress";
  bar.setAttribute("role", "progressbar");
  bar.setAttribute("aria-valuemin", "0");
  bar.setAttribute("aria-valuemax", "100");
  bar.setAttribute("aria-valuenow", "0");
  I18N.setAttr(bar, "aria-label", "result.progressLabel", { theme: themeLabel(theme || "") });
  const fill = document.createElement("div");
  fill.className = "tile-progress-fill";
  bar.append(fill);
  placeholder.append(spinner, pendingText, bar);
  frame.append(placeholder);

  const footer = document.createElement("div");
  footer.className = "tile-footer";
  const caption = document.createElement("div");
  caption.className = "tile-caption";
  const name = document.createElement("h3");
  name.className = "tile-title";
  setThemeText(name, theme);
  const note = document.createElement("p");
  note.className = "tile-note muted";
  caption.append(name, note);
  footer.append(caption);

  tile.append(frame, footer);
  return tile;
}

// fraction in 0..1 for a picture still being made; a finished or failed tile has no bar.
export function setTileProgress(index, fraction) {
  const bar = ui.grid.querySelector(`.tile[data-index="${Number(index)}"] .tile-progress`);
  if (!bar) return;
  const percent = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
  bar.setAttribute("aria-valuenow", String(percent));
  bar.firstElementChild.style.width = `${percent}%`;
}

export function pendingIndexes() {
  return [...ui.grid.querySelectorAll('.tile[data-status="PENDING"]')].map((tile) => Number(tile.dataset.index));
}

function tileFor(image) {
  let tile = ui.grid.querySelector(`.tile[data-index="${Number(image.index)}"]`);
  if (!tile) {
    tile = createTile(Number(image.index), image.theme);
    ui.grid.append(tile);
  }
  return tile;
}

export function updateTile(image) {
  const tile = tileFor(image);
  if (image.theme && tile.dataset.theme !== image.theme) {
    tile.dataset.theme = image.theme;
    setThemeText(tile.querySelector(".tile-title"), image.theme);
  }
  if (image.status === "SUCCEEDED" && image.url) showImage(tile, image);
  else if (image.status === "FAILED") showFailure(tile, image);
}

// Anything still pending at a terminal status did not get made.
export function failPending() {
  ui.grid.querySelectorAll('.tile[data-status="PENDING"]').forEach((tile) => {
    updateTile({ index: Number(tile.dataset.index), theme: tile.dataset.theme, status: "FAILED" });
  });
}

function showImage(tile, image) {
  // Presigned URLs change on every poll; load each picture once.
  if (tile.dataset.status === "SUCCEEDED" || tile.dataset.status === "LOADING") return;
  tile.dataset.status = "LOADING";
  const url = absoluteUrl(image.url);
  const themeName = tile.dataset.theme;
  const frame = tile.querySelector(".tile-frame");
  const img = document.createElement("img");
  img.className = "result-image";
  img.dataset.testid = "result-image";
  img.decoding = "async";
  I18N.setAttr(img, "alt", "result.alt", { theme: themeLabel(themeName) });
  let attempts = 0;
  img.addEventListener("load", () => {
    tile.dataset.status = "SUCCEEDED";
    if (img.naturalWidth && img.naturalHeight) frame.style.aspectRatio = `${img.naturalWidth} / ${img.naturalHeight}`;
    const placeholder = frame.querySelector(".tile-placeholder");
    if (placeholder) placeholder.remove();
    img.classList.add("is-loaded");
  });
  img.addEventListener("error", () => {
    // The object can show up in the listing a moment before it is readable; try a couple of times.
    if (++attempts <= 3) setTimeout(() => (img.src = url), 700 * attempts);
    else showFailure(tile, { status: "FAILED" }, true);
  });
  img.src = url;
  frame.append(img);

  const button = document.createElement("button");
  button.type = "button";
  button.className = "tile-enlarge";
  button.dataset.testid = "result-open";
  I18N.setAttr(button, "aria-label", "result.enlarge");
  const link = qrTarget(url, Number(tile.dataset.index));
  button.addEventListener("click", () => openViewer(url, link, themeName));
  frame.append(button);
  addQr(tile, link, url, themeName);
}

// The phone link for picture `index`: a short page link by default (see config.js), else the picture's URL.
function qrTarget(pictureUrl, index) {
  if (settings().qrLinks === "direct" || !session.requestId) return pictureUrl;
  const link = new URL(settings().shareBaseUrl || window.location.pathname, window.location.href);
  link.search = "";
  link.hash = "";
  link.searchParams.set("photo", session.requestId);
  link.searchParams.set("image", String(index));
  return link.href;
}

function addQr(tile, url, pictureUrl, themeName) {
  const footer = tile.querySelector(".tile-footer");
  if (footer.querySelector(".qr-box")) return;
  const box = document.createElement("div");
  box.className = "qr-box";
  const canvas = document.createElement("canvas");
  canvas.className = "qr";
  canvas.dataset.testid = "result-qr";
  canvas.dataset.url = url;
  canvas.dataset.picture = pictureUrl;
  canvas.setAttribute("role", "img");
  I18N.setAttr(canvas, "aria-label", "result.qrLabel", { theme: themeLabel(themeName) });
  const note = tile.querySelector(".tile-note");
  if (drawQr(canvas, url, 320)) {
    box.append(canvas);
    footer.append(box);
    I18N.setText(note, "result.scan");
  } else {
    I18N.setText(note, "result.tooLong");
  }
}

function showFailure(tile, image, loadError) {
  if (tile.dataset.status === "FAILED") return;
  if (tile.dataset.status === "SUCCEEDED" && !loadError) return;
  tile.dataset.status = "FAILED";
  const frame = tile.querySelector(".tile-frame");
  frame.textContent = "";
  frame.style.aspectRatio = "";
  const failure = document.createElement("div");
  failure.className = "tile-failed";
  failure.dataset.testid = "result-failed";
  const icon = document.createElement("span");
  icon.className = "tile-failed-icon";
  icon.setAttribute("aria-hidden", "true");
  icon.textContent = "!";
  const text = document.createElement("span");
  I18N.setText(text, "result.failed");
  failure.append(icon, text);
  frame.append(failure);
  const code = image.error && image.error.code;
  const note = tile.querySelector(".tile-note");
  if (code && KNOWN_CODES.has(code)) I18N.setText(note, `error.${code}`);
  const qr = tile.querySelector(".qr-box");
  if (qr) qr.remove();
}

function openViewer(pictureUrl, link, themeName) {
  ui.viewerImage.src = pictureUrl;
  I18N.setAttr(ui.viewerImage, "alt", "result.alt", { theme: themeLabel(themeName) });
  setThemeText(ui.viewerTitle, themeName);
  drawQr(ui.viewerQr, link, 480);
  I18N.setAttr(ui.viewerQr, "aria-label", "result.qrLabel", { theme: themeLabel(themeName) });
  if (typeof ui.viewer.showModal === "function") ui.viewer.showModal();
  else ui.viewer.setAttribute("open", "");
}

export function closeViewer() {
  if (typeof ui.viewer.close === "function" && ui.viewer.open) ui.viewer.close();
  else ui.viewer.removeAttribute("open");
}

async function deletePhotos() {
  const requestId = session.requestId;
  if (!requestId) return;
  ui.deleteYes.disabled = true;
  I18N.setText(ui.deleteConfirmation, "actions.deleting");
  ui.deleteConfirmation.hidden = false;
  try {
    await api("DELETE", `/photo/${encodeURIComponent(requestId)}`);
    deleted(requestId);
  } catch (err) {
    if (err instanceof BoothError && err.httpStatus === 404) {
      deleted(requestId);
    } else {
      I18N.setText(ui.deleteConfirmation, "actions.deleteFailed");
      ui.deleteConfirm.hidden = true;
      ui.deleteButton.hidden = false;
    }
  } finally {
    ui.deleteYes.disabled = false;
  }
}

function deleted(requestId) {
  forgetVisitor();
  delete document.body.dataset.requestId;
  ui.deleteConfirm.hidden = true;
  ui.deleteButton.hidden = true;
  ui.grid.textContent = "";
  el("share-grid").textContent = "";
  I18N.setText(el("share-status"), null);
  el("share-until").hidden = true;
  closeViewer();
  document.dispatchEvent(new CustomEvent("photobooth:deleted"));
  I18N.setText(ui.deleteConfirmation, "actions.deleted");
  // Nothing is ready any more: no "Your pictures are ready" over an empty grid.
  I18N.setText(el("status-text"), null);
  I18N.setText(el("results-title"), "results.deletedTitle");
  ui.deleteConfirmation.hidden = false;
  document.body.dataset.deleted = requestId;
  el("start-over-button").focus({ preventScroll: true });
}
