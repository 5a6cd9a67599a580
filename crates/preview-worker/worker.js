// The restore preview's Web Worker (crates/preview-worker): loads its wasm module, then answers
// each message { request, file } from the page with progress numbers and one JSON string.
import init, { answer } from "./tt-preview.js";

const ready = init();

self.onmessage = async (event) => {
  try {
    await ready;
    self.postMessage(answer(event.data.file, event.data.request));
  } catch (err) {
    self.postMessage(JSON.stringify({ Err: { field: null, message: `The preview could not run in this browser: ${err}` } }));
  }
};
