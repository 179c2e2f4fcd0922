// Entry of dist/lazy/ort.js: onnxruntime-web (WebAssembly, CPU) in its own bundle beside its .wasm,
// required when a model is benchmarked or an optimized model is compared, never at activation.
// The WebAssembly build runs everywhere Node runs: no native binary per platform, no CUDA download.
export * as ort from 'onnxruntime-web';
