// The honest wait (issue 20): how long until this visitor's pictures, as the server estimates it from the queue
// ahead and the image models' pace, instead of a fixed promise. POST /upload and GET /photo/{id} answer
// `expectedReadyAt` (ISO-8601 UTC) and `queueAhead` (CONTRACT.md) while a request waits; a server without them
// (older) leaves the page with its own estimate from this pad's recent requests (progress.js).
//
// `expectedReadyAt` is a moment of the server's clock, and a pad's clock may be minutes off. The time left is
// therefore counted on the server's clock as the last answer's HTTP `Date` header showed it (api.js, serverNow):
// the header's second, placed in the middle of that request's round trip. Without a readable `Date` (a cross-origin
// API that does not expose it) the pad's own clock is all there is.
import { serverNow } from "./api.js";

// Under this many seconds "less than a minute"; above, whole minutes rounded to the nearest.
const UNDER_A_MINUTE_S = 50;

// { seconds, ahead, readyAt } from an answer that carries the estimate, or null (absent, or not what the contract
// says: a date that does not parse, a count that is not a whole number >= 0).
export function estimateOf(answer, now = serverNow()) {
  if (!answer || typeof answer.expectedReadyAt !== "string") return null;
  const readyAt = Date.parse(answer.expectedReadyAt);
  const ahead = answer.queueAhead;
  if (!Number.isFinite(readyAt) || !Number.isInteger(ahead) || ahead < 0) return null;
  return { seconds: Math.max(0, (readyAt - now) / 1000), ahead, readyAt };
}

// The i18n keys and placeholders of "Ready in about 2 minutes — 6 visitors ahead", for the seconds left now.
export function waitPhrase(seconds, ahead) {
  const minutes = Math.max(1, Math.round(seconds / 60));
  const time =
    seconds < UNDER_A_MINUTE_S ? "wait.underAMinute" : minutes === 1 ? "wait.aboutAMinute" : "wait.aboutMinutes";
  const queue = ahead === 0 ? "wait.noOneAhead" : ahead === 1 ? "wait.oneAhead" : "wait.manyAhead";
  return { time, queue, vars: { m: minutes, n: ahead } };
}

// The seconds left on the server's clock, now, for an estimate read earlier.
export function secondsLeft(estimate, now = serverNow()) {
  return Math.max(0, (estimate.readyAt - now) / 1000);
}
