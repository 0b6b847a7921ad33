// Operator kiosk mode. Five taps on the title within a few seconds open a PIN prompt; the API checks the PIN
// (POST /kiosk/unlock: the page's files never hold it, and the server slows wrong guesses down). The right PIN
// opens the settings: the themes offered, the default language, the timeouts, the event's title and logo (from
// this booth's origin or a data: image only), hiding "Full screen" and "Choose a photo", and the Screen Wake Lock.
// They are kept in this tablet's localStorage and override config.js.
import { unlockKiosk } from "./api.js";
import I18N from "./i18n.js";
import { clearKioskOverrides, kioskOverrides, safeLogoUrl, saveKioskOverrides, settings } from "./settings.js";
import { catalogue, themeLabel } from "./themes.js";

const TAPS_TO_OPEN = 5;
const TAP_WINDOW_MS = 3000;
const TIMEOUT_KEYS = ["camera", "review", "results", "error"];
const el = (id) => document.getElementById(id);
let machine = null;
let onDone = null;
let taps = [];
let wakeLock = null;

export function init(screens, handlers) {
  machine = screens;
  onDone = handlers.onDone;
  el("brand").addEventListener("click", countTap);
  el("kiosk-pin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    unlock();
  });
  el("kiosk-settings").addEventListener("submit", (event) => {
    event.preventDefault();
    save();
  });
  el("kiosk-reset").addEventListener("click", () => {
    clearKioskOverrides();
    fillForm();
  });
  document.querySelectorAll("[data-kiosk-close]").forEach((button) => button.addEventListener("click", () => onDone()));
  machine.onLeave("kiosk", () => {
    el("kiosk-pin").value = "";
    el("kiosk-settings").hidden = true;
    el("kiosk-pin-form").hidden = false;
    document.body.dataset.kiosk = "locked";
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") applyWakeLock();
  });
  applyBranding();
}

function countTap() {
  if (document.body.dataset.mode === "share") return;
  const now = Date.now();
  taps = [...taps.filter((at) => now - at < TAP_WINDOW_MS), now];
  if (taps.length >= TAPS_TO_OPEN) {
    taps = [];
    open();
  }
}

export function open() {
  I18N.setText(el("kiosk-pin-message"), null);
  el("kiosk-pin").disabled = false;
  el("kiosk-pin-form").hidden = false;
  el("kiosk-settings").hidden = true;
  document.body.dataset.kiosk = "locked";
  machine.go("kiosk");
  el("kiosk-pin").focus({ preventScroll: true });
}

async function unlock() {
  const message = el("kiosk-pin-message");
  const pin = el("kiosk-pin").value;
  el("kiosk-pin").value = "";
  if (!pin) return;
  let answer;
  try {
    answer = await unlockKiosk(pin);
  } catch (err) {
    I18N.setText(message, "kiosk.unavailable");
    return;
  }
  const seconds = Math.max(1, Math.ceil(answer.retryAfter));
  if (answer.status === 404) {
    I18N.setText(message, "kiosk.noPin");
    el("kiosk-pin").disabled = true;
    return;
  }
  if (answer.status === 429) {
    I18N.setText(message, "kiosk.wait", { seconds });
    return;
  }
  if (answer.status !== 200) {
    I18N.setText(message, answer.status === 403 ? "kiosk.wrongPin" : "kiosk.unavailable", { seconds });
    return;
  }
  I18N.setText(message, null);
  el("kiosk-pin-form").hidden = true;
  fillForm();
  el("kiosk-settings").hidden = false;
  document.body.dataset.kiosk = "open";
  el("kiosk-title").focus({ preventScroll: true });
}

