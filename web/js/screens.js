// The screens and their timers, in one place.
//
// Each screen names its DOM section and its idle timeout (a key of settings().timeouts, or null for none). The
// rule "a timer runs only when the booth is idle" lives here and nowhere else:
// - "progress" (a request being made), "attract", "phone" and "wall" have no idle timeout at all;
// - hold(reason) pauses the idle timer (the capture countdown holds it), release(reason) resumes it;
// - every(ms, fn) and after(ms, fn) are timers that belong to the current screen and stop when it is left.
// The idle timer restarts on any touch or key press; in its last seconds it shows "Back to start in N s".
import I18N from "./i18n.js";
import { settings } from "./settings.js";

export const SCREENS = {
  attract: { section: "screen-attract", idle: null },
  camera: { section: "screen-capture", idle: "camera" },
  review: { section: "screen-review", idle: "review" },
  progress: { section: "screen-results", idle: null, sessionActions: true },
  results: { section: "screen-results", idle: "results", sessionActions: true },
  error: { section: "screen-error", idle: "error", sessionActions: true },
  phone: { section: "screen-share", idle: null, sessionActions: true },
  kiosk: { section: "screen-kiosk", idle: "kiosk" },
};

const TICK_MS = 250;

export function createScreens({ onIdle }) {
  const notice = document.getElementById("idle-notice");
  const leaveHooks = {};
  const enterHooks = {};
  const holds = new Set();
  let current = null;
  let screenTimers = [];
  let idleDeadline = 0;
  let idleTicker = null;

  function idleSeconds() {
    const key = current && SCREENS[current].idle;
    if (!key) return 0;
    return Math.max(0, Number(settings().timeouts[key]) || 0);
  }

  function disarm() {
    clearInterval(idleTicker);
    idleTicker = null;
    idleDeadline = 0;
    notice.hidden = true;
    delete notice.dataset.n;
    I18N.setText(notice, null);
    document.body.dataset.idleArmed = "false";
  }

  function arm() {
    disarm();
    const seconds = idleSeconds();
    if (seconds <= 0 || holds.size > 0) return;
    idleDeadline = Date.now() + seconds * 1000;
    document.body.dataset.idleArmed = "true";
    idleTicker = setInterval(tick, TICK_MS);
    tick();
  }

  function tick() {
    const left = Math.ceil((idleDeadline - Date.now()) / 1000);
    if (left <= 0) {
      disarm();
      onIdle(current);
      return;
    }
    const window = Number(settings().idleNoticeSeconds) || 0;
    if (left <= window) {
      if (notice.dataset.n !== String(left)) {
        notice.dataset.n = String(left);
        I18N.setText(notice, "idle.notice", { n: left });
      }
      notice.hidden = false;
    } else {
      notice.hidden = true;
    }
  }

  function clearScreenTimers() {
    screenTimers.forEach((timer) => (timer.repeat ? clearInterval(timer.id) : clearTimeout(timer.id)));
    screenTimers = [];
  }

  function focusHeading(section) {
    const heading = section.querySelector("h2");
    if (heading && typeof heading.focus === "function") heading.focus({ preventScroll: true });
  }

  function go(name, options) {
    const screen = SCREENS[name];
    if (!screen) throw new Error(`no screen ${name}`);
    const previous = current;
    if (previous && previous !== name) (leaveHooks[previous] || []).forEach((fn) => fn(name));
    clearScreenTimers();
    holds.clear();
    current = name;
    const sectionId = screen.section;
    Object.values(SCREENS).forEach((other) => {
      document.getElementById(other.section).hidden = other.section !== sectionId;
    });
    document.body.dataset.screen = name;
    document.getElementById("session-actions").hidden = !screen.sessionActions;
    (enterHooks[name] || []).forEach((fn) => fn(previous));
    arm();
    if (!(options && options.focus === false)) focusHeading(document.getElementById(sectionId));
  }

  function touch() {
    if (idleDeadline) arm();
  }

  ["pointerdown", "keydown"].forEach((type) => document.addEventListener(type, touch, { passive: true }));

  return {
    go,
    get current() {
      return current;
    },
    onEnter(name, fn) {
      (enterHooks[name] = enterHooks[name] || []).push(fn);
    },
    onLeave(name, fn) {
      (leaveHooks[name] = leaveHooks[name] || []).push(fn);
    },
    hold(reason) {
      holds.add(reason);
      disarm();
    },
    release(reason) {
      holds.delete(reason);
      if (holds.size === 0 && !idleDeadline) arm();
    },
    rearm: arm,
    every(ms, fn) {
      screenTimers.push({ id: setInterval(fn, ms), repeat: true });
    },
    after(ms, fn) {
      screenTimers.push({ id: setTimeout(fn, ms), repeat: false });
    },
  };
}
