// Entry of dist/lazy/openai.js: the SDK in its own bundle, required on the first request to an
// OpenAI-compatible endpoint so activation never pays for it (docs/architecture.md, "Lazy loading").
export { default as OpenAI } from 'openai';
