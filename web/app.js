// The booth page: camera → themes and consent → upload → progressive results with QR codes.
// Talks only to the photobooth API (CONTRACT.md): GET /themes, POST /upload, PUT UploadURL,
// GET /photo/{id}, DELETE /photo/{id}.
(function () {
  "use strict";

  const CONFIG = Object.assign(
    {
      apiBase: "",
      retentionDays: 7,
      pollTimeoutSeconds: 180,
      countdownSeconds: 3,
      idleResetSeconds: 180,
      mirror: true,
      qrLinks: "page",
      shareBaseUrl: "",
      boothKeyRequired: false,
    },
    window.PHOTOBOOTH_CONFIG || {}
  );
  const I18N = window.PhotoboothI18n;

  const POLL_FIRST_DELAY_MS = 500;
  const POLL_MAX_DELAY_MS = 3000;
  const POLL_GROWTH = 1.5;
  const TRANSIENT_FAILURES_ALLOWED = 5;
  const MAX_PHOTO_SIDE = 1600;
  const JPEG_QUALITY = 0.9;
  const TERMINAL = new Set(["SUCCEEDED", "PARTIAL", "FAILED"]);
  const KNOWN_CODES = new Set([
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
  // Errors about the photo itself: trying the same bytes again cannot help, so "retry" means a new photo.
  const NEEDS_NEW_PHOTO = new Set(["NO_FACE", "INVALID_IMAGE", "TOO_LARGE", "UNSUPPORTED_TYPE", "MODERATION_REJECTED"]);
  const REQUEST_ID = /^[A-Za-z0-9_-]{8,64}$/;

  const el = (id) => document.getElementById(id);
  const ui = {
    langToggle: el("lang-toggle"),
    fullscreen: el("fullscreen-button"),
    screens: {
      capture: el("screen-capture"),
      review: el("screen-review"),
      results: el("screen-results"),
      error: el("screen-error"),
      share: el("screen-share"),
    },
    video: el("camera-video"),
    cameraStatus: el("camera-status"),
    countdown: el("countdown"),
    flash: el("flash"),
    captureButton: el("capture-button"),
    fileInput: el("file-input"),
    fileButton: el("file-button"),
    reviewImage: el("review-image"),
    themeList: el("theme-list"),
    themeStatus: el("theme-status"),
    consent: el("consent-checkbox"),
    consentBox: el("consent-box"),
    consentDetails: el("consent-details"),
    reviewHint: el("review-hint"),
    uploadButton: el("upload-button"),
    retakeButton: el("retake-button"),
    statusText: el("status-text"),
    statusSpinner: el("status-spinner"),
    progressBar: el("progress-bar"),
    grid: el("results-grid"),
    errorMessage: el("error-message"),
    retryButton: el("retry-button"),
    retryLabel: el("retry-label"),
    sessionActions: el("session-actions"),
    deleteButton: el("delete-button"),
    deleteConfirm: el("delete-confirm"),
    deleteYes: el("delete-yes"),
    deleteNo: el("delete-no"),
    deleteConfirmation: el("delete-confirmation"),
    startOver: el("start-over-button"),
    shareStatus: el("share-status"),
    shareGrid: el("share-grid"),
    viewer: el("viewer"),
    viewerImage: el("viewer-image"),
    viewerQr: el("viewer-qr"),
    viewerTitle: el("viewer-title"),
    viewerClose: el("viewer-close"),
  };

  const state = {
    screen: "capture",
    stream: null,
    cameraStarting: null,
    countingDown: false,
    photo: null, // {blob, contentType, extension, objectUrl}
    themes: [], // [{name, label, default}]
    themesLoaded: false,
    selected: new Set(),
    requestId: null,
    requestThemes: [],
    run: 0, // bumped to cancel an upload/poll in flight
    lastError: null,
    idleTimer: null,
  };

  // ---------------------------------------------------------------- URLs and HTTP

  const ABSOLUTE = /^[a-z][a-z0-9+.-]*:/i;

  function apiUrl(path) {
    if (ABSOLUTE.test(path)) return path;
    const base = String(CONFIG.apiBase || "").replace(/\/+$/, "");
    return base + (path.startsWith("/") ? path : `/${path}`);
  }

  // Result URLs may be absolute (presigned) or relative to the API; a phone needs an absolute one.
  function absoluteUrl(url) {
    if (ABSOLUTE.test(url)) return url;
    return new URL(apiUrl(url), window.location.href).href;
  }

  class BoothError extends Error {
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

  // On AWS, starting work needs the booth key (the x-booth-key header). The operator types it once per pad; it stays
  // in this browser's storage. Visitors' phones only read and erase by request id, which needs no key.
  const BOOTH_KEY_STORAGE = "photobooth.boothKey";

  function boothKey(askAgain) {
    if (!CONFIG.boothKeyRequired) return "";
    let key = askAgain ? "" : window.localStorage.getItem(BOOTH_KEY_STORAGE) || "";
    if (!key) {
      key = String(window.prompt(I18N.t("setup.boothKey")) || "").trim();
      if (key) window.localStorage.setItem(BOOTH_KEY_STORAGE, key);
    }
    return key;
  }

  async function api(method, path, body, retried) {
    const options = { method, cache: "no-store", headers: {} };
    const key = method === "POST" ? boothKey(Boolean(retried)) : "";
    if (key) options.headers["x-booth-key"] = key;
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(apiUrl(path), options);
    } catch (err) {
      throw new BoothError("NETWORK", String(err && err.message ? err.message : err));
    }
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

  async function putBytes(url, contentType, blob) {
    let response;
    try {
      response = await fetch(absoluteUrl(url), {
        method: "PUT",
        headers: { "Content-Type": contentType },
        body: blob,
      });
    } catch (err) {
      throw new BoothError("NETWORK", String(err && err.message ? err.message : err));
    }
    if (!response.ok) {
      const text = await response.text().catch(() => "");
      if (response.status === 413 || /EntityTooLarge/.test(text)) throw new BoothError("TOO_LARGE", text, response.status);
      throw new BoothError(response.status >= 500 ? "INTERNAL" : "UNKNOWN", text, response.status);
    }
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // ---------------------------------------------------------------- screens

  function showScreen(name) {
    state.screen = name;
    Object.entries(ui.screens).forEach(([key, section]) => {
      section.hidden = key !== name;
    });
    document.body.dataset.screen = name;
    ui.sessionActions.hidden = !(name === "results" || name === "error" || name === "share");
    hideDeleteConfirm();
    armIdleTimer();
  }

  function focusFirst(selector) {
    const target = document.querySelector(selector);
    if (target && typeof target.focus === "function") target.focus({ preventScroll: true });
  }

  // ---------------------------------------------------------------- camera

  async function startCamera() {
    if (state.stream) return;
    if (state.cameraStarting) return state.cameraStarting;
    ui.captureButton.disabled = true;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      cameraUnavailable("capture.noCamera");
      return;
    }
    I18N.setText(ui.cameraStatus, "capture.starting");
    ui.cameraStatus.hidden = false;
    state.cameraStarting = (async () => {
      try {
        const stream = await navigator.mediaDevices.getUserMedia({
          video: { facingMode: "user", width: { ideal: 1920 }, height: { ideal: 1080 } },
          audio: false,
        });
        if (state.screen !== "capture" && state.screen !== "review") {
          stream.getTracks().forEach((track) => track.stop());
          return;
        }
        state.stream = stream;
        ui.video.srcObject = stream;
        await ui.video.play().catch(() => undefined);
        await videoReady();
        ui.cameraStatus.hidden = true;
        I18N.setText(ui.cameraStatus, null);
        document.body.classList.add("has-camera");
        ui.captureButton.disabled = false;
      } catch (err) {
        const blocked = err && (err.name === "NotAllowedError" || err.name === "SecurityError");
        cameraUnavailable(blocked ? "capture.denied" : "capture.noCamera");
      } finally {
        state.cameraStarting = null;
      }
    })();
    return state.cameraStarting;
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

  function cameraUnavailable(key) {
    document.body.classList.remove("has-camera");
    ui.captureButton.disabled = true;
    I18N.setText(ui.cameraStatus, key);
    ui.cameraStatus.hidden = false;
  }

  function stopCamera() {
    if (state.stream) state.stream.getTracks().forEach((track) => track.stop());
    state.stream = null;
    ui.video.srcObject = null;
    document.body.classList.remove("has-camera");
    ui.captureButton.disabled = true;
  }

  async function countdownAndCapture() {
    if (state.countingDown || !state.stream) return;
    state.countingDown = true;
    ui.captureButton.disabled = true;
    ui.fileButton.classList.add("is-disabled");
    ui.countdown.hidden = false;
    try {
      for (let n = Math.max(0, Math.round(CONFIG.countdownSeconds)); n > 0; n -= 1) {
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
      const blob = await frameToJpeg(ui.video, ui.video.videoWidth, ui.video.videoHeight, CONFIG.mirror);
      setPhoto(blob, "image/jpeg", "jpg");
      showReview();
    } catch (err) {
      showError(err instanceof BoothError ? err : new BoothError("INVALID_IMAGE", String(err)));
    } finally {
      state.countingDown = false;
      ui.countdown.hidden = true;
      ui.fileButton.classList.remove("is-disabled");
      ui.captureButton.disabled = !state.stream;
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
      showError(new BoothError("UNSUPPORTED_TYPE", file.type));
      return;
    }
    I18N.setText(ui.cameraStatus, "capture.reading");
    ui.cameraStatus.hidden = false;
    const objectUrl = URL.createObjectURL(file);
    try {
      const img = new Image();
      img.decoding = "async";
      img.src = objectUrl;
      await img.decode();
      const blob = await frameToJpeg(img, img.naturalWidth, img.naturalHeight, false);
      setPhoto(blob, "image/jpeg", "jpg");
      showReview();
    } catch (err) {
      showError(err instanceof BoothError ? err : new BoothError("INVALID_IMAGE", String(err)));
    } finally {
      URL.revokeObjectURL(objectUrl);
      ui.fileInput.value = "";
      if (state.stream) ui.cameraStatus.hidden = true;
      else if (state.screen === "capture") cameraUnavailable("capture.noCamera");
    }
  }

  function setPhoto(blob, contentType, extension) {
    if (state.photo && state.photo.objectUrl) URL.revokeObjectURL(state.photo.objectUrl);
    state.photo = { blob, contentType, extension, objectUrl: URL.createObjectURL(blob) };
  }

  // ---------------------------------------------------------------- themes, consent, review

  async function loadThemes() {
    I18N.setText(ui.themeStatus, "review.themesLoading");
    for (;;) {
      try {
        const themes = await api("GET", "/themes");
        if (!Array.isArray(themes)) throw new BoothError("INTERNAL", "themes is not a list");
        state.themes = themes.filter((theme) => theme && typeof theme.name === "string");
        state.themesLoaded = true;
        resetThemeSelection();
        renderThemes();
        I18N.setText(ui.themeStatus, null);
        updateUploadButton();
        return;
      } catch (err) {
        I18N.setText(ui.themeStatus, "review.themesFailed");
        await sleep(5000);
      }
    }
  }

  function resetThemeSelection() {
    state.selected = new Set(state.themes.filter((theme) => theme.default).map((theme) => theme.name));
    if (state.selected.size === 0 && state.themes.length) state.selected.add(state.themes[0].name);
  }

  function themeLabelKey(name) {
    return `theme.${name}`;
  }

  function themeLabel(name) {
    const key = themeLabelKey(name);
    if (I18N.has(key) || I18N.STRINGS.en[key]) return I18N.t(key);
    const theme = state.themes.find((item) => item.name === name);
    return (theme && theme.label) || name;
  }

  function renderThemes() {
    ui.themeList.textContent = "";
    state.themes.forEach((theme) => {
      const label = document.createElement("label");
      label.className = "theme-chip";
      label.dataset.testid = "theme-chip";
      label.dataset.theme = theme.name;
      const input = document.createElement("input");
      input.type = "checkbox";
      input.value = theme.name;
      input.checked = state.selected.has(theme.name);
      input.dataset.testid = "theme-option";
      input.dataset.theme = theme.name;
      input.addEventListener("change", () => {
        if (input.checked) state.selected.add(theme.name);
        else state.selected.delete(theme.name);
        updateUploadButton();
      });
      const swatch = document.createElement("span");
      swatch.className = `theme-swatch swatch-${theme.name.replace(/[^a-z0-9-]/gi, "")}`;
      swatch.setAttribute("aria-hidden", "true");
      const text = document.createElement("span");
      text.className = "theme-name";
      if (I18N.STRINGS.en[themeLabelKey(theme.name)]) I18N.setText(text, themeLabelKey(theme.name));
      else text.textContent = theme.label || theme.name;
      const check = document.createElement("span");
      check.className = "theme-check";
      check.setAttribute("aria-hidden", "true");
      label.append(input, swatch, text, check);
      ui.themeList.append(label);
    });
  }

  function selectedThemes() {
    // Keep the server's order so result i matches theme i.
    return state.themes.map((theme) => theme.name).filter((name) => state.selected.has(name));
  }

  function updateUploadButton() {
    const consent = ui.consent.checked;
    const themes = selectedThemes().length > 0;
    ui.uploadButton.disabled = !(consent && themes && state.photo && state.themesLoaded);
    ui.consentBox.classList.toggle("is-checked", consent);
    if (!consent) I18N.setText(ui.reviewHint, "review.needConsent");
    else if (state.themesLoaded && !themes) I18N.setText(ui.reviewHint, "review.needTheme");
    else I18N.setText(ui.reviewHint, "review.ready");
  }

  function showReview() {
    ui.reviewImage.src = state.photo.objectUrl;
    showScreen("review");
    updateUploadButton();
    focusFirst("#screen-review h2");
  }

  // ---------------------------------------------------------------- upload and polling

  async function startUpload() {
    if (ui.uploadButton.disabled || !ui.consent.checked || !state.photo) return;
    const themes = selectedThemes();
    if (!themes.length) return;
    const run = ++state.run;
    stopCamera();
    state.requestId = null;
    state.requestThemes = themes;
    ui.deleteButton.hidden = true;
    ui.deleteConfirmation.hidden = true;
    prepareResults(themes);
    showScreen("results");
    setBusy(true);
    I18N.setText(ui.statusText, "progress.uploading");
    setProgress(0.04);
    try {
      const ticket = await api("POST", "/upload", {
        type: "photo",
        filename: `booth_${timestamp()}.${state.photo.extension}`,
        contentType: state.photo.contentType,
        themes,
      });
      if (run !== state.run) return;
      if (!ticket || !ticket.UploadURL || !ticket.requestId) throw new BoothError("INTERNAL", "malformed /upload answer");
      state.requestId = ticket.requestId;
      document.body.dataset.requestId = ticket.requestId;
      await putBytes(ticket.UploadURL, ticket.ContentType || state.photo.contentType, state.photo.blob);
      if (run !== state.run) return;
      setProgress(0.12);
      I18N.setText(ui.statusText, "progress.waiting");
      await poll(ticket.statusUrl || `/photo/${encodeURIComponent(ticket.requestId)}`, run);
    } catch (err) {
      if (run !== state.run) return;
      showError(err instanceof BoothError ? err : new BoothError("UNKNOWN", String(err)));
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
    const deadline = Date.now() + CONFIG.pollTimeoutSeconds * 1000;
    let delay = POLL_FIRST_DELAY_MS;
    let failures = 0;
    for (;;) {
      let status = null;
      try {
        status = await api("GET", statusUrl);
        failures = 0;
      } catch (err) {
        if (!(err instanceof BoothError) || !err.transient || ++failures > TRANSIENT_FAILURES_ALLOWED) throw err;
      }
      if (run !== state.run) return;
      if (status) {
        renderStatus(status);
        if (TERMINAL.has(status.status)) {
          finish(status);
          return;
        }
      }
      if (Date.now() + delay > deadline) throw new BoothError("TIMEOUT");
      await sleep(delay);
      if (run !== state.run) return;
      delay = Math.min(POLL_MAX_DELAY_MS, delay * POLL_GROWTH);
    }
  }

  function imagesOf(status) {
    if (Array.isArray(status.images) && status.images.length) return status.images;
    // Older servers only list finished URLs; treat each as a finished image in order.
    const urls = Array.isArray(status.url_generated) ? status.url_generated : [];
    return urls.map((url, i) => ({ index: i + 1, theme: state.requestThemes[i], status: "SUCCEEDED", url }));
  }

  function renderStatus(status) {
    const images = imagesOf(status);
    images.forEach((image) => updateTile(image));
    const total = Math.max(state.requestThemes.length, images.length, 1);
    const done = images.filter((image) => image.status === "SUCCEEDED" || image.status === "FAILED").length;
    if (!TERMINAL.has(status.status)) {
      if (done > 0) I18N.setText(ui.statusText, "progress.counting", { done, total });
      else I18N.setText(ui.statusText, "progress.waiting");
      setProgress(0.12 + 0.88 * (done / total));
    }
  }

  function finish(status) {
    const images = imagesOf(status);
    const succeeded = images.filter((image) => image.status === "SUCCEEDED" && image.url);
    if (status.status === "FAILED" || succeeded.length === 0) {
      const code = (status.error && status.error.code) || firstImageError(images) || "GENERATION_FAILED";
      showError(new BoothError(KNOWN_CODES.has(code) ? code : "UNKNOWN", status.error && status.error.message));
      return;
    }
    // Anything still pending at a terminal status did not get made.
    ui.grid.querySelectorAll('.tile[data-status="PENDING"]').forEach((tile) => {
      updateTile({ index: Number(tile.dataset.index), theme: tile.dataset.theme, status: "FAILED" });
    });
    setBusy(false);
    setProgress(1);
    I18N.setText(ui.statusText, status.status === "PARTIAL" ? "results.partial" : "results.done");
    ui.deleteButton.hidden = false;
    document.body.dataset.result = status.status;
    armIdleTimer();
  }

  function firstImageError(images) {
    const failed = images.find((image) => image.error && image.error.code);
    return failed ? failed.error.code : null;
  }

  function setBusy(busy) {
    ui.statusSpinner.hidden = !busy;
    ui.screens.results.setAttribute("aria-busy", busy ? "true" : "false");
    document.body.classList.toggle("is-busy", busy);
  }

  function setProgress(fraction) {
    ui.progressBar.style.width = `${Math.round(Math.max(0, Math.min(1, fraction)) * 100)}%`;
  }

  // ---------------------------------------------------------------- result tiles

  function prepareResults(themes) {
    ui.grid.textContent = "";
    ui.grid.dataset.count = String(themes.length);
    themes.forEach((theme, i) => ui.grid.append(createTile(i + 1, theme)));
  }

  function createTile(index, theme) {
    const tile = document.createElement("article");
    tile.className = "tile";
    tile.dataset.testid = "result-tile";
    tile.dataset.index = String(index);
    tile.dataset.theme = theme || "";
    tile.dataset.status = "PENDING";

    const frame = document.createElement("div");
    frame.className = "tile-frame";
    const placeholder = document.createElement("div");
    placeholder.className = "tile-placeholder";
    placeholder.dataset.testid = "result-pending";
    const spinner = document.createElement("span");
    spinner.className = "spinner";
    spinner.setAttribute("aria-hidden", "true");
    const pendingText = document.createElement("span");
    I18N.setText(pendingText, "result.pending");
    placeholder.append(spinner, pendingText);
    frame.append(placeholder);

    const footer = document.createElement("div");
    footer.className = "tile-footer";
    const caption = document.createElement("div");
    caption.className = "tile-caption";
    const name = document.createElement("h3");
    name.className = "tile-title";
    setThemeText(name, theme);
    const note = document.createElement("p");
    note.className = "tile-note muted";
    caption.append(name, note);
    footer.append(caption);

    tile.append(frame, footer);
    return tile;
  }

  function setThemeText(node, theme) {
    if (theme && I18N.STRINGS.en[themeLabelKey(theme)]) I18N.setText(node, themeLabelKey(theme));
    else node.textContent = themeLabel(theme || "");
  }

  function tileFor(image) {
    let tile = ui.grid.querySelector(`.tile[data-index="${Number(image.index)}"]`);
    if (!tile) {
      tile = createTile(Number(image.index), image.theme);
      ui.grid.append(tile);
    }
    return tile;
  }

  function updateTile(image) {
    const tile = tileFor(image);
    if (image.theme && tile.dataset.theme !== image.theme) {
      tile.dataset.theme = image.theme;
      setThemeText(tile.querySelector(".tile-title"), image.theme);
    }
    if (image.status === "SUCCEEDED" && image.url) showImage(tile, image);
    else if (image.status === "FAILED") showFailure(tile, image);
  }

  function showImage(tile, image) {
    // Presigned URLs change on every poll; load each picture once.
    if (tile.dataset.status === "SUCCEEDED" || tile.dataset.status === "LOADING") return;
    tile.dataset.status = "LOADING";
    const url = absoluteUrl(image.url);
    const themeName = tile.dataset.theme;
    const frame = tile.querySelector(".tile-frame");
    const img = document.createElement("img");
    img.className = "result-image";
    img.dataset.testid = "result-image";
    img.decoding = "async";
    I18N.setAttr(img, "alt", "result.alt", { theme: themeLabel(themeName) });
    let attempts = 0;
    img.addEventListener("load", () => {
      tile.dataset.status = "SUCCEEDED";
      if (img.naturalWidth && img.naturalHeight) frame.style.aspectRatio = `${img.naturalWidth} / ${img.naturalHeight}`;
      const placeholder = frame.querySelector(".tile-placeholder");
      if (placeholder) placeholder.remove();
      img.classList.add("is-loaded");
    });
    img.addEventListener("error", () => {
      // The object can show up in the listing a moment before it is readable; try a couple of times.
      if (++attempts <= 3) setTimeout(() => (img.src = url), 700 * attempts);
      else showFailure(tile, { status: "FAILED" }, true);
    });
    img.src = url;
    frame.append(img);

    const button = document.createElement("button");
    button.type = "button";
    button.className = "tile-enlarge";
    button.dataset.testid = "result-open";
    I18N.setAttr(button, "aria-label", "result.enlarge");
    const link = qrTarget(url, Number(tile.dataset.index));
    button.addEventListener("click", () => openViewer(url, link, themeName));
    frame.append(button);

    addQr(tile, link, url, themeName);
  }

  // The phone link for picture `index`: a short page link by default (see config.js), else the picture's URL.
  function qrTarget(pictureUrl, index) {
    if (CONFIG.qrLinks === "direct" || !state.requestId) return pictureUrl;
    return shareLink(state.requestId, index);
  }

  function shareLink(requestId, index) {
    const link = new URL(CONFIG.shareBaseUrl || window.location.pathname, window.location.href);
    link.search = "";
    link.hash = "";
    link.searchParams.set("photo", requestId);
    link.searchParams.set("image", String(index));
    return link.href;
  }

  function addQr(tile, url, pictureUrl, themeName) {
    const footer = tile.querySelector(".tile-footer");
    if (footer.querySelector(".qr-box")) return;
    const box = document.createElement("div");
    box.className = "qr-box";
    const canvas = document.createElement("canvas");
    canvas.className = "qr";
    canvas.dataset.testid = "result-qr";
    canvas.dataset.url = url;
    canvas.dataset.picture = pictureUrl;
    canvas.setAttribute("role", "img");
    I18N.setAttr(canvas, "aria-label", "result.qrLabel", { theme: themeLabel(themeName) });
    const note = tile.querySelector(".tile-note");
    if (drawQr(canvas, url, 240)) {
      box.append(canvas);
      footer.append(box);
      I18N.setText(note, "result.scan");
    } else {
      I18N.setText(note, "result.tooLong");
    }
  }

  function showFailure(tile, image, loadError) {
    if (tile.dataset.status === "FAILED") return;
    if (tile.dataset.status === "SUCCEEDED" && !loadError) return;
    tile.dataset.status = "FAILED";
    const frame = tile.querySelector(".tile-frame");
    frame.textContent = "";
    frame.style.aspectRatio = "";
    const failure = document.createElement("div");
    failure.className = "tile-failed";
    failure.dataset.testid = "result-failed";
    const icon = document.createElement("span");
    icon.className = "tile-failed-icon";
    icon.setAttribute("aria-hidden", "true");
    icon.textContent = "!";
    const text = document.createElement("span");
    I18N.setText(text, "result.failed");
    failure.append(icon, text);
    frame.append(failure);
    const code = image.error && image.error.code;
    const note = tile.querySelector(".tile-note");
    if (code && KNOWN_CODES.has(code)) I18N.setText(note, `error.${code}`);
    const qr = tile.querySelector(".qr-box");
    if (qr) qr.remove();
  }

  // ---------------------------------------------------------------- QR codes (vendor/qrcode-generator, no network)

  function makeQr(text) {
    if (typeof window.qrcode !== "function") return null;
    for (const level of ["M", "L"]) {
      try {
        const qr = window.qrcode(0, level);
        qr.addData(text, "Byte");
        qr.make();
        return qr;
      } catch (err) {
        // Too long for this error-correction level; try the next one.
      }
    }
    return null;
  }

  function drawQr(canvas, text, targetPixels) {
    const qr = makeQr(text);
    if (!qr) return false;
    const quiet = 4;
    const modules = qr.getModuleCount();
    const cell = Math.max(2, Math.ceil(targetPixels / (modules + 2 * quiet)));
    const size = (modules + 2 * quiet) * cell;
    canvas.width = size;
    canvas.height = size;
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, size, size);
    ctx.fillStyle = "#000000";
    for (let row = 0; row < modules; row += 1) {
      for (let col = 0; col < modules; col += 1) {
        if (qr.isDark(row, col)) ctx.fillRect((col + quiet) * cell, (row + quiet) * cell, cell, cell);
      }
    }
    canvas.dataset.modules = String(modules);
    return true;
  }

  // ---------------------------------------------------------------- viewer

  function openViewer(pictureUrl, link, themeName) {
    ui.viewerImage.src = pictureUrl;
    I18N.setAttr(ui.viewerImage, "alt", "result.alt", { theme: themeLabel(themeName) });
    setThemeText(ui.viewerTitle, themeName);
    drawQr(ui.viewerQr, link, 480);
    I18N.setAttr(ui.viewerQr, "aria-label", "result.qrLabel", { theme: themeLabel(themeName) });
    if (typeof ui.viewer.showModal === "function") ui.viewer.showModal();
    else ui.viewer.setAttribute("open", "");
  }

  function closeViewer() {
    if (typeof ui.viewer.close === "function" && ui.viewer.open) ui.viewer.close();
    else ui.viewer.removeAttribute("open");
  }

  // ---------------------------------------------------------------- errors

  function showError(err) {
    const code = KNOWN_CODES.has(err.code) ? err.code : "UNKNOWN";
    state.lastError = code;
    setBusy(false);
    stopCamera();
    const vars = code === "REQUEST_REJECTED" ? { message: err.detail || "" } : undefined;
    I18N.setText(ui.errorMessage, `error.${code}`, vars);
    ui.errorMessage.dataset.code = code;
    document.body.dataset.errorCode = code;
    const newPhoto = NEEDS_NEW_PHOTO.has(code) || !state.photo;
    I18N.setText(ui.retryLabel, newPhoto ? "actions.retake" : "actions.retry");
    ui.retryButton.dataset.action = newPhoto ? "retake" : "resend";
    ui.deleteButton.hidden = !state.requestId;
    ui.deleteConfirmation.hidden = true;
    showScreen("error");
    focusFirst("#retry-button");
  }

  function retry() {
    if (ui.retryButton.dataset.action === "resend" && state.photo && ui.consent.checked) {
      startUpload();
    } else {
      goToCamera();
    }
  }

  // ---------------------------------------------------------------- delete

  function showDeleteConfirm() {
    ui.deleteConfirm.hidden = false;
    ui.deleteButton.hidden = true;
    focusFirst("#delete-no");
  }

  function hideDeleteConfirm() {
    ui.deleteConfirm.hidden = true;
  }

  async function deletePhotos() {
    const requestId = state.requestId;
    if (!requestId) return;
    ui.deleteYes.disabled = true;
    I18N.setText(ui.deleteConfirmation, "actions.deleting");
    ui.deleteConfirmation.hidden = false;
    try {
      await api("DELETE", `/photo/${encodeURIComponent(requestId)}`);
      deleted(requestId);
    } catch (err) {
      if (err instanceof BoothError && err.httpStatus === 404) {
        deleted(requestId);
      } else {
        I18N.setText(ui.deleteConfirmation, "actions.deleteFailed");
        ui.deleteConfirm.hidden = true;
        ui.deleteButton.hidden = false;
      }
    } finally {
      ui.deleteYes.disabled = false;
    }
  }

  function deleted(requestId) {
    state.requestId = null;
    delete document.body.dataset.requestId;
    ui.deleteConfirm.hidden = true;
    ui.deleteButton.hidden = true;
    ui.grid.textContent = "";
    ui.shareGrid.textContent = "";
    I18N.setText(ui.shareStatus, null);
    state.run += 1;
    closeViewer();
    if (state.screen === "results") {
      setBusy(false);
      I18N.setText(ui.statusText, null);
      setProgress(0);
    }
    I18N.setText(ui.deleteConfirmation, "actions.deleted");
    ui.deleteConfirmation.hidden = false;
    document.body.dataset.deleted = requestId;
    focusFirst("#start-over-button");
  }

  // ---------------------------------------------------------------- shared pictures (the visitor's phone)

  async function showShared(requestId, chosenIndex) {
    document.body.dataset.mode = "share";
    ui.fullscreen.hidden = true;
    state.requestId = requestId;
    document.body.dataset.requestId = requestId;
    showScreen("share");
    ui.deleteButton.hidden = true;
    I18N.setText(ui.shareStatus, "share.loading");
    const run = ++state.run;
    const deadline = Date.now() + CONFIG.pollTimeoutSeconds * 1000;
    let delay = POLL_FIRST_DELAY_MS;
    for (;;) {
      let status = null;
      try {
        status = await api("GET", `/photo/${encodeURIComponent(requestId)}`);
      } catch (err) {
        if (run !== state.run) return;
        if (err instanceof BoothError && (err.httpStatus === 404 || err.httpStatus === 400)) {
          I18N.setText(ui.shareStatus, "share.gone");
          ui.deleteButton.hidden = true;
          document.body.dataset.shareGone = "true";
          return;
        }
        if (!(err instanceof BoothError) || !err.transient) throw err;
      }
      if (run !== state.run) return;
      if (status) {
        ui.deleteButton.hidden = false;
        renderShared(status, chosenIndex);
        if (TERMINAL.has(status.status)) {
          const any = ui.shareGrid.querySelector("[data-testid=share-image]");
          I18N.setText(ui.shareStatus, any ? "share.ready" : "share.gone");
          document.body.dataset.shareReady = "true";
          return;
        }
        I18N.setText(ui.shareStatus, "share.pending");
      }
      if (Date.now() > deadline) return;
      await sleep(delay);
      delay = Math.min(POLL_MAX_DELAY_MS, delay * POLL_GROWTH);
    }
  }

  function renderShared(status, chosenIndex) {
    const images = imagesOf(status)
      .filter((image) => image.status === "SUCCEEDED" && image.url)
      .sort((a, b) => (b.index === chosenIndex) - (a.index === chosenIndex) || a.index - b.index);
    images.forEach((image) => {
      if (ui.shareGrid.querySelector(`[data-index="${Number(image.index)}"]`)) return;
      const url = absoluteUrl(image.url);
      const item = document.createElement("figure");
      item.className = "share-item";
      item.dataset.index = String(image.index);
      const img = document.createElement("img");
      img.dataset.testid = "share-image";
      img.src = url;
      I18N.setAttr(img, "alt", "result.alt", { theme: themeLabel(image.theme || "") });
      const caption = document.createElement("figcaption");
      const title = document.createElement("span");
      title.className = "tile-title";
      setThemeText(title, image.theme || "");
      const save = document.createElement("a");
      save.className = "btn btn-primary";
      save.dataset.testid = "share-save";
      save.href = url;
      save.target = "_blank";
      save.rel = "noopener";
      save.download = `photobooth_${image.index}.jpeg`;
      I18N.setText(save, "share.save");
      caption.append(title, save);
      item.append(img, caption);
      if (image.index === chosenIndex) ui.shareGrid.prepend(item);
      else ui.shareGrid.append(item);
    });
  }

  // ---------------------------------------------------------------- navigation

  function goToCamera() {
    state.run += 1;
    closeViewer();
    showScreen("capture");
    startCamera();
  }

  // A new visitor: nothing of the previous one stays on screen, and consent is asked again.
  function startOver() {
    state.run += 1;
    closeViewer();
    if (state.photo && state.photo.objectUrl) URL.revokeObjectURL(state.photo.objectUrl);
    state.photo = null;
    state.requestId = null;
    state.requestThemes = [];
    state.lastError = null;
    ui.reviewImage.removeAttribute("src");
    ui.consent.checked = false;
    ui.grid.textContent = "";
    ui.deleteConfirmation.hidden = true;
    ui.deleteButton.hidden = true;
    ["requestId", "result", "errorCode", "deleted"].forEach((key) => delete document.body.dataset[key]);
    resetThemeSelection();
    renderThemes();
    updateUploadButton();
    setBusy(false);
    goToCamera();
  }

  function armIdleTimer() {
    clearTimeout(state.idleTimer);
    const seconds = Number(CONFIG.idleResetSeconds) || 0;
    const idleScreens = state.screen === "error" || (state.screen === "results" && !document.body.classList.contains("is-busy"));
    if (seconds > 0 && idleScreens) state.idleTimer = setTimeout(startOver, seconds * 1000);
  }

  // ---------------------------------------------------------------- full screen and language

  function updateFullscreenButton() {
    const active = Boolean(document.fullscreenElement);
    I18N.setText(ui.fullscreen, active ? "fullscreen.exit" : "fullscreen.enter");
    ui.fullscreen.setAttribute("aria-pressed", active ? "true" : "false");
  }

  async function toggleFullscreen() {
    try {
      if (document.fullscreenElement) await document.exitFullscreen();
      else await document.documentElement.requestFullscreen({ navigationUI: "hide" });
    } catch (err) {
      // Some kiosks forbid it; the page works the same without.
    }
  }

  function toggleLanguage() {
    const languages = I18N.LANGUAGES;
    const next = languages[(languages.indexOf(I18N.language) + 1) % languages.length];
    I18N.setLanguage(next);
  }

  // ---------------------------------------------------------------- wiring

  function init() {
    I18N.setText(ui.consentDetails, "review.consentDetails", { days: CONFIG.retentionDays });
    I18N.setLanguage(I18N.detect());
    if (!CONFIG.mirror) document.body.dataset.noMirror = "true";
    if (!document.fullscreenEnabled) ui.fullscreen.hidden = true;
    updateFullscreenButton();

    ui.langToggle.addEventListener("click", toggleLanguage);
    ui.fullscreen.addEventListener("click", toggleFullscreen);
    document.addEventListener("fullscreenchange", updateFullscreenButton);

    ui.captureButton.addEventListener("click", countdownAndCapture);
    ui.fileInput.addEventListener("change", () => useFile(ui.fileInput.files && ui.fileInput.files[0]));
    ui.fileButton.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        ui.fileInput.click();
      }
    });

    ui.consent.addEventListener("change", updateUploadButton);
    ui.uploadButton.addEventListener("click", startUpload);
    ui.retakeButton.addEventListener("click", goToCamera);

    ui.retryButton.addEventListener("click", retry);
    ui.startOver.addEventListener("click", startOver);
    ui.deleteButton.addEventListener("click", showDeleteConfirm);
    ui.deleteNo.addEventListener("click", () => {
      hideDeleteConfirm();
      ui.deleteButton.hidden = false;
    });
    ui.deleteYes.addEventListener("click", deletePhotos);

    ui.viewerClose.addEventListener("click", closeViewer);
    ui.viewer.addEventListener("click", (event) => {
      if (event.target === ui.viewer) closeViewer();
    });

    ["pointerdown", "keydown"].forEach((type) => document.addEventListener(type, armIdleTimer, { passive: true }));

    const params = new URLSearchParams(window.location.search);
    const shared = params.get("photo");
    if (shared && REQUEST_ID.test(shared)) {
      showShared(shared, Number(params.get("image")) || 1);
      document.body.dataset.ready = "true";
      return;
    }

    showScreen("capture");
    updateUploadButton();
    loadThemes();
    startCamera();
    document.body.dataset.ready = "true";
  }

  init();
})();
