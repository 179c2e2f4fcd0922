import * as vscode from 'vscode';
import { UserError } from '../../common/errors';
import { loadTestInWorker, loadTestWorkerScript } from '../loadTestInWorker';
import { loadTestLine, loadTestMarkdown } from '../loadTestReport';
import { loadTestView } from '../loadTestChart';
import { sampleBody } from '../sampleRequest';
import type { LocalServers, ServerEntry } from './localServers';
import { openReport } from './reportPreview';
import { showLoadTestChart } from './loadTestPanel';

// Load Test…: N requests at concurrency C against a running local server's /predict with its sample
// request, in a worker thread, with progress and Cancel; the result as a line, a chart beside the
// editor (latency over the run, a histogram) and a Markdown report.

async function pickServer(servers: LocalServers, name?: unknown): Promise<ServerEntry | undefined> {
  const running = servers.running();
  if (running.length === 0) throw new UserError('No local model server is running: use ML Engineer: Serve Locally on a model or an app folder first.');
  const named = running.find((e) => e.name === name);
  if (named || running.length === 1) return named ?? running[0];
  const pick = await vscode.window.showQuickPick(running.map((e) => ({ label: e.name, description: e.server.url, entry: e })), { title: 'Load test which server?' });
  return pick?.entry;
}

function whole(max: number) {
  return (v: string): string | undefined => (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= max ? undefined : `a whole number from 1 to ${max}`);
}

export async function loadTestServer(servers: LocalServers, context: vscode.ExtensionContext, log: vscode.LogOutputChannel, name?: unknown): Promise<void> {
  const entry = await pickServer(servers, name);
  if (!entry) return;
  const body = await sampleBody(entry.server);
  if (!body) throw new UserError(`${entry.name} has no sample request (sample_request.json in its folder): write one to load test it.`);
  const requests = await vscode.window.showInputBox({ title: `Load test ${entry.name}`, prompt: 'Requests to send', value: '1000', validateInput: whole(1_000_000) });
  if (!requests) return;
  const concurrency = await vscode.window.showInputBox({ title: `Load test ${entry.name}`, prompt: 'Requests in flight at once (concurrency)', value: '8', validateInput: whole(1024) });
  if (!concurrency) return;
  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Load testing ${entry.name}`, cancellable: true }, (progress, token) => {
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    const total = Number(requests);
    let last = 0;
    return loadTestInWorker(loadTestWorkerScript(context.extensionPath), { url: `${entry.server.url}/predict`, token: entry.server.token, loadTestKey: entry.server.loadTestKey, bodies: [body], requests: total, concurrency: Number(concurrency), durationMs: 120_000 }, abort.signal, (answered) => {
      progress.report({ increment: ((answered - last) * 100) / total, message: `${answered} answered` });
      last = answered;
    });
  });
  // The successful requests' latencies (thinned to 2,000) feed the Deployments view's p50/p95.
  entry.server.noteLatency(...result.timeline.filter(([, , ok]) => ok).map(([, ms]) => ms));
  const text = loadTestMarkdown(result);
  log.info(text);
  entry.output.appendLine(text);
  const report = async () => void (await openReport(context, `load-test-${entry.name}`, text));
  showLoadTestChart(context, loadTestView(result, entry.name), report);
  const more = await vscode.window.showInformationMessage(`${entry.name}: ${loadTestLine(result)}.`, 'Open Report');
  if (more) await report();
}
