// Entry of dist/lazy/anthropic.js: the SDK in its own bundle, required on the first chat
// request so activation never pays for it (docs/architecture.md, "Lazy loading").
export { default as Anthropic } from '@anthropic-ai/sdk';
