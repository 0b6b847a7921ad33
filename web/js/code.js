// The request's short code (GET /photo's `code`, e.g. K7QF2M) on the results and error screens: a visitor reads it
// to staff, who find the same code next to the request id on the server's console or in the functions' logs
// (`requestCode`) and can erase the request with `photobooth erase K7QF2M`.
import I18N from "./i18n.js";

const SHAPE = /^[0-9A-Z]{6}$/;

export function showRequestCode(code) {
  const valid = SHAPE.test(String(code || ""));
  document.querySelectorAll("[data-request-code]").forEach((node) => {
    if (valid) I18N.setText(node, "code.forStaff", { code });
    else I18N.setText(node, null);
    node.hidden = !valid;
  });
}
