// The photobooth API client (CONTRACT.md): GET /themes, POST /upload, PUT UploadURL, GET /photo/{id},
// DELETE /photo/{id}, GET /wall/photos.
import I18N from "./i18n.js";
import { settings } from "./settings.js";

export const KNOWN_CODES = new Set([
  "NO_FACE",
  "INVALID_IMAGE",
  "TOO_LARGE",
  "UNSUPPORTED_TYPE",
  "MODERATION_REJECTED",
  "GENERATION_FAILED",
  "INTERNAL",
  "NETWORK",
  "TIMEOUT",
  "REQUEST_REJECTED",
]);
export const TERMINAL = new Set(["SUCCEEDED", "PARTIAL", "FAILED"]);
export const REQUEST_ID = /^[A-Za-z0-9_-]{8,64}$/;
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:/i;

export class BoothError extends Error {
  constructor(code, detail, httpStatus) {
    super(detail || code);
    this.code = code;
    this.detail = detail || "";
    this.httpStatus = httpStatus || 0;
  }
  get transient() {
    return this.code === "NETWORK" || this.httpStatus >= 500 || this.httpStatus === 429;
  }
}

export function apiUrl(path) {
  if (ABSOLUTE.test(path)) return path;
  const base = String(settings().apiBase || "").replace(/\/+$/, "");
  return base + (path.startsWith("/") ? path : `/${path}`);
}

// Result URLs may be absolute (presigned) or relative to the API; a phone needs an absolute one.
export function absoluteUrl(url) {
  if (ABSOLUTE.test(url)) return url;
  return new URL(apiUrl(url), window.location.href).href;
}

// On AWS, starting work needs the booth key (the x-booth-key header). The operator types it once per pad; it stays
// in this browser's storage. Visitors' phones only read and erase by request id, which needs no key.
const BOOTH_KEY_STORAGE = "photobooth.boothKey";

function boothKey(askAgain) {
  if (!settings().boothKeyRequired) return "";
  let key = askAgain ? "" : window.localStorage.getItem(BOOTH_KEY_STORAGE) || "";
  if (!key) {
    key = String(window.prompt(I18N.t("setup.boothKey")) || "").trim();
    if (key) window.localStorage.setItem(BOOTH_KEY_STORAGE, key);
  }
  return key;
}

// The operator's kiosk PIN is checked by the API (POST /kiosk/unlock), which slows wrong guesses down. On AWS the
// route needs the booth key like every POST; a wrong PIN (403 with retryAfter) must not make the pad forget it.
export async function unlockKiosk(pin) {
  const headers = { "Content-Type": "application/json" };
  const key = boothKey(false);
  if (key) headers["x-booth-key"] = key;
  let response;
  try {
    response = await fetch(apiUrl("/kiosk/unlock"), {
      method: "POST",
      cache: "no-store",
      headers,
      body: JSON.stringify({ pin }),
    });
  } catch (err) {
    throw new BoothError("NETWORK", String(err && err.message ? err.message : err));
  }
  const data = await response.json().catch(() => ({}));
  if (response.status === 403 && key && !(data && "retryAfter" in data)) {
    window.localStorage.removeItem(BOOTH_KEY_STORAGE);
  }
  return { status: response.status, retryAfter: Number((data && data.retryAfter) || 0) };
}

// The server's clock, as the last answer's HTTP Date header showed it (wait.js says why): Date names the second the
// server stamped the answer, somewhere between sending the request and reading the answer, so its middle (+0.5 s)
// is placed in the middle of the round trip. No readable Date: the pad's own clock (offset 0).
let serverOffsetMs = 0;

export function noteServerDate(dateHeader, sentAt, receivedAt) {
  const stamped = Date.parse(dateHeader || "");
  if (Number.isFinite(stamped)) serverOffsetMs = stamped + 500 - (sentAt + receivedAt) / 2;
}

export const serverNow = () => Date.now() + serverOffsetMs;

export async function api(method, path, body, retried) {
  const options = { method, cache: "no-store", headers: {} };
  const key = method === "POST" ? boothKey(Boolean(retried)) : "";
  if (key) options.headers["x-booth-key"] = key;
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  const sentAt = Date.now();
  try {
    response = await fetch(apiUrl(path), options);
  } catch (err) {
    throw new BoothError("NETWORK", String(err && err.message ? err.message : err));
  }
  noteServerDate(response.headers.get("Date"), sentAt, Date.now());
  if ((response.status === 401 || response.status === 403) && key && !retried) {
    window.localStorage.removeItem(BOOTH_KEY_STORAGE);
    return api(method, path, body, true);
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch (err) {
    data = null;
  }
  if (!response.ok) throw errorFromResponse(response.status, data);
  return unwrapSeedEnvelope(data);
}

// A deployment for seed-era pads answers {"statusCode": 200, "body": "<JSON>"} (seed_compat_envelope); the booth
// page reads both that and the plain object.
export function unwrapSeedEnvelope(data) {
  if (data && typeof data.body === "string" && typeof data.statusCode === "number") {
    try {
      return JSON.parse(data.body);
    } catch (err) {
      return data;
    }
  }
  return data;
}

function errorFromResponse(status, data) {
  const message = (data && (data.message || (data.error && data.error.message))) || `HTTP ${status}`;
  const code = data && data.error && data.error.code;
  if (code && KNOWN_CODES.has(code)) return new BoothError(code, message, status);
  if (status === 413) return new BoothError("TOO_LARGE", message, status);
  if (status === 415) return new BoothError("UNSUPPORTED_TYPE", message, status);
  if (status >= 400 && status < 500 && status !== 429) return new BoothError("REQUEST_REJECTED", message, status);
  return new BoothError("INTERNAL", message, status);
}

export async function putBytes(url, contentType, blob) {
  let response;
  try {
    response = await fetch(absoluteUrl(url), { method: "PUT", headers: { "Content-Type": contentType }, body: blob });
  } catch (err) {
    throw new BoothError("NETWORK", String(err && err.message ? err.message : err));
  }
  if (!response.ok) {
    const text = await response.text().catch(() => "");
    if (response.status === 413 || /EntityTooLarge/.test(text)) throw new BoothError("TOO_LARGE", text, response.status);
    throw new BoothError(response.status >= 500 ? "INTERNAL" : "UNKNOWN", text, response.status);
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function imagesOf(status, requestThemes) {
  if (Array.isArray(status.images) && status.images.length) return status.images;
  // Older servers only list finished URLs; treat each as a finished image in order.
  const urls = Array.isArray(status.url_generated) ? status.url_generated : [];
  return urls.map((url, i) => ({ index: i + 1, theme: (requestThemes || [])[i], status: "SUCCEEDED", url }));
}
