// Messages between the model viewer webview and the extension host.
import type { ModelInfo } from './modelInfo';

export type ToModelView = { readonly type: 'model'; readonly info: ModelInfo } | { readonly type: 'error'; readonly path: string; readonly message: string };

export type FromModelView = { readonly type: 'ready' };
