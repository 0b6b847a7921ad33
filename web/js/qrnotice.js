// Whether visitors' phones can open the QR codes: a code that names this machine's loopback address (127.x,
// localhost, ::1) opens only on the booth itself, which is what `photobooth serve` without --lan gives. The results
// screen then says so instead of showing codes that silently fail on a phone. A configured shareBaseUrl (which
// `serve --lan` sets to the laptop's network address) is the operator's word that phones reach it.
import I18N from "./i18n.js";
import { settings } from "./settings.js";

function isLoopback(url) {
  try {
    const host = new URL(url, window.location.href).hostname.replace(/^\[|\]$/g, "");
    return host === "localhost" || host === "::1" || /^127\./.test(host);
  } catch (err) {
    return false;
  }
}

export function updateQrNotice() {
  const notice = document.querySelector("[data-qr-notice]");
  if (!notice) return;
  const links = [...document.querySelectorAll("[data-testid=result-qr]")].map((canvas) => canvas.dataset.url);
  const local = !settings().shareBaseUrl && links.length > 0 && links.some(isLoopback);
  I18N.setText(notice, local ? "results.qrThisDeviceOnly" : null);
  notice.hidden = !local;
}
