import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MessagesRequestBody, ScriptedBlock, ScriptedReply } from './fakeMessagesApi';

// The north star (issue #20) as a capable model would play it, for the loopback Messages API:
// the chat's e2e walkthrough and `ml-engineer ask` run the same turns. Each turn is chosen by the
// last tool the model called and reads that tool's real result: run ids, metrics and drifted
// columns come from what the tools returned, never from this file, so the final answer can be
// checked number by number against the tool results (`claimedNumbers`).

const repo = join(__dirname, '..', '..');

/** The notebook the model writes, in the percent format ("# %%" code cells, "# %% [markdown]" text cells). */
const NOTEBOOK_SOURCE = readFileSync(join(repo, 'test', 'fixtures', 'northStar', 'churn_notebook.py'), 'utf8');

/** The notebook's cells: markdown as the comments' text, code as it is. */
export const NOTEBOOK_CELLS: readonly { type: 'markdown' | 'code'; source: string }[] = NOTEBOOK_SOURCE.split(/^# %%/m)
  .slice(1)
  .map((chunk) => {
    const markdown = chunk.startsWith(' [markdown]');
    const body = chunk.slice(chunk.indexOf('\n') + 1).trim();
    return markdown ? { type: 'markdown' as const, source: body.replace(/^# ?/gm, '') } : { type: 'code' as const, source: body };
  });

/** Where the notebook goes. */
export const NOTEBOOK_PATH = 'churn.ipynb';

/** The notebook file create_file writes: nbformat 4.5, every cell unrun. */
export const NOTEBOOK_JSON = `${JSON.stringify(
  {
    cells: NOTEBOOK_CELLS.map((cell, i) => ({
      cell_type: cell.type,
      id: `cell-${i}`,
      metadata: {},
      source: cell.source.split(/(?<=\n)/),
      ...(cell.type === 'code' ? { execution_count: null, outputs: [] } : {}),
    })),
    metadata: { kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' }, language_info: { name: 'python' } },
    nbformat: 4,
    nbformat_minor: 5,
  },
  null,
  1,
)}\n`;

const code = NOTEBOOK_CELLS.filter((c) => c.type === 'code').map((c) => c.source);
/** What the model runs in the kernel, cell by cell as the notebook has them: the data, split and tracking cells with the baseline; then the better model. */
export const KERNEL_RUNS = { baseline: code.slice(0, -1).join('\n\n'), better: code.at(-1)! };

/** The check that decides step 4: can this Python export the pipeline to ONNX? */
export const EXPORT_CHECK = 'import importlib.util\nprint({m: importlib.util.find_spec(m) is not None for m in ("skl2onnx", "onnxruntime")})';

/** The A/B's files: the baseline's pickle and the hold-out split (target included) the notebook saved. */
export const BASELINE_PATH = 'models/baseline.joblib';
export const HOLDOUT_PATH = 'data/churn_holdout.csv';

/** What the user asks, in the chat or on the command line. */
export const NORTH_STAR_ASK = 'Build me a churn model from data/churn.csv, and tell me whether the incoming data (data/incoming.csv) drifts.';

/** The model the scenario trains and documents. */
export const MODEL_PATH = 'models/churn_model.joblib';

/** The training split's features as the model takes them, which the notebook saves: the drift reference. */
export const REFERENCE_PATH = 'data/churn_reference.csv';

/** The served app's request log, as send_requests named it. */
export function requestLog(turns: readonly ToolTurn[]): string {
  const sent = turns.find((t) => t.name === 'send_requests')?.result ?? '';
  return /^Request log: (\S+) holds/m.exec(sent)?.[1] ?? 'send_requests named no request log';
}

interface ToolTurn {
  readonly name: string;
  readonly input: Record<string, unknown>;
  readonly result: string;
  readonly isError: boolean;
}

/** Every tool call of the conversation with its result, oldest first. */
export function toolTurns(request: MessagesRequestBody): ToolTurn[] {
  const calls = new Map<string, { name: string; input: Record<string, unknown> }>();
  const turns: ToolTurn[] = [];
  for (const message of request.messages) {
    if (typeof message.content === 'string') continue;
    for (const block of message.content) {
      if (block.type === 'tool_use') calls.set(String(block.id), { name: String(block.name), input: block.input as Record<string, unknown> });
      if (block.type === 'tool_result') {
        const call = calls.get(String(block.tool_use_id));
        if (call) turns.push({ ...call, result: resultText(block.content), isError: block.is_error === true });
      }
    }
  }
  return turns;
}

function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((c: { text?: string }) => c.text ?? '').join('\n');
  return JSON.stringify(content);
}

const say = (text: string, tool?: { name: string; input: Record<string, unknown> }): ScriptedReply => ({
  kind: 'message',
  blocks: [{ type: 'text', text }, ...(tool ? [{ type: 'tool_use', ...tool } as ScriptedBlock] : [])],
});

/** One column's summary line of describe_dataset's answer. */
function column(described: string, name: string): string {
  return new RegExp(`^- ${name}: .*$`, 'm').exec(described)?.[0] ?? '';
}

const field = (line: string, pattern: RegExp): string => pattern.exec(line)?.[1] ?? '?';

/** The runs the notebook's cells printed, by name: {run_id, roc_auc, average_precision}. */
export function trainedRuns(turns: readonly ToolTurn[]): Record<string, { run_id: string; roc_auc: number; average_precision: number }> {
  const runs: Record<string, { run_id: string; roc_auc: number; average_precision: number }> = {};
  for (const turn of turns.filter((t) => t.name === 'run_in_kernel' || t.name === 'wait_for_execution')) {
    for (const m of turn.result.matchAll(/^\{\n "run": "([^"]+)",[\s\S]*?^\}$/gm)) runs[m[1]!] = JSON.parse(m[0]) as (typeof runs)[string];
  }
  return runs;
}

/** The kernel execution a run_in_kernel or wait_for_execution result left running, if any. */
function stillRunning(result: string): string | undefined {
  return /^execution_id: (\S+)\nstatus: still running/m.exec(result)?.[1];
}

/** The code of the run_in_kernel call a wait_for_execution follows (or that call itself). */
function kernelCode(turns: readonly ToolTurn[]): string {
  const code = turns.filter((t) => t.name === 'run_in_kernel').at(-1)?.input.code;
  return typeof code === 'string' ? code : '';
}

/** compare_models_on_data's ROC AUC row: [line, A, B, B's 95% interval low, high, B − A's low, high]. */
export function abAuc(compared: string): RegExpExecArray | null {
  return /^\| ROC AUC \([^)]*\) \| ([\d.]+) \[[^\]]*\] \| ([\d.]+) \[([\d.]+), ([\d.]+)\] \| \[(-?[\d.]+), (-?[\d.]+)\] \|$/m.exec(compared);
}

/** compare_models_on_data's verdict (its bold line). */
export function abVerdict(compared: string): string {
  return /^\*\*(.*)\*\*$/m.exec(compared)?.[1] ?? 'compare_models_on_data gave no verdict';
}

/** The server name serve_locally answered ("as server "churn_model-fastapi""). */
function servedName(turns: readonly ToolTurn[]): string {
  return /as server "([^"]+)"/.exec(turns.find((t) => t.name === 'serve_locally')?.result ?? '')?.[1] ?? 'serve_locally named no server';
}

