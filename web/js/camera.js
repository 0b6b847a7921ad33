// The camera screen: live preview, countdown, capture; or a chosen file. The camera runs only on this screen and
// the review screen (for a quick retake); every other screen turns it off.
import { BoothError, sleep } from "./api.js";
import I18N from "./i18n.js";
import { session, setPhoto } from "./session.js";
import { settings } from "./settings.js";

const MAX_PHOTO_SIDE = 1600;
const JPEG_QUALITY = 0.9;
const el = (id) => document.getElementById(id);

let machine = null;
let onPhoto = null;
let onError = null;
let stream = null;
let starting = null;
let countingDown = false;

const ui = {};

export function init(screens, handlers) {
  machine = screens;
  ({ onPhoto, onError } = handlers);
  Object.assign(ui, {
    video: el("camera-video"),
    status: el("camera-status"),
    countdown: el("countdown"),
    flash: el("flash"),
    captureButton: el("capture-button"),
    fileInput: el("file-input"),
    fileButton: el("file-button"),
  });
  ui.captureButton.addEventListener("click", countdownAndCapture);
  ui.fileInput.addEventListener("change", () => useFile(ui.fileInput.files && ui.fileInput.files[0]));
  ui.fileButton.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      ui.fileInput.click();
    }
  });
  machine.onEnter("camera", () => startCamera());
  ["attract", "progress", "results", "error", "phone", "kiosk"].forEach((name) =>
    machine.onEnter(name, () => stopCamera())
  );
}

export async function startCamera() {
  if (stream) return;
  if (starting) return starting;
  ui.captureButton.disabled = true;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    unavailable("capture.noCamera");
    return;
  }
  I18N.setText(ui.status, "capture.starting");
  ui.status.hidden = false;
  starting = (async () => {
    try {
      const opened = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "user", width: { ideal: 1920 }, height: { ideal: 1080 } },
        audio: false,
      });
      if (machine.current !== "camera" && machine.current !== "review") {
        opened.getTracks().forEach((track) => track.stop());
        return;
      }
      stream = opened;
      ui.video.srcObject = stream;
      await ui.video.play().catch(() => undefined);
      await videoReady();
      ui.status.hidden = true;
      I18N.setText(ui.status, null);
      document.body.classList.add("has-camera");
      ui.captureButton.disabled = false;
    } catch (err) {
      const blocked = err && (err.name === "NotAllowedError" || err.name === "SecurityError");
      unavailable(blocked ? "capture.denied" : "capture.noCamera");
    } finally {
      starting = null;
    }
  })();
  return starting;
}

function videoReady() {
  if (ui.video.videoWidth > 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      ui.video.removeEventListener("loadedmetadata", done);
      resolve();
    };
    ui.video.addEventListener("loadedmetadata", done);
    setTimeout(done, 5000);
  });
}

function unavailable(key) {
  document.body.classList.remove("has-camera");
  ui.captureButton.disabled = true;
  I18N.setText(ui.status, key);
  ui.status.hidden = false;
}

export function stopCamera() {
  if (stream) stream.getTracks().forEach((track) => track.stop());
  stream = null;
  ui.video.srcObject = null;
  document.body.classList.remove("has-camera");
  ui.captureButton.disabled = true;
}

export const cameraIsOn = () => Boolean(stream);

async function countdownAndCapture() {
  if (countingDown || !stream) return;
  countingDown = true;
  machine.hold("countdown"); // nobody walks away mid-countdown; the idle timer waits
  ui.captureButton.disabled = true;
  ui.fileButton.classList.add("is-disabled");
  ui.countdown.hidden = false;
  try {
    for (let n = Math.max(0, Math.round(settings().countdownSeconds)); n > 0; n -= 1) {
      ui.countdown.textContent = String(n);
      ui.countdown.setAttribute("aria-label", I18N.t("capture.countdown", { n }));
      ui.countdown.classList.remove("tick");
      void ui.countdown.offsetWidth; // restart the CSS animation
      ui.countdown.classList.add("tick");
      await sleep(1000);
    }
    ui.countdown.hidden = true;
    ui.flash.classList.remove("go");
    void ui.flash.offsetWidth;
    ui.flash.classList.add("go");
    const blob = await frameToJpeg(ui.video, ui.video.videoWidth, ui.video.videoHeight, settings().mirror);
    setPhoto(blob, "image/jpeg", "jpg");
    onPhoto();
  } catch (err) {
    onError(err instanceof BoothError ? err : new BoothError("INVALID_IMAGE", String(err)));
  } finally {
    countingDown = false;
    machine.release("countdown");
    ui.countdown.hidden = true;
    ui.fileButton.classList.remove("is-disabled");
    ui.captureButton.disabled = !stream;
  }
}

function frameToJpeg(source, width, height, mirror) {
  if (!width || !height) return Promise.reject(new BoothError("INVALID_IMAGE", "empty frame"));
  const scale = Math.min(1, MAX_PHOTO_SIDE / Math.max(width, height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const ctx = canvas.getContext("2d");
  if (mirror) {
    ctx.translate(canvas.width, 0);
    ctx.scale(-1, 1);
  }
  ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve, reject) => {
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new BoothError("INVALID_IMAGE", "toBlob failed"))),
      "image/jpeg",
      JPEG_QUALITY
    );
  });
}

// A picked file is decoded and re-encoded: this applies EXIF rotation, shrinks phone-sized photos under the
// upload limit and turns PNG into JPEG.
async function useFile(file) {
  if (!file) return;
  if (file.type && !/^image\/(jpeg|png)$/.test(file.type)) {
    onError(new BoothError("UNSUPPORTED_TYPE", file.type));
    return;
  }
  I18N.setText(ui.status, "capture.reading");
  ui.status.hidden = false;
  const objectUrl = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.decoding = "async";
    img.src = objectUrl;
    await img.decode();
    const blob = await frameToJpeg(img, img.naturalWidth, img.naturalHeight, false);
    setPhoto(blob, "image/jpeg", "jpg");
    onPhoto();
  } catch (err) {
    onError(err instanceof BoothError ? err : new BoothError("INVALID_IMAGE", String(err)));
  } finally {
    URL.revokeObjectURL(objectUrl);
    ui.fileInput.value = "";
    if (stream) ui.status.hidden = true;
    else if (machine.current === "camera") unavailable("capture.noCamera");
  }
}

export function hasPhoto() {
  return Boolean(session.photo);
}
