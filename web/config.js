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
  // Mirror the camera preview and the captured photo, so the picture looks like what the visitor saw.
  mirror: true,
};
