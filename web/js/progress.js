// The wait: upload the photo, then poll GET /photo/{id} until the request ends, showing each picture as it
// arrives. The wait is honest: the expected time is the server's estimate from the queue ahead and the models' pace
// ("Ready in about 2 minutes — 6 visitors ahead", wait.js), renewed by every answer, or from this pad's last
// requests when the server gives none; each picture has a bar that moves, and a dropped network neither loses nor
// repeats the request (polling resumes the same requestId).
import { api, BoothError, imagesOf, KNOWN_CODES, putBytes, sleep, TERMINAL } from "./api.js";
import { showRequestCode } from "./code.js";
import I18N from "./i18n.js";
import * as results from "./results.js";
import { updateQrNotice } from "./qrnotice.js";
import { nextRun, session } from "./session.js";
import { settings } from "./settings.js";
import { estimateOf, secondsLeft, waitPhrase } from "./wait.js";

const POLL_FIRST_DELAY_MS = 500;
const POLL_MAX_DELAY_MS = 3000;
const POLL_GROWTH = 1.5;
const SERVER_FAILURES_ALLOWED = 5;
const PROGRESS_TICK_MS = 400;
const HISTORY_STORAGE = "photobooth.recentSecondsPerPicture";
const HISTORY_LENGTH = 5;
// A ticket's upload URL is reused by "Try again" only while it is surely still valid.
const TICKET_MARGIN_MS = 30_000;

const el = (id) => document.getElementById(id);
const ui = {};
let machine = null;
let onError = null;
let waitStarted = 0;
let expectedSeconds = 0;
// The server's latest estimate for this request (wait.js), or null: then the pad's own expectation is shown.
let estimate = null;

export function init(screens, handlers) {
  machine = screens;
  onError = handlers.onError;
  Object.assign(ui, {
    title: el("results-title"),
    statusText: el("status-text"),
    spinner: el("status-spinner"),
    expected: el("expected-time"),
    bar: el("progress-bar"),
    section: el("screen-results"),
    reconnect: el("reconnect-banner"),
  });
  machine.onLeave("progress", () => setReconnecting(false));
  machine.onEnter("progress", () => {
    setBusy(true);
    I18N.setText(ui.title, "progress.title");
    machine.every(PROGRESS_TICK_MS, tickProgress);
  });
  machine.onEnter("results", () => {
    setBusy(false);
    I18N.setText(ui.title, "results.title");
  });
  I18N.onChange(renderEstimate);
}

function setBusy(busy) {
  ui.spinner.hidden = !busy;
  ui.section.setAttribute("aria-busy", busy ? "true" : "false");
  document.body.classList.toggle("is-busy", busy);
}

// The booth's server stopped answering while the browser is online: say so at once, to staff (the visitor can do
// nothing about it), and hold the bars still until it answers again. A lost Wi-Fi has the offline banner instead.
function setReconnecting(reconnecting) {
  document.body.dataset.reconnecting = reconnecting ? "true" : "false";
  ui.reconnect.hidden = !reconnecting || navigator.onLine === false;
}

const reconnecting = () => document.body.dataset.reconnecting === "true";

function setBar(fraction) {
  ui.bar.style.width = `${Math.round(Math.max(0, Math.min(1, fraction)) * 100)}%`;
}

// ------------------------------------------------------------------ expected time

function history() {
  try {
    const values = JSON.parse(window.localStorage.getItem(HISTORY_STORAGE) || "[]");
    return Array.isArray(values) ? values.filter((v) => Number.isFinite(v) && v > 0) : [];
  } catch (err) {
    return [];
  }
}

function remember(timeTaken, pictures) {
  if (!Number.isFinite(timeTaken) || timeTaken <= 0 || pictures <= 0) return;
  const values = [...history(), timeTaken / pictures].slice(-HISTORY_LENGTH);
  window.localStorage.setItem(HISTORY_STORAGE, JSON.stringify(values));
}

export function expectedSecondsFor(pictures) {
  const recent = history();
  const perPicture = recent.length
    ? recent.reduce((sum, v) => sum + v, 0) / recent.length
    : Number(settings().expectedSecondsPerPicture) || 10;
  return Math.max(3, Math.round(perPicture * pictures));
}

function showExpected(pictures) {
  expectedSeconds = expectedSecondsFor(pictures);
  waitStarted = Date.now();
  estimate = null;
  I18N.setText(ui.expected, "progress.expected", { s: expectedSeconds });
  ui.expected.hidden = false;
  ui.expected.dataset.seconds = String(expectedSeconds);
  delete ui.expected.dataset.queueAhead;
}

