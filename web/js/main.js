// The booth page: attract → camera → review (themes and consents) → progress → results, with the error screen,
// the visitor's phone page (?photo=…) and the operator's kiosk settings. Each screen is its own module;
// screens.js owns the screen changes and every timer.
import { REQUEST_ID } from "./api.js";
import * as attract from "./attract.js";
import * as camera from "./camera.js";
import * as error from "./error.js";
import I18N from "./i18n.js";
import * as kiosk from "./kiosk.js";
import * as phone from "./phone.js";
import * as progress from "./progress.js";
import * as results from "./results.js";
import * as review from "./review.js";
import { createScreens } from "./screens.js";
import { forgetVisitor } from "./session.js";
import { settings } from "./settings.js";

const el = (id) => document.getElementById(id);

const screens = createScreens({ onIdle: startOver });

function defaultLanguage() {
  const configured = settings().defaultLanguage;
  return I18N.LANGUAGES.includes(configured) ? configured : I18N.detect();
}

// A new visitor: nothing of the previous one stays, consent is asked again, and the booth's default language and
// themes are back. The attract screen keeps the camera off until someone touches it.
function startOver() {
  forgetVisitor();
  results.clearResults();
  progress.resetProgress();
  review.resetReview();
  el("start-over-confirm").hidden = true;
  ["requestId", "result", "errorCode", "deleted"].forEach((key) => delete document.body.dataset[key]);
  I18N.setLanguage(defaultLanguage());
  screens.go("attract");
}

function askBeforeStartingOver() {
  if (screens.current !== "progress") {
    startOver();
    return;
  }
  el("start-over-confirm").hidden = false;
  el("start-over-no").focus({ preventScroll: true });
}

function upload() {
  progress.startUpload({ themes: review.selectedThemes(), showOnWall: review.showOnWall() });
}

function updateOfflineBanner() {
  el("offline-banner").hidden = navigator.onLine !== false;
  document.body.dataset.online = navigator.onLine === false ? "false" : "true";
}

function updateFullscreenButton() {
  const active = Boolean(document.fullscreenElement);
  I18N.setText(el("fullscreen-button"), active ? "fullscreen.exit" : "fullscreen.enter");
  el("fullscreen-button").setAttribute("aria-pressed", active ? "true" : "false");
}

async function toggleFullscreen() {
  try {
    if (document.fullscreenElement) await document.exitFullscreen();
    else await document.documentElement.requestFullscreen({ navigationUI: "hide" });
  } catch (err) {
    // Some kiosks forbid it; the page works the same without.
  }
}

function toggleLanguage() {
  const languages = I18N.LANGUAGES;
  I18N.setLanguage(languages[(languages.indexOf(I18N.language) + 1) % languages.length]);
}

function init() {
  I18N.setLanguage(defaultLanguage());
  if (!settings().mirror) document.body.dataset.noMirror = "true";
  updateFullscreenButton();

  el("lang-toggle").addEventListener("click", toggleLanguage);
  el("fullscreen-button").addEventListener("click", toggleFullscreen);
  document.addEventListener("fullscreenchange", updateFullscreenButton);
  window.addEventListener("online", updateOfflineBanner);
  window.addEventListener("offline", updateOfflineBanner);
  updateOfflineBanner();

  results.init();
  camera.init(screens, { onPhoto: review.showReview, onError: error.showError });
  review.init(screens, { onUpload: upload, onRetake: () => screens.go("camera") });
  progress.init(screens, { onError: error.showError });
  error.init(screens, { onNewPhoto: () => screens.go("camera"), onResend: upload });
  attract.init(screens, { onStart: () => screens.go("camera") });
  kiosk.init(screens, { onDone: startOver });

  el("start-over-button").addEventListener("click", askBeforeStartingOver);
  el("start-over-yes").addEventListener("click", startOver);
  el("start-over-no").addEventListener("click", () => {
    el("start-over-confirm").hidden = true;
  });
  screens.onLeave("progress", () => {
    el("start-over-confirm").hidden = true;
  });

  const params = new URLSearchParams(window.location.search);
  const shared = params.get("photo");
  if (shared && REQUEST_ID.test(shared)) {
    phone.showShared(screens, shared, Number(params.get("image")) || 1);
    document.body.dataset.ready = "true";
    return;
  }

  screens.go("attract", { focus: false });
  review.loadThemes();
  document.body.dataset.ready = "true";
}

init();
