// Registers tfjs's `wasm` backend and points it at its binaries as Vite serves them from this
// origin (hashed build assets): the backend never fetches them from a CDN.
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import plain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

setWasmPaths({
  'tfjs-backend-wasm.wasm': new URL(plain, self.location.href).href,
  'tfjs-backend-wasm-simd.wasm': new URL(simd, self.location.href).href,
  'tfjs-backend-wasm-threaded-simd.wasm': new URL(threadedSimd, self.location.href).href,
});