/** load_test's answer in one line: what was sent and how it ended, throughput and p95, from its own table. */
export function loadTestLine(result: string): string {
  const ran = /^\d+ requests, .*$/m.exec(result)?.[0] ?? 'load_test said nothing';
  const cell = (row: string): string => new RegExp(`^\\| ${row} \\| (.*) \\|$`, 'm').exec(result)?.[1] ?? '?';
  return `${ran} Throughput ${cell('throughput')}, p95 ${cell('p95')}, errors: ${cell('errors')}.`;
}

/** detect_drift's verdict line ("No dataset drift: 1 of 11 columns drifted ..."). */
export function driftLine(report: string): string {
  return /^(No dataset drift|Dataset drift): .*$/m.exec(report)?.[0] ?? 'detect_drift gave no verdict';
}

/** compare_runs' ROC AUC line: [line, run #1's last value, run #2's]. */
export function rocAuc(compared: string): RegExpExecArray | null {
  return /^ {2}roc_auc: #1=([\d.]+)@.*? #2=([\d.]+)@.*$/m.exec(compared);
}

/** The loopback API's script: the next turn of the scenario from the last tool's result. */
export function northStarScript(request: MessagesRequestBody): ScriptedReply {
  const turns = toolTurns(request);
  const last = turns.at(-1);
  if (last?.isError) return say(`The ${last.name} call failed, so I stop here. It said:\n\n${last.result.slice(0, 600)}`);
  switch (last?.name) {
    case undefined:
      return say('First the data: what is in it and what is wrong with it.', { name: 'describe_dataset', input: { path: 'data/churn.csv' } });
    case 'describe_dataset': {
      const d = last.result;
      const rows = field(d, /: (\d+) rows ×/);
      const churned = column(d, 'churned');
      const leak = column(d, 'days_since_cancellation');
      const plan = column(d, 'plan');
      const nulls = (name: string): string => field(column(d, name), /— (\d+) null/);
      const text = [
        `**Data.** ${rows} rows. **Target:** \`churned\` (0/1); its mean is ${field(churned, /mean ([\d.]+)/)}, so only that share churned: the classes are imbalanced.`,
        '**Metric and split, before any training:** ROC AUC (average precision beside it) on a stratified 80/20 hold-out split with `random_state=0`. Accuracy would reward predicting "stays" for everyone.',
        '**Problems I see:**',
        `- \`days_since_cancellation\` is null in ${field(leak, /— (\d+) null/)} rows and set only for customers who already left: it is known after the fact, so it leaks the target. I drop it.`,
        `- \`total_charges\` is text with units (${field(column(d, 'total_charges'), /top ("[^"]+")/)}): parsed to a number.`,
        `- \`plan\` has ${field(plan, /(\d+) distinct/)} spellings of three plans: normalised.`,
        `- Blanks: \`age\` ${nulls('age')}, \`monthly_charges\` ${nulls('monthly_charges')}, \`payment_method\` ${nulls('payment_method')}: imputed inside the pipeline, fitted on the training split only.`,
        '- `customer_id` is an id: dropped.',
        '',
        'Baseline first: the majority class, then a logistic regression, both with the same split and seed and both logged as runs in `mlruns/`, where the Experiments view reads them. Here is the notebook:',
      ].join('\n');
      return say(text, { name: 'create_file', input: { path: NOTEBOOK_PATH, content: NOTEBOOK_JSON } });
    }
    case 'create_file':
      return say("Now its cells in the kernel: the data, the split and the tracking helper, then the baseline (it logs its run). Training can outlast the call's wait; I follow it if so.", {
        name: 'run_in_kernel',
        input: { code: KERNEL_RUNS.baseline, wait_seconds: 120 },
      });
    case 'run_in_kernel':
    case 'wait_for_execution': {
      const running = stillRunning(last.result);
      if (running) return say('Still running; following it:', { name: 'wait_for_execution', input: { execution_id: running, wait_seconds: 120 } });
      const ran = kernelCode(turns);
      const runs = trainedRuns(turns);
      if (ran === KERNEL_RUNS.baseline) {
        return say(`The baseline is logged (ROC AUC ${runs['baseline-majority']?.roc_auc ?? '?'}, as a majority class must score). Now the better model, same split and seed:`, {
          name: 'run_in_kernel',
          input: { code: KERNEL_RUNS.better, wait_seconds: 120 },
        });
      }
      if (ran === KERNEL_RUNS.better) {
        return say('Both runs are logged. Comparing them:', { name: 'compare_runs', input: { runs: [runs['baseline-majority']!.run_id, runs['logreg']!.run_id] } });
      }
      // The export check: skl2onnx decides whether step 4's ONNX export, quantization and benchmark can happen.
      return say(
        /'skl2onnx': True/.test(last.result)
          ? 'skl2onnx is installed, but this walkthrough serves the scikit-learn pipeline as it is:'
          : "This Python has no skl2onnx (the kernel answered `'skl2onnx': False`), so the pipeline cannot be exported to ONNX here, and without an ONNX file there is nothing to quantize or to benchmark with onnxruntime. I serve the scikit-learn pipeline as it is: serve_locally writes its FastAPI app (scaffold_deployment takes ONNX models only) and starts it, so the incoming traffic goes through the model itself and its request log records what it was sent:",
        { name: 'serve_locally', input: { path: MODEL_PATH } },
      );
    }
    case 'compare_runs': {
      const auc = rocAuc(last.result);
      return say(
        `On the runs' own metric the logistic regression beats the baseline: held-out ROC AUC ${auc?.[2] ?? '?'} against ${auc?.[1] ?? '?'} (compare_runs). One split's number has no error bar, so an A/B of the two saved models on the hold-out split the notebook saved, with bootstrap intervals:`,
        { name: 'compare_models_on_data', input: { a: BASELINE_PATH, b: MODEL_PATH, data: HOLDOUT_PATH, target: 'churned' } },
      );
    }
    case 'compare_models_on_data': {
      const ab = abAuc(last.result);
      return say(
        [
          `The A/B's verdict is on accuracy: "${abVerdict(last.result)}" Accuracy is the wrong yardstick here, as I said before training: a model that always says "stays" is right for most customers.`,
          `On ROC AUC, the metric I named, the logistic regression is ${ab?.[2] ?? '?'} (95% interval ${ab?.[3] ?? '?'} to ${ab?.[4] ?? '?'}) against ${ab?.[1] ?? '?'} for the baseline, and the interval of the difference (${ab?.[5] ?? '?'} to ${ab?.[6] ?? '?'}) excludes 0. I pick the logistic regression. Inspecting the saved model:`,
        ].join('\n\n'),
        { name: 'inspect_model', input: { path: MODEL_PATH } },
      );
    }
    case 'inspect_model':
      return say('Before serving: can this Python export the pipeline to ONNX (for the export, quantization and benchmark steps)?', { name: 'run_in_kernel', input: { code: EXPORT_CHECK } });
    case 'serve_locally':
      return say('Now the incoming customers (data/incoming.csv, in the form the model takes) sent to it:', { name: 'send_requests', input: { data: 'data/incoming.csv' } });
    case 'send_requests':
      return say('Now what the served model was sent, from its own request log, against the training split the model learned from (the reference the script saved):', {
        name: 'detect_drift',
        input: { reference: REFERENCE_PATH, current: requestLog(turns) },
      });
    case 'detect_drift':
      return say(`${driftLine(last.result)}\n\nNow the model card, from what the tools return (before the load test: its rows would join the request log the card's drift check reads):`, {
        name: 'write_model_card',
        input: { model: MODEL_PATH, reference: REFERENCE_PATH, current: requestLog(turns) },
      });
    case 'write_model_card':
      return say('Last, a load test of the served model with the incoming rows, 4 requests in flight:', {
        name: 'load_test',
        input: { server: servedName(turns), data: 'data/incoming.csv', requests: 200, concurrency: 4 },
      });
    default: {
      const compared = turns.find((t) => t.name === 'compare_runs')?.result ?? '';
      const auc = rocAuc(compared);
      const ab = abAuc(turns.find((t) => t.name === 'compare_models_on_data')?.result ?? '');
      const drift = turns.find((t) => t.name === 'detect_drift')?.result ?? '';
      const sent = turns.find((t) => t.name === 'send_requests')?.result.split('\n')[0] ?? '';
      return say(
        [
          `**Done.** The logistic regression (\`${MODEL_PATH}\`, trained in \`${NOTEBOOK_PATH}\`) scores ROC AUC ${auc?.[2] ?? '?'} on the held-out split (test_size 0.2 in compare_runs), against ${auc?.[1] ?? '?'} for the majority-class baseline; the A/B on that split puts the gain at ${ab?.[5] ?? '?'} to ${ab?.[6] ?? '?'} (95% bootstrap interval).`,
          ...(turns.some((t) => t.input.code === EXPORT_CHECK && /'skl2onnx': False/.test(t.result)) ? ['**Not done:** no ONNX export, quantization or onnxruntime benchmark: this Python has no skl2onnx.'] : []),
          `**Served:** ${sent}`,
          `**Drift** (the served model's request log \`${requestLog(turns)}\` against the training split): ${driftLine(drift)}`,
          `**Card:** ${turns.find((t) => t.name === 'write_model_card')?.result.split('\n')[0] ?? ''}`,
          `**Load test:** ${loadTestLine(turns.find((t) => t.name === 'load_test')?.result ?? '')}`,
        ].join('\n\n'),
      );
    }
  }
}

/** The numbers a text claims (decimals and integers, thousands separators dropped). */
export function claimedNumbers(text: string): string[] {
  return [...text.replace(/(\d),(\d{3})/g, '$1$2').matchAll(/(?<![\w.])\d+(?:\.\d+)?(?![\w])/g)].map((m) => m[0]);
}
