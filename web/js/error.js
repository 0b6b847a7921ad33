// The error screen: what went wrong in the visitor's words, and the one button that helps. "Try again" resumes
// the same request when it is still alive (a network drop, a timeout); it re-sends the photo only when no request
// was made yet, and asks for a new photo when the photo itself was the problem.
import { KNOWN_CODES } from "./api.js";
import I18N from "./i18n.js";
import * as progress from "./progress.js";
import * as results from "./results.js";
import { session } from "./session.js";

// Errors about the photo itself: trying the same bytes again cannot help, so "retry" means a new photo.
const NEEDS_NEW_PHOTO = new Set(["NO_FACE", "INVALID_IMAGE", "TOO_LARGE", "UNSUPPORTED_TYPE", "MODERATION_REJECTED"]);
const el = (id) => document.getElementById(id);
let machine = null;
let handlers = null;

export function init(screens, options) {
  machine = screens;
  handlers = options; // {onNewPhoto, onResend}
  el("retry-button").addEventListener("click", retry);
}

export function showError(err) {
  const code = KNOWN_CODES.has(err.code) ? err.code : "UNKNOWN";
  const message = el("error-message");
  I18N.setText(message, `error.${code}`, code === "REQUEST_REJECTED" ? { message: err.detail || "" } : undefined);
  message.dataset.code = code;
  document.body.dataset.errorCode = code;
  let action = "retake";
  if (!NEEDS_NEW_PHOTO.has(code) && progress.canResume()) action = "resume";
  else if (!NEEDS_NEW_PHOTO.has(code) && session.photo && !session.requestId) action = "resend";
  else if (!NEEDS_NEW_PHOTO.has(code) && session.photo && session.terminal) action = "resend";
  el("retry-button").dataset.action = action;
  I18N.setText(el("retry-label"), action === "retake" ? "actions.retake" : "actions.retry");
  results.showDeleteButton(Boolean(session.requestId));
  el("delete-confirmation").hidden = true;
  machine.go("error");
}

function retry() {
  const action = el("retry-button").dataset.action;
  delete document.body.dataset.errorCode;
  if (action === "resume") progress.resume();
  else if (action === "resend") handlers.onResend();
  else handlers.onNewPhoto();
}
