import * as vscode from 'vscode';
import type { ApiKeyStore } from '../../agent/vscode/apiKeyStore';
import { COMMANDS } from '../../commandIds';
import type { Logger } from '../../common/logger';
import { withCancellableProgress } from '../../common/vscode/cancellableProgress';
import { registerCommand } from '../../common/vscode/commandRegistry';
import { ReadonlyDocuments } from '../../common/vscode/readonlyDocuments';
import { pythonCandidates } from '../../python/pythonInterpreter';
import { configuredPython } from '../../python/vscode/pythonExtension';

const SCHEME = 'ml-engineer-report';

/** "ML Engineer: Check Environment": the CLI's `doctor`, shown as a read-only Markdown document. */
export function registerDoctorCommand(context: vscode.ExtensionContext, log: Logger, apiKeys: ApiKeyStore): void {
  const reportUri = vscode.Uri.from({ scheme: SCHEME, path: '/Environment Report.md' });
  const content = new ReadonlyDocuments(SCHEME, 'Run "ML Engineer: Check Environment" to make this report.');
  context.subscriptions.push(content);

  registerCommand(context, log, COMMANDS.doctor, async () => {
    const report = await withCancellableProgress('ML Engineer: checking environment…', async (signal) => {
      const { collectEnvironment } = await import('../environmentReport');
      const python = await configuredPython(log);
      const nvidiaSmi = vscode.workspace.getConfiguration('mlEngineer').get<string>('gpu.nvidiaSmiPath')?.trim() || 'nvidia-smi';
      return collectEnvironment({
        pythonCandidates: pythonCandidates(python.setting, python.fromExtension),
        nvidiaSmi,
        signal,
        // Where the key is, from the store: the key itself never reaches the report.
        apiKey: async () => {
          const source = await apiKeys.source();
          return source ? { set: true, source } : { set: false, checked: ['secret-storage', 'environment'] };
        },
      });
    });
    const { formatReportMarkdown, formatReportText } = await import('../formatReport');
    log.info(`environment report:\n${formatReportText(report)}`);
    content.update(reportUri, formatReportMarkdown(report));
    const document = await vscode.workspace.openTextDocument(reportUri);
    await vscode.languages.setTextDocumentLanguage(document, 'markdown');
    try {
      // Rendered, as a person reads it; the built-in Markdown extension may be disabled.
      await vscode.commands.executeCommand('markdown.showPreview', reportUri);
    } catch {
      await vscode.window.showTextDocument(document, { preview: true });
    }
  });
}
