// The review screen: the photo, the themes, the consent to make the pictures and the separate, optional consent
// to show them on the event wall. Its idle timeout (screens.js) clears the photo and both consents.
import { api, BoothError, sleep } from "./api.js";
import I18N from "./i18n.js";
import { session } from "./session.js";
import { retention } from "./settings.js";
import { catalogue, offeredThemes, setThemeText } from "./themes.js";

const THEMES_RETRY_MS = 5000;
const el = (id) => document.getElementById(id);
const ui = {};
let machine = null;
const selected = new Set();

export function init(screens, { onUpload, onRetake }) {
  machine = screens;
  Object.assign(ui, {
    image: el("review-image"),
    themeList: el("theme-list"),
    themeStatus: el("theme-status"),
    consent: el("consent-checkbox"),
    consentBox: el("consent-box"),
    consentDetails: el("consent-details"),
    wallConsentDetails: el("wall-consent-details"),
    wallConsent: el("wall-consent-checkbox"),
    wallConsentBox: el("wall-consent-box"),
    hint: el("review-hint"),
    uploadButton: el("upload-button"),
    retakeButton: el("retake-button"),
  });
  const days = retention();
  // One period when everything is kept equally long; otherwise each, as the bucket's lifecycle rules apply them.
  if (days.pictures === days.photo) I18N.setText(ui.consentDetails, "review.consentDetails", { days: days.photo });
  else I18N.setText(ui.consentDetails, "review.consentDetailsSplit", { photoDays: days.photo, pictureDays: days.pictures });
  I18N.setText(ui.wallConsentDetails, "review.wallConsentDetails", { pictureDays: days.pictures });
  ui.consent.addEventListener("change", updateUploadButton);
  ui.wallConsent.addEventListener("change", () =>
    ui.wallConsentBox.classList.toggle("is-checked", ui.wallConsent.checked)
  );
  ui.uploadButton.addEventListener("click", () => {
    if (canUpload()) onUpload();
  });
  ui.retakeButton.addEventListener("click", onRetake);
}

export async function loadThemes() {
  I18N.setText(ui.themeStatus, "review.themesLoading");
  for (;;) {
    try {
      const themes = await api("GET", "/themes");
      if (!Array.isArray(themes)) throw new BoothError("INTERNAL", "themes is not a list");
      catalogue.all = themes.filter((theme) => theme && typeof theme.name === "string");
      catalogue.loaded = true;
      catalogue.failed = false;
      resetReview();
      I18N.setText(ui.themeStatus, null);
      document.dispatchEvent(new CustomEvent("photobooth:themes"));
      return;
    } catch (err) {
      catalogue.failed = true;
      I18N.setText(ui.themeStatus, "review.themesFailed");
      updateUploadButton();
      await sleep(THEMES_RETRY_MS);
    }
  }
}

// A new visitor: no photo, no consent, the booth's default themes.
export function resetReview() {
  ui.image.removeAttribute("src");
  ui.consent.checked = false;
  ui.wallConsent.checked = false;
  ui.wallConsentBox.classList.remove("is-checked");
  const offered = offeredThemes();
  selected.clear();
  offered.filter((theme) => theme.default).forEach((theme) => selected.add(theme.name));
  if (selected.size === 0 && offered.length) selected.add(offered[0].name);
  renderThemes();
  updateUploadButton();
}

function renderThemes() {
  ui.themeList.textContent = "";
  offeredThemes().forEach((theme) => {
    const label = document.createElement("label");
    label.className = "theme-chip";
    label.dataset.testid = "theme-chip";
    label.dataset.theme = theme.name;
    const input = document.createElement("input");
    input.type = "checkbox";
    input.value = theme.name;
    input.checked = selected.has(theme.name);
    input.dataset.testid = "theme-option";
    input.dataset.theme = theme.name;
    input.addEventListener("change", () => {
      if (input.checked) selected.add(theme.name);
      else selected.delete(theme.name);
      updateUploadButton();
    });
    const swatch = document.createElement("span");
    swatch.className = `theme-swatch swatch-${theme.name.replace(/[^a-z0-9-]/gi, "")}`;
    swatch.setAttribute("aria-hidden", "true");
    const text = document.createElement("span");
    text.className = "theme-name";
    setThemeText(text, theme.name);
    const check = document.createElement("span");
    check.className = "theme-check";
    check.setAttribute("aria-hidden", "true");
    label.append(input, swatch, text, check);
    ui.themeList.append(label);
  });
}

export function selectedThemes() {
  // Keep the server's order so result i matches theme i.
  return offeredThemes()
    .map((theme) => theme.name)
    .filter((name) => selected.has(name));
}

export const consented = () => ui.consent.checked;
export const showOnWall = () => ui.wallConsent.checked;

function canUpload() {
  return consented() && selectedThemes().length > 0 && Boolean(session.photo) && catalogue.loaded;
}

function updateUploadButton() {
  const consent = consented();
  const themes = selectedThemes().length > 0;
  ui.uploadButton.disabled = !canUpload();
  ui.consentBox.classList.toggle("is-checked", consent);
  if (!catalogue.loaded) {
    // Never "Ready when you are!" next to a button that cannot work.
    I18N.setText(ui.hint, catalogue.failed ? "review.themesUnavailable" : "review.themesLoading");
  } else if (!consent) I18N.setText(ui.hint, "review.needConsent");
  else if (!themes) I18N.setText(ui.hint, "review.needTheme");
  else I18N.setText(ui.hint, "review.ready");
}

export function showReview() {
  ui.image.src = session.photo.objectUrl;
  machine.go("review");
  updateUploadButton();
}
