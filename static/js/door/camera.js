// The phone's camera: reads badges' QR codes with jsQR (the vendored classic script's global, window.jsQR).
import { $ } from "./page.js";

const FRAME_MS = 120; // about 8 looks a second
const READ_AGAIN_MS = 4000;

let stream = null, lastCode = "", lastAt = 0;
let onBadge = () => {};

// The "Scan with camera" button: each badge read goes to onCode.
export function offerCamera(onCode) {
  onBadge = onCode;
  $("camera-toggle").addEventListener("click", () => { if (stream) stopCamera(); else startCamera(); });
}

function startCamera() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    $("camera-status").textContent = "This browser cannot use the camera here (it needs https).";
    $("camera").hidden = false;
    return;
  }
  navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then((s) => {
    stream = s;
    const video = $("camera-video");
    video.srcObject = s;
    video.play();
    $("camera").hidden = false;
    $("camera-toggle").textContent = "Stop camera";
    requestAnimationFrame(lookForBadge);
  }).catch((error) => {
    $("camera").hidden = false;
    $("camera-status").textContent = "No camera: " + error.message;
  });
}

function stopCamera() {
  stream.getTracks().forEach((t) => t.stop());
  stream = null;
  $("camera").hidden = true;
  $("camera-toggle").textContent = "Scan with camera";
}

function lookForBadge() {
  if (!stream) return;
  const video = $("camera-video"), canvas = $("camera-canvas");
  if (video.readyState === video.HAVE_ENOUGH_DATA && window.jsQR) {
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const image = context.getImageData(0, 0, canvas.width, canvas.height);
    const found = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    const now = Date.now();
    // The same badge stays in view for a moment: read it once, not thirty times a second.
    if (found && found.data && (found.data !== lastCode || now - lastAt > READ_AGAIN_MS)) {
      lastCode = found.data;
      lastAt = now;
      onBadge(found.data);
    }
  }
  setTimeout(() => requestAnimationFrame(lookForBadge), FRAME_MS);
}
