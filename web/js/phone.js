// The visitor's phone, opened from a QR code (?photo={requestId}&image={n}): the pictures, the chosen one first,
// each with a share button (the Web Share API with the picture as a file, or a download where sharing files is
// not possible) and how long the pictures stay available.
import { absoluteUrl, api, BoothError, imagesOf, TERMINAL, sleep } from "./api.js";
import I18N from "./i18n.js";
import { session } from "./session.js";
import { retention, settings } from "./settings.js";
import { setThemeText, themeLabel } from "./themes.js";

const POLL_FIRST_DELAY_MS = 500;
const POLL_MAX_DELAY_MS = 3000;
const POLL_GROWTH = 1.5;
const el = (id) => document.getElementById(id);
let availableUntil = null;

export async function showShared(screens, requestId, chosenIndex) {
  document.body.dataset.mode = "share";
  el("fullscreen-button").hidden = true;
  session.requestId = requestId;
  document.body.dataset.requestId = requestId;
  screens.go("phone");
  el("delete-button").hidden = true;
  const status = el("share-status");
  I18N.setText(status, "share.loading");
  I18N.onChange(renderUntil);
  document.addEventListener("photobooth:deleted", () => {
    availableUntil = null;
    renderUntil();
  });
  const run = session.run;
  const deadline = Date.now() + settings().pollTimeoutSeconds * 1000;
  let delay = POLL_FIRST_DELAY_MS;
  for (;;) {
    let answer = null;
    try {
      answer = await api("GET", `/photo/${encodeURIComponent(requestId)}`);
    } catch (err) {
      if (run !== session.run) return;
      if (err instanceof BoothError && (err.httpStatus === 404 || err.httpStatus === 400)) {
        I18N.setText(status, "share.gone");
        el("delete-button").hidden = true;
        document.body.dataset.shareGone = "true";
        return;
      }
      if (!(err instanceof BoothError) || !err.transient) throw err;
    }
    if (run !== session.run) return;
    if (answer) {
      el("delete-button").hidden = false;
      if (answer.availableUntil) {
        availableUntil = new Date(answer.availableUntil);
        renderUntil();
      }
      render(answer, chosenIndex);
      if (TERMINAL.has(answer.status)) {
        const any = el("share-grid").querySelector("[data-testid=share-image]");
        I18N.setText(status, any ? "share.ready" : "share.gone");
        document.body.dataset.shareReady = "true";
        return;
      }
      I18N.setText(status, "share.pending");
    }
    if (Date.now() > deadline) return;
    await sleep(delay);
    delay = Math.min(POLL_MAX_DELAY_MS, delay * POLL_GROWTH);
  }
}

function renderUntil() {
  const line = el("share-until");
  if (!availableUntil || Number.isNaN(availableUntil.getTime())) {
    line.hidden = true;
    return;
  }
  const date = new Intl.DateTimeFormat(I18N.language, { dateStyle: "long" }).format(availableUntil);
  // The page opens the pictures as long as the request's record lives (the photo's period); where the bucket keeps
  // the pictures longer, say so too.
  const days = retention();
  if (days.pictures > days.photo) I18N.setText(line, "share.availableUntilSplit", { date, pictureDays: days.pictures });
  else I18N.setText(line, "share.availableUntil", { date });
  line.dataset.date = availableUntil.toISOString();
  line.hidden = false;
}

function render(status, chosenIndex) {
  const grid = el("share-grid");
  const images = imagesOf(status)
    .filter((image) => image.status === "SUCCEEDED" && image.url)
    .sort((a, b) => (b.index === chosenIndex) - (a.index === chosenIndex) || a.index - b.index);
  images.forEach((image) => {
    if (grid.querySelector(`[data-index="${Number(image.index)}"]`)) return;
    const url = absoluteUrl(image.url);
    const item = document.createElement("figure");
    item.className = "share-item";
    item.dataset.index = String(image.index);
    const img = document.createElement("img");
    img.dataset.testid = "share-image";
    img.src = url;
    I18N.setAttr(img, "alt", "result.alt", { theme: themeLabel(image.theme || "") });
    const caption = document.createElement("figcaption");
    const title = document.createElement("span");
    title.className = "tile-title";
    setThemeText(title, image.theme || "");
    const share = document.createElement("button");
    share.type = "button";
    share.className = "btn btn-primary";
    share.dataset.testid = "share-button";
    I18N.setText(share, typeof navigator.share === "function" ? "share.share" : "share.save");
    share.addEventListener("click", () => shareOrDownload(url, `photobooth_${image.index}.jpeg`, image.theme));
    caption.append(title, share);
    item.append(img, caption);
    if (image.index === chosenIndex) grid.prepend(item);
    else grid.append(item);
  });
}

async function shareOrDownload(url, filename, theme) {
  let blob;
  try {
    blob = await (await fetch(url)).blob();
  } catch (err) {
    window.open(url, "_blank", "noopener");
    return;
  }
  const file = new File([blob], filename, { type: blob.type || "image/jpeg" });
  if (typeof navigator.share === "function" && navigator.canShare && navigator.canShare({ files: [file] })) {
    try {
      await navigator.share({ files: [file], title: themeLabel(theme || "") });
      document.body.dataset.shared = filename;
      return;
    } catch (err) {
      if (err && err.name === "AbortError") return; // the visitor closed the share sheet
    }
  }
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}