// An answer (POST /upload's or a poll's) with the server's estimate replaces what was shown; one without leaves it.
// The bars then aim at the server's time too.
function takeEstimate(answer) {
  const next = estimateOf(answer);
  if (!next) return;
  estimate = next;
  if (waitStarted) expectedSeconds = Math.max(3, (Date.now() - waitStarted) / 1000 + next.seconds);
  renderEstimate();
}

// Shown from the estimate's moment on the server's clock, so the minutes count down between two answers as well.
// The text is set without a key (a language change calls this again: it has two translated parts).
function renderEstimate() {
  if (!estimate || !ui.expected) return;
  const seconds = secondsLeft(estimate);
  const { time, queue, vars } = waitPhrase(seconds, estimate.ahead);
  I18N.setText(ui.expected, null);
  ui.expected.textContent = I18N.t("progress.estimate", { time: I18N.t(time, vars), queue: I18N.t(queue, vars) });
  ui.expected.hidden = false;
  ui.expected.dataset.seconds = String(Math.round(seconds));
  ui.expected.dataset.queueAhead = String(estimate.ahead);
}

// The page gives up pollTimeoutSeconds after it started waiting, or as long after the server's estimate: a visitor
// far down a queue is told the wait and then waits it (the server, not a timer of the pad, ends a request).
function giveUpAt(deadline) {
  if (!estimate) return deadline;
  return Math.max(deadline, Date.now() + (secondsLeft(estimate) + settings().pollTimeoutSeconds) * 1000);
}

// Picture i of n is expected at i/n of the expected time (the estimate spreads evenly); its bar creeps towards
// 95 % until the picture really arrives, so it never claims to be done early.
function tickProgress() {
  if (!waitStarted || !expectedSeconds || reconnecting()) return;
  renderEstimate();
  const total = Math.max(session.requestThemes.length, 1);
  const elapsed = (Date.now() - waitStarted) / 1000;
  const slot = expectedSeconds / total;
  results.pendingIndexes().forEach((index) => {
    const due = slot * index;
    setTileProgress(index, Math.min(0.95, elapsed / due));
  });
  const done = total - results.pendingIndexes().length;
  setBar(Math.max(0.12 + 0.88 * (done / total), Math.min(0.95, elapsed / expectedSeconds)));
}

function setTileProgress(index, fraction) {
  results.setTileProgress(index, fraction);
}

// ------------------------------------------------------------------ upload and polling

export async function startUpload({ themes, showOnWall }) {
  const run = nextRun();
  Object.assign(session, {
    requestId: null,
    requestThemes: themes,
    ticket: null,
    uploaded: false,
    terminal: false,
  });
  results.clearResults();
  results.prepareTiles(themes);
  machine.go("progress");
  I18N.setText(ui.statusText, "progress.uploading");
  setBar(0.04);
  showExpected(themes.length);
  try {
    const ticket = await api("POST", "/upload", {
      type: "photo",
      filename: `booth_${timestamp()}.${session.photo.extension}`,
      contentType: session.photo.contentType,
      contentLength: session.photo.blob.size,
      showOnWall: Boolean(showOnWall),
      themes,
    });
    if (run !== session.run) return;
    if (!ticket || !ticket.UploadURL || !ticket.requestId) throw new BoothError("INTERNAL", "malformed /upload answer");
    session.ticket = ticket;
    session.ticketAt = Date.now();
    takeEstimate(ticket);
    session.requestId = ticket.requestId;
    document.body.dataset.requestId = ticket.requestId;
    await uploadAndPoll(run);
  } catch (err) {
    if (run !== session.run) return;
    onError(err instanceof BoothError ? err : new BoothError("UNKNOWN", String(err)));
  }
}

async function uploadAndPoll(run) {
  const ticket = session.ticket;
  if (!session.uploaded) {
    await putBytes(ticket.UploadURL, ticket.ContentType || session.photo.contentType, session.photo.blob);
    if (run !== session.run) return;
    session.uploaded = true;
  }
  setBar(0.12);
  I18N.setText(ui.statusText, "progress.waiting");
  await poll(ticket.statusUrl || `/photo/${encodeURIComponent(ticket.requestId)}`, run);
}

