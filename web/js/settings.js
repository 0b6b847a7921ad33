// The booth's settings: defaults, then config.js (window.PHOTOBOOTH_CONFIG, which a deployment overwrites), then
// what the operator saved in kiosk mode on this tablet (localStorage). Read through settings() each time, so a
// change in kiosk mode applies to the next visitor without a reload.

const DEFAULTS = {
  apiBase: "",
  retentionDays: 7,
  pollTimeoutSeconds: 180,
  // How long polling may fail for lack of a network before the page says so (the request is kept either way).
  networkGraceSeconds: 30,
  countdownSeconds: 3,
  // Back to the attract screen after this long without a touch; 0 = never. No timer runs while a request is in
  // progress (screens.js).
  timeouts: { camera: 90, review: 45, results: 60, error: 60, kiosk: 120 },
  // The "Back to start in N s — tap to stay" notice appears when this many seconds are left.
  idleNoticeSeconds: 20,
  // Expected seconds per picture until this pad has timed a few real requests.
  expectedSecondsPerPicture: 10,
  attractSlideSeconds: 4,
  mirror: true,
  qrLinks: "page",
  shareBaseUrl: "",
  boothKeyRequired: false,
  defaultLanguage: "",
  title: "",
  logoUrl: "",
  hideFullscreen: false,
  hideFilePicker: false,
  wakeLock: false,
  themes: null, // null = every theme the API offers
};

export const KIOSK_STORAGE = "photobooth.kiosk";

function fromConfigJs() {
  return window.PHOTOBOOTH_CONFIG || {};
}

export function kioskOverrides() {
  try {
    const saved = JSON.parse(window.localStorage.getItem(KIOSK_STORAGE) || "{}");
    return saved && typeof saved === "object" ? saved : {};
  } catch (err) {
    return {};
  }
}

export function saveKioskOverrides(overrides) {
  window.localStorage.setItem(KIOSK_STORAGE, JSON.stringify(overrides));
}

export function clearKioskOverrides() {
  window.localStorage.removeItem(KIOSK_STORAGE);
}

// The logo may come from the booth's own origin (a relative path such as /logo.png) or a data: image only: a
// remote address would let whoever reached the kiosk settings show any website's picture on the tablet, and
// would tell that website about every visitor. Returns the URL to use, or "" when it is not allowed.
export function safeLogoUrl(value) {
  const text = String(value || "").trim();
  if (!text) return "";
  if (/^data:image\/(png|jpeg|gif|webp|svg\+xml)[;,]/i.test(text)) return text;
  try {
    const url = new URL(text, window.location.href);
    return url.origin === window.location.origin && !/^[a-z][a-z0-9+.-]*:/i.test(text) ? url.href : "";
  } catch (err) {
    return "";
  }
}

export function settings() {
  const deployed = fromConfigJs();
  const kiosk = kioskOverrides();
  const merged = Object.assign({}, DEFAULTS, deployed, kiosk);
  merged.timeouts = Object.assign({}, DEFAULTS.timeouts, deployed.timeouts || {}, kiosk.timeouts || {});
  return merged;
}
