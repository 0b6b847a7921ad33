// Booth settings. The AWS deploy overwrites this file with its own copy; only apiBase is required there.
// Every other key has a default in js/settings.js; an operator can override some of them on the tablet in kiosk
// mode (five taps on the title, then the PIN below).
window.PHOTOBOOTH_CONFIG = {
  // Base URL of the photobooth API. Empty means the same origin as this page (`photobooth serve`).
  apiBase: "",
  // Shown in the consent text and on the phone page. A fallback only: `photobooth serve` replaces it with
  // PHOTOBOOTH_RETENTION_DAYS (it erases a request whole, so the pictures go with the photo), and a deployment
  // writes it and generatedRetentionDays, the pictures' own period, from its retention settings.
  retentionDays: 7,
  // Give up waiting for results after this long and show a timeout message; when the server estimates the wait
  // (a queue at a busy hour), this long after the time it gave.
  pollTimeoutSeconds: 180,
  countdownSeconds: 3,
  // Back to the attract screen after this long without a touch, per screen (0 = never). A request in progress is
  // never abandoned by a timer.
  timeouts: { camera: 90, review: 45, results: 60, error: 60 },
  // What the QR code under each picture opens on the visitor's phone:
  //   "page":   this page at ?photo={requestId}&image={n}, which shows the picture with a share button. Short enough
  //             for a QR code a phone reads from across the table, and it outlives the picture's presigned URL.
  //   "direct": the picture's own (presigned) URL. Long URLs make dense codes, and they expire.
  qrLinks: "page",
  // Address phones use for the "page" links; empty means the address this page was loaded from.
  shareBaseUrl: "",
  // Mirror the camera preview and the captured photo, so the picture looks like what the visitor saw.
  mirror: true,
  // The operator's PIN for kiosk mode is not set here (anyone can read this file): the server checks it.
  // `PHOTOBOOTH_KIOSK_PIN=2468 photobooth serve`, or `kiosk_pin` in the deployment's configuration.
};
