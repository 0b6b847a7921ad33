// Booth settings. The AWS deploy overwrites this file with its own copy; only apiBase is required there.
window.PHOTOBOOTH_CONFIG = {
  // Base URL of the photobooth API. Empty means the same origin as this page (`photobooth serve`).
  apiBase: "",
  // Shown in the consent text; keep it equal to the service's retention setting.
  retentionDays: 7,
  // Give up waiting for results after this long and show a timeout message.
  pollTimeoutSeconds: 180,
  countdownSeconds: 3,
  // Return to the camera after this long without a touch on the results or error screen (0 = never).
  idleResetSeconds: 180,
  // What the QR code under each picture opens on the visitor's phone:
  //   "page":   this page at ?photo={requestId}&image={n}, which shows the picture with a save button. Short enough
  //             for a QR code a phone reads from across the table, and it outlives the picture's presigned URL.
  //   "direct": the picture's own (presigned) URL. Long URLs make dense codes, and they expire.
  qrLinks: "page",
  // Address phones use for the "page" links; empty means the address this page was loaded from.
  shareBaseUrl: "",
  // Mirror the camera preview and the captured photo, so the picture looks like what the visitor saw.
  mirror: true,
};