function fillForm() {
  const current = settings();
  const box = el("kiosk-themes");
  box.textContent = "";
  const offered = Array.isArray(current.themes) && current.themes.length ? current.themes : null;
  catalogue.all.forEach((theme) => {
    const label = document.createElement("label");
    label.className = "kiosk-check";
    const input = document.createElement("input");
    input.type = "checkbox";
    input.value = theme.name;
    input.dataset.testid = "kiosk-theme";
    input.checked = offered ? offered.includes(theme.name) : true;
    const name = document.createElement("span");
    name.textContent = themeLabel(theme.name);
    label.append(input, name);
    box.append(label);
  });
  const language = el("kiosk-language");
  language.textContent = "";
  I18N.LANGUAGES.forEach((lang) => {
    const option = document.createElement("option");
    option.value = lang;
    option.lang = lang;
    option.textContent = I18N.t(`lang.name.${lang}`);
    language.append(option);
  });
  language.value = I18N.LANGUAGES.includes(current.defaultLanguage) ? current.defaultLanguage : I18N.detect();
  TIMEOUT_KEYS.forEach((key) => {
    el("kiosk-settings").querySelector(`[data-timeout="${key}"]`).value = String(current.timeouts[key]);
  });
  el("kiosk-event-title").value = current.title || "";
  el("kiosk-logo").value = current.logoUrl || "";
  el("kiosk-logo").removeAttribute("aria-invalid");
  I18N.setText(el("kiosk-logo-message"), null);
  el("kiosk-hide-fullscreen").checked = Boolean(current.hideFullscreen);
  el("kiosk-hide-file").checked = Boolean(current.hideFilePicker);
  el("kiosk-wake-lock").checked = Boolean(current.wakeLock);
}

function save() {
  const logoInput = el("kiosk-logo");
  const logo = logoInput.value.trim();
  if (logo && !safeLogoUrl(logo)) {
    I18N.setText(el("kiosk-logo-message"), "kiosk.logoInvalid");
    logoInput.setAttribute("aria-invalid", "true");
    logoInput.focus({ preventScroll: true });
    return;
  }
  logoInput.removeAttribute("aria-invalid");
  I18N.setText(el("kiosk-logo-message"), null);
  const themes = [...document.querySelectorAll("[data-testid=kiosk-theme]:checked")].map((input) => input.value);
  const timeouts = {};
  TIMEOUT_KEYS.forEach((key) => {
    const value = Number(el("kiosk-settings").querySelector(`[data-timeout="${key}"]`).value);
    if (Number.isFinite(value) && value >= 0) timeouts[key] = Math.round(value);
  });
  const everything = themes.length === catalogue.all.length;
  saveKioskOverrides(
    Object.assign(kioskOverrides(), {
      themes: everything || themes.length === 0 ? null : themes,
      defaultLanguage: el("kiosk-language").value,
      timeouts,
      title: el("kiosk-event-title").value.trim(),
      logoUrl: logo,
      hideFullscreen: el("kiosk-hide-fullscreen").checked,
      hideFilePicker: el("kiosk-hide-file").checked,
      wakeLock: el("kiosk-wake-lock").checked,
    })
  );
  applyBranding();
  onDone();
}

// Title, logo, hidden buttons and the wake lock, from the current settings.
export function applyBranding() {
  const current = settings();
  const title = el("app-title");
  if (current.title) {
    delete title.dataset.i18n;
    title.textContent = current.title;
  } else {
    I18N.setText(title, "app.title");
  }
  document.title = title.textContent;
  const logo = el("brand-logo");
  const logoUrl = safeLogoUrl(current.logoUrl);
  if (logoUrl) {
    logo.src = logoUrl;
    logo.hidden = false;
    el("brand-icon").style.display = "none";
  } else {
    logo.removeAttribute("src");
    logo.hidden = true;
    el("brand-icon").style.display = "";
  }
  el("fullscreen-button").hidden = Boolean(current.hideFullscreen) || !document.fullscreenEnabled;
  el("file-button").hidden = Boolean(current.hideFilePicker);
  applyWakeLock();
}

async function applyWakeLock() {
  if (!settings().wakeLock) {
    if (wakeLock) await wakeLock.release().catch(() => undefined);
    wakeLock = null;
    document.body.dataset.wakeLock = "off";
    return;
  }
  if (!("wakeLock" in navigator)) {
    document.body.dataset.wakeLock = "unsupported";
    return;
  }
  if (wakeLock && !wakeLock.released) return;
  try {
    wakeLock = await navigator.wakeLock.request("screen");
    document.body.dataset.wakeLock = "held";
    wakeLock.addEventListener("release", () => {
      document.body.dataset.wakeLock = "released";
    });
  } catch (err) {
    // Refused (page hidden, battery saver): asked again when the page is visible.
    document.body.dataset.wakeLock = "refused";
  }
}
