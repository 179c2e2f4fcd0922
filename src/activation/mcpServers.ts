import vscode = require('vscode');
import { join } from 'node:path';
import { MCP_PROVIDERS, SETTINGS } from '../commandIds';
import { describeError } from '../common/errors';

// Our MCP server (`ml-engineer mcp`, src/mcp/) offered to VS Code's chat, so Copilot's agent mode
// has the workspace's tools without setup. Nothing runs here: VS Code asks for the definitions
// when its chat needs them and starts dist/cli.js itself. The API is VS Code 1.101's
// (vscode.lm.registerMcpServerDefinitionProvider, McpStdioServerDefinition); older versions lack it
// or keep it behind a proposal (1.100, code-server 4.100 among them), so it is looked up at run time.

interface McpServerDefinitionProvider {
  readonly onDidChangeMcpServerDefinitions?: vscode.Event<void>;
  provideMcpServerDefinitions(token: vscode.CancellationToken): object[];
}

type McpStdioServerDefinitionClass = new (label: string, command: string, args?: string[], env?: Record<string, string | number | null>, version?: string) => object;

interface McpApi {
  readonly register: (id: string, provider: McpServerDefinitionProvider) => vscode.Disposable;
  readonly Definition: McpStdioServerDefinitionClass;
}

function mcpApi(): McpApi | string {
  const lm = vscode.lm as unknown as { registerMcpServerDefinitionProvider?: McpApi['register'] };
  const Definition = (vscode as unknown as { McpStdioServerDefinition?: McpStdioServerDefinitionClass }).McpStdioServerDefinition;
  if (typeof lm.registerMcpServerDefinitionProvider !== 'function' || typeof Definition !== 'function') return 'no MCP server API (1.101+ has it)';
  return { register: lm.registerMcpServerDefinitionProvider.bind(lm), Definition };
}

/** One wording for both ways it can be missing (the workbench e2e test reads it). */
const notOffered = (why: string): string => `MCP: our server is not offered to VS Code's chat (VS Code ${vscode.version}): ${why}. See the README's MCP section.`;

/**
 * Registers the provider: one read-only server per workspace folder, offered only while the
 * workspace is trusted (its kernel tools start Python in the folder). Says in the log why not.
 */
export function registerMcpServers(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): void {
  const api = mcpApi();
  if (typeof api === 'string') {
    log.info(notOffered(api));
    return;
  }
  const changed = new vscode.EventEmitter<void>();
  const declared = (context.extension.packageJSON as { version?: unknown }).version;
  // VS Code refreshes the server's tools when this changes (an update of the extension).
  const version = typeof declared === 'string' ? declared : '0';
  const cli = join(context.extensionPath, 'dist', 'cli.js');
  try {
    const registration = api.register(MCP_PROVIDERS.servers, {
      onDidChangeMcpServerDefinitions: changed.event,
      provideMcpServerDefinitions: () => {
        if (!vscode.workspace.isTrusted) return [];
        const python = vscode.workspace.getConfiguration().get<string>(SETTINGS.pythonPath)?.trim();
        return (vscode.workspace.workspaceFolders ?? [])
          .filter((folder) => folder.uri.scheme === 'file')
          .map(
            (folder) =>
              // The editor's own Node runs the CLI: ELECTRON_RUN_AS_NODE makes VS Code's binary a plain Node.
              new api.Definition(`ML Engineer: ${folder.name}`, process.execPath, [cli, 'mcp', '--folder', folder.uri.fsPath, ...(python ? ['--python', python] : [])], { ELECTRON_RUN_AS_NODE: '1' }, version),
          );
      },
    });
    context.subscriptions.push(registration, changed, vscode.workspace.onDidChangeWorkspaceFolders(() => changed.fire()), vscode.workspace.onDidGrantWorkspaceTrust(() => changed.fire()));
  } catch (error) {
    // 1.100 has the function behind the mcpConfigurationProvider proposal: it throws for us.
    changed.dispose();
    log.info(notOffered(describeError(error)));
  }
}
