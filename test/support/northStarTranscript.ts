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
/** What the model runs in the kernel, cell by cell as the notebook has them: the data, split and tracking cells with the baseline; the logistic regression; the MLP. */
export const KERNEL_RUNS = { baseline: code.slice(0, -2).join('\n\n'), better: code.at(-2)!, mlp: code.at(-1)! };

/** The check that decides how the MLP is served: can this Python put the encoder into ONNX (skl2onnx) and run an ONNX app (onnxruntime)? */
export const EXPORT_CHECK = 'import importlib.util\nprint({m: importlib.util.find_spec(m) is not None for m in ("skl2onnx", "onnxruntime")})';

/** Where the MLP step's module goes (the workspace root: the kernel's and the served app's import path), and what it holds. */
export const STEP_PATH = 'torch_step.py';
export const STEP_SOURCE = readFileSync(join(repo, 'test', 'fixtures', 'northStar', 'torch_step.py'), 'utf8');

/** The kernel run that saves the served model: the fitted encoder, then the TorchScript MLP, one pipeline checked against the MLP's hold-out scores. */
export const SERVE_BUILD = readFileSync(join(repo, 'test', 'fixtures', 'northStar', 'serve_mlp.py'), 'utf8').trim();

/** The served model: the MLP behind its encoder, as SERVE_BUILD saved it (it takes a customer's row as it comes). */
export const SERVED_PATH = 'models/churn_mlp_pipeline.joblib';

/** The baseline's pickle; the hold-out split (target included) and the same rows as the MLP takes them (encoded), as the notebook saved them. */
export const BASELINE_PATH = 'models/baseline.joblib';
export const HOLDOUT_PATH = 'data/churn_holdout.csv';
export const HOLDOUT_ENCODED_PATH = 'data/churn_holdout_encoded.csv';

/** The MLP as the notebook saved it (TorchScript), its ONNX export and the int8 copy optimize_model writes beside that. */
export const MLP_PATH = 'models/churn_mlp.pt';
export const MLP_ONNX_PATH = 'models/churn_mlp.onnx';
export const MLP_INT8_PATH = 'models/churn_mlp.int8.onnx';

/** What the user asks, in the chat or on the command line. */
export const NORTH_STAR_ASK = 'Build me a churn model from data/churn.csv, and tell me whether the incoming data (data/incoming.csv) drifts.';

/** The logistic regression pipeline (the fallback; its encoder is the one the MLP was trained behind). */
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

/** A run the notebook's cells printed (the MLP's also says how many encoded features it takes). */
export interface PrintedRun {
  readonly run_id: string;
  readonly roc_auc: number;
  readonly average_precision: number;
  readonly features?: number;
}

/** The runs the notebook's cells printed, by name. */
export function trainedRuns(turns: readonly ToolTurn[]): Record<string, PrintedRun> {
  const runs: Record<string, PrintedRun> = {};
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

/** compare_models_on_data's accuracy row: [line, A, B]. */
export function abAccuracy(compared: string): RegExpExecArray | null {
  return /^\| accuracy \| ([\d.]+)% \| ([\d.]+)% \| .*$/m.exec(compared);
}

/** compare_models_on_data's ROC AUC row: [line, A, B, B's 95% interval low, high, B − A's low, high]. */
export function abAuc(compared: string): RegExpExecArray | null {
  return /^\| ROC AUC \([^)]*\) \| ([\d.]+) \[[^\]]*\] \| ([\d.]+) \[([\d.]+), ([\d.]+)\] \| \[(-?[\d.]+), (-?[\d.]+)\] \|$/m.exec(compared);
}

/** compare_models_on_data's verdict (its bold line). */
export function abVerdict(compared: string): string {
  return /^\*\*(.*)\*\*$/m.exec(compared)?.[1] ?? 'compare_models_on_data gave no verdict';
}

/** The server name serve_locally answered ("as server "churn_mlp_pipeline-fastapi""). */
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

