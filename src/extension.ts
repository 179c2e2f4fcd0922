// activate() registers what package.json contributes and returns: each feature's code is loaded
// the first time it is used (src/activation/, docs/architecture.md "Lazy loading").
import vscode = require('vscode');
import { scheduleAutoLoads } from './activation/autoLoads';
import { Features } from './activation/features';
import { registerMcpServers } from './activation/mcpServers';
import { ApiKeyStore } from './agent/vscode/apiKeyStore';
import { COMMANDS } from './commandIds';
import { ACTIVATION_LOG_PREFIX, loadedHeavyModules, type ActivationMetrics } from './common/heavyModules';
import { registerCommand } from './common/vscode/commandRegistry';

// Set by the bundle's first and last statements (scripts/build.mjs): how long dist/extension.js took to evaluate.
declare const __mlEngineerLoadStart: number | undefined;
declare const __mlEngineerLoadEnd: number | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const activateStart = performance.now();
  const log = vscode.window.createOutputChannel('ML Engineer', { log: true });
  context.subscriptions.push(log);
  registerCommand(context, log, COMMANDS.showLog, () => log.show(true));

  // The chat's "has API key" context key, right before the chat loads: its setup view and menus read it.
  const apiKeys = new ApiKeyStore(context.secrets);
  context.subscriptions.push(apiKeys);
  void apiKeys.refreshContext();

  const features = new Features(context, log, apiKeys);
  context.subscriptions.push(features);
  features.registerCommands();
  // A provider VS Code asks when its chat needs MCP servers: nothing starts or loads until then.
  registerMcpServers(context, log);
  const activateMs = performance.now() - activateStart;
  // Read before anything can load a feature: what activation itself loaded.
  const heavy = loadedHeavyModules(Object.keys(require.cache));

  // The views, editors and code actions, and what loads without a click: in the next task, so
  // the extension host is not held by them while it finishes activating (Features.registerViews).
  const timer = setTimeout(() => {
    const laterStart = performance.now();
    try {
      features.registerViews();
      scheduleAutoLoads(context, features);
    } finally {
      const metrics: ActivationMetrics = {
        load_ms: round(
          typeof __mlEngineerLoadStart === 'number' && typeof __mlEngineerLoadEnd === 'number' ? __mlEngineerLoadEnd - __mlEngineerLoadStart : NaN,
        ),
        activate_ms: round(activateMs),
        later_ms: round(performance.now() - laterStart),
        heavy_modules_loaded: heavy,
      };
      log.info(`${ACTIVATION_LOG_PREFIX}${JSON.stringify(metrics)}`);
    }
  }, 0);
  context.subscriptions.push({ dispose: () => clearTimeout(timer) });
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
