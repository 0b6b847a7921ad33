// QR codes drawn on a canvas with vendor/qrcode-generator (a classic script, window.qrcode); no network.

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

export function drawQr(canvas, text, targetPixels) {
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