/** What detect_drift says it left out of a request log as load-test rows, as a sentence ('' when it says nothing). */
export function loadTestLeftOut(report: string): string {
  const m = /Load-test rows left out: (.+?) \(requests the load tester sent/.exec(report);
  return m ? `Load-test rows left out: ${m[1]!}.` : '';
}

/** compare_runs' ROC AUC line: [line, run #1's last value, run #2's, run #3's]. */
export function rocAuc(compared: string): RegExpExecArray | null {
  return /^ {2}roc_auc: #1=([\d.]+)@.*? #2=([\d.]+)@.*? #3=([\d.]+)@.*$/m.exec(compared);
}

/** A Markdown table's cell: the row named `row`, its `column`th value cell (1 = the first after the name). */
export function tableCell(text: string, row: string, column = 1): string {
  return new RegExp(`^\\| ${row} \\|${' [^|]* \\|'.repeat(column - 1)} ([^|]*) \\|`, 'm').exec(text)?.[1] ?? '?';
}

/** compare_models' largest output difference on the same sample inputs (its row below the header row, which starts alike). */
export function sampleDiff(compared: string): string {
  return /^\| output \| ([\d.e+-]+) \|/m.exec(compared)?.[1] ?? '?';
}

/** inspect_model's size line ("format: onnx, 15 KB") and each input's and output's "name: dtype[shape]" line. */
export function inspected(result: string): { size: string; io: string[] } {
  return { size: /^ {2}format: \S+, (.+)$/m.exec(result)?.[1] ?? '?', io: [...result.matchAll(/^ {2}(\w+: \w+\[[^\]]*\])$/gm)].map((m) => m[1]!) };
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
        'Baseline first: the majority class, then a logistic regression, then a small PyTorch MLP, all with the same split and seed and each logged as a run in `mlruns/`, where the Experiments view reads them. Here is the notebook:',
      ].join('\n');
      return say(text, { name: 'create_file', input: { path: NOTEBOOK_PATH, content: NOTEBOOK_JSON } });
    }
    case 'create_file':
      if (last.input.path === STEP_PATH) {
        return say('Now the pipeline, in the kernel that holds the fitted encoder and the MLP, checked against the MLP\'s own hold-out scores before it is saved:', { name: 'run_in_kernel', input: { code: SERVE_BUILD } });
      }
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
        return say(`The baseline is logged (ROC AUC ${runs['baseline-majority']?.roc_auc ?? '?'}, as a majority class must score). Now the logistic regression, same split and seed:`, {
          name: 'run_in_kernel',
          input: { code: KERNEL_RUNS.better, wait_seconds: 120 },
        });
      }
      if (ran === KERNEL_RUNS.better) {
        return say(`The logistic regression is logged (ROC AUC ${runs['logreg']?.roc_auc ?? '?'}). The churn rules may be thresholds and interactions a linear model misses, so a small PyTorch MLP on the same encoded features, its epochs picked on a validation slice of the training split:`, {
          name: 'run_in_kernel',
          input: { code: KERNEL_RUNS.mlp, wait_seconds: 180 },
        });
      }
      if (ran === KERNEL_RUNS.mlp) {
        return say('The three runs are logged. Comparing them:', { name: 'compare_runs', input: { runs: ['baseline-majority', 'logreg', 'mlp'].map((name) => runs[name]!.run_id) } });
      }
      if (ran === SERVE_BUILD) {
        const built = /"max_score_difference": ([\d.e-]+)/.exec(last.result)?.[1] ?? '?';
        return say(`Saved \`${SERVED_PATH}\`: it takes the customers' rows and its scores differ from the MLP's on the hold-out split by at most ${built}. serve_locally writes its FastAPI app (the workspace on the import path while the pickle loads, for \`${STEP_PATH}\`) and starts it, so the incoming traffic goes through the MLP and its request log records what it was sent:`, {
          name: 'serve_locally',
          input: { path: SERVED_PATH },
        });
      }
      // The check that decides how the MLP is served: its ONNX takes encoded features, and its encoder is scikit-learn.
      const check = /'skl2onnx': (True|False), 'onnxruntime': (True|False)/.exec(last.result);
      const why =
        check?.[1] === 'True' && check[2] === 'True'
          ? 'skl2onnx and onnxruntime are installed, but the fitted encoder itself is the surest way to feed the MLP what it was trained on.'
          : `The MLP's ONNX file takes the ${runs['mlp']?.features ?? '?'} encoded features, not a customer's row: its encoder is the scikit-learn ColumnTransformer, which only skl2onnx can put into ONNX, and this Python has ${check?.[1] === 'True' ? 'skl2onnx' : 'no skl2onnx'} and ${check?.[2] === 'True' ? 'onnxruntime' : 'no onnxruntime'} to run an ONNX app (the kernel answered \`${check?.[0] ?? '?'}\`).`;
      return say(`${why} So I serve the MLP behind the very encoder it was trained behind, as one scikit-learn pipeline whose last step runs the TorchScript MLP: raw rows in, the MLP's predictions out, the app's input checks as for any pipeline. First the step's module, where both the kernel and the served app import it:`, {
        name: 'create_file',
        input: { path: STEP_PATH, content: STEP_SOURCE },
      });
    }
    case 'compare_runs': {
      const auc = rocAuc(last.result);
      const features = trainedRuns(turns)['mlp']?.features;
      return say(
        `On the metric I named, the MLP is best: held-out ROC AUC ${auc?.[3] ?? '?'}, against ${auc?.[2] ?? '?'} for the logistic regression and ${auc?.[1] ?? '?'} for the baseline (compare_runs). The gap to the logistic regression is small for 1000 held-out rows, so the logistic regression stays the fallback; I pick the MLP and export it to ONNX, the file a runtime loads (one example input of its ${features ?? '?'} encoded features):`,
        { name: 'export_model', input: { path: MLP_PATH, target: 'onnx', input_shape: [1, features ?? 1] } },
      );
    }
    case 'export_model':
      return say('Inspecting the exported file: what it takes and returns, and its size.', { name: 'inspect_model', input: { path: MLP_ONNX_PATH } });
    case 'inspect_model': {
      const info = inspected(last.result);
      return say(`${info.io.map((l) => `\`${l}\``).join(', ')}; ${info.size} on disk. Its latency on the CPU:`, { name: 'benchmark_model', input: { path: MLP_ONNX_PATH } });
    }
    case 'benchmark_model':
      return say(`Mean ${tableCell(last.result, 'mean')}, p95 ${tableCell(last.result, 'p95')} per one-row call. Now an int8 copy:`, { name: 'optimize_model', input: { path: MLP_ONNX_PATH, precision: 'int8' } });
    case 'optimize_model':
      return say(`The int8 copy is written (${/^\| Size \| (.+) \|$/m.exec(last.result)?.[1] ?? '?'}, by ${/^\| Written by \| (.+) \|$/m.exec(last.result)?.[1] ?? '?'}). The two side by side:`, { name: 'compare_models', input: { a: MLP_ONNX_PATH, b: MLP_INT8_PATH } });
    case 'compare_models':
      return say(`On the same sample inputs the outputs differ by at most ${sampleDiff(last.result)}. Random inputs say nothing about quality: both on the encoded hold-out split the notebook saved, judged on ROC AUC as before:`, {
        name: 'compare_models_on_data',
        input: { a: MLP_ONNX_PATH, b: MLP_INT8_PATH, data: HOLDOUT_ENCODED_PATH, target: 'churned', metric: 'roc_auc' },
      });
    case 'compare_models_on_data': {
      const acc = abAccuracy(last.result);
      return say(
        [
          `"${abVerdict(last.result)}" (accuracy ${acc?.[1] ?? '?'}% and ${acc?.[2] ?? '?'}%, agreement ${/^Agreement ([\d.]+%)/m.exec(last.result)?.[1] ?? '?'}).`,
          'Before serving: can this Python put the encoder into ONNX and run an ONNX app?',
        ].join('\n\n'),
        { name: 'run_in_kernel', input: { code: EXPORT_CHECK } },
      );
    }
    case 'serve_locally':
      return say('First a load test, with rows like those it was trained on (the training split\'s features), 4 requests in flight; the load tester marks its requests in the request log, so the drift check leaves them out:', {
        name: 'load_test',
        input: { server: servedName(turns), data: REFERENCE_PATH, requests: 200, concurrency: 4 },
      });
    case 'load_test':
      return say(`${loadTestLine(last.result)}\n\nNow the incoming customers (data/incoming.csv, in the form the model takes) sent to it:`, { name: 'send_requests', input: { data: 'data/incoming.csv' } });
    case 'send_requests':
      return say('Now what the served model was sent, from its own request log, against the training split the models learned from (the reference the notebook saved):', {
        name: 'detect_drift',
        input: { reference: REFERENCE_PATH, current: requestLog(turns) },
      });
    case 'detect_drift':
      return say(`${driftLine(last.result)} ${loadTestLeftOut(last.result) || 'No load-test rows were left out.'}\n\nNow the model card of what is served (the MLP behind its encoder), from what the tools return:`, {
        name: 'write_model_card',
        input: { model: SERVED_PATH, run: trainedRuns(turns)['mlp']?.run_id ?? 'mlp', reference: REFERENCE_PATH, current: requestLog(turns) },
      });
    default: {
      const auc = rocAuc(turns.find((t) => t.name === 'compare_runs')?.result ?? '');
      const bench = turns.find((t) => t.name === 'benchmark_model')?.result ?? '';
      const info = inspected(turns.find((t) => t.name === 'inspect_model')?.result ?? '');
      const optimized = turns.find((t) => t.name === 'optimize_model')?.result ?? '';
      const ab = turns.find((t) => t.name === 'compare_models_on_data')?.result ?? '';
      const drift = turns.find((t) => t.name === 'detect_drift')?.result ?? '';
      const sent = turns.find((t) => t.name === 'send_requests')?.result.split('\n')[0] ?? '';
      return say(
        [
          `**Done.** The MLP (\`${MLP_PATH}\`, trained in \`${NOTEBOOK_PATH}\`) scores ROC AUC ${auc?.[3] ?? '?'} on the held-out split (test_size 0.2 in compare_runs), against ${auc?.[2] ?? '?'} for the logistic regression and ${auc?.[1] ?? '?'} for the majority-class baseline.`,
          `**ONNX:** \`${MLP_ONNX_PATH}\`, ${info.size}, ${info.io.map((l) => `\`${l}\``).join(', ')}; mean ${tableCell(bench, 'mean')} per one-row call (benchmark_model). The int8 copy \`${MLP_INT8_PATH}\`: ${/^\| Size \| (.+) \|$/m.exec(optimized)?.[1] ?? '?'}; on the hold-out split: ${abVerdict(ab)}`,
          `**Served:** the MLP behind its fitted encoder (\`${SERVED_PATH}\`: raw rows in; its last step runs the TorchScript MLP, \`${STEP_PATH}\`). ${sent}`,
          `**Load test** (training-like rows, before the incoming traffic): ${loadTestLine(turns.find((t) => t.name === 'load_test')?.result ?? '')}`,
          `**Drift** (the served model's request log \`${requestLog(turns)}\` against the training split): ${driftLine(drift)} ${loadTestLeftOut(drift)}`,
          `**Card:** ${turns.find((t) => t.name === 'write_model_card')?.result.split('\n')[0] ?? ''}`,
        ].join('\n\n'),
      );
    }
  }
}

/** The numbers a text claims (decimals and integers, thousands separators dropped). */
export function claimedNumbers(text: string): string[] {
  return [...text.replace(/(\d),(\d{3})/g, '$1$2').matchAll(/(?<![\w.])\d+(?:\.\d+)?(?![\w])/g)].map((m) => m[0]);
}