// "Try again" after an error that left the request alive (a network drop, a timeout): carry on with the same
// request. Returns false when there is nothing to resume.
export function canResume() {
  if (!session.ticket || session.terminal) return false;
  if (session.uploaded) return true;
  const validFor = (Number(session.ticket.Expires) || 0) * 1000 - TICKET_MARGIN_MS;
  return Boolean(session.photo) && Date.now() - session.ticketAt < validFor;
}

export async function resume() {
  const run = nextRun();
  machine.go("progress");
  I18N.setText(ui.statusText, session.uploaded ? "progress.waiting" : "progress.uploading");
  if (!waitStarted) showExpected(session.requestThemes.length);
  try {
    await uploadAndPoll(run);
  } catch (err) {
    if (run !== session.run) return;
    onError(err instanceof BoothError ? err : new BoothError("UNKNOWN", String(err)));
  }
}

function timestamp() {
  const d = new Date();
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return (
    `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-` +
    `${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}-${pad(d.getMilliseconds(), 3)}`
  );
}

async function poll(statusUrl, run) {
  const deadline = Date.now() + settings().pollTimeoutSeconds * 1000;
  let delay = POLL_FIRST_DELAY_MS;
  let serverFailures = 0;
  let offlineSince = 0;
  for (;;) {
    let status = null;
    try {
      status = await api("GET", statusUrl);
      serverFailures = 0;
      offlineSince = 0;
      setReconnecting(false);
    } catch (err) {
      if (!(err instanceof BoothError) || !err.transient) throw err;
      if (err.code === "NETWORK") {
        // No answer: keep the request and keep trying for a while; the offline banner (no Wi-Fi) or the reconnecting
        // notice (no server) says what is going on.
        offlineSince = offlineSince || Date.now();
        setReconnecting(true);
        if (Date.now() - offlineSince > settings().networkGraceSeconds * 1000) throw err;
      } else if (++serverFailures > SERVER_FAILURES_ALLOWED) {
        throw err;
      }
    }
    if (run !== session.run) return;
    if (status) {
      render(status);
      if (TERMINAL.has(status.status)) {
        finish(status);
        return;
      }
    }
    if (Date.now() + delay > giveUpAt(deadline)) throw new BoothError("TIMEOUT");
    await sleep(offlineSince ? POLL_FIRST_DELAY_MS : delay);
    if (run !== session.run) return;
    delay = Math.min(POLL_MAX_DELAY_MS, delay * POLL_GROWTH);
  }
}

function render(status) {
  showRequestCode(status.code);
  if (!TERMINAL.has(status.status)) takeEstimate(status);
  const images = imagesOf(status, session.requestThemes);
  images.forEach((image) => results.updateTile(image));
  const total = Math.max(session.requestThemes.length, images.length, 1);
  const done = images.filter((image) => image.status === "SUCCEEDED" || image.status === "FAILED").length;
  if (!TERMINAL.has(status.status)) {
    if (done > 0) I18N.setText(ui.statusText, "progress.counting", { done, total });
    else I18N.setText(ui.statusText, "progress.waiting");
  }
}

function finish(status) {
  session.terminal = true;
  estimate = null;
  showRequestCode(status.code);
  const images = imagesOf(status, session.requestThemes);
  const succeeded = images.filter((image) => image.status === "SUCCEEDED" && image.url);
  remember(Number(status.time_taken), Math.max(session.requestThemes.length, 1));
  if (status.status === "FAILED" || succeeded.length === 0) {
    const failed = images.find((image) => image.error && image.error.code);
    const code = (status.error && status.error.code) || (failed && failed.error.code) || "GENERATION_FAILED";
    onError(new BoothError(KNOWN_CODES.has(code) ? code : "UNKNOWN", status.error && status.error.message));
    return;
  }
  results.failPending();
  updateQrNotice();
  setBar(1);
  ui.expected.hidden = true;
  waitStarted = 0;
  I18N.setText(ui.statusText, status.status === "PARTIAL" ? "results.partial" : "results.done");
  // Only now, with the pictures made, may the idle timer run (screens.js: "results" has one, "progress" none).
  machine.go("results");
  results.showDeleteButton(true);
  document.body.dataset.result = status.status;
}

export function resetProgress() {
  showRequestCode(null);
  updateQrNotice();
  waitStarted = 0;
  expectedSeconds = 0;
  estimate = null;
  ui.expected.hidden = true;
  I18N.setText(ui.statusText, null);
  setBar(0);
  setBusy(false);
}
