import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MessagesRequestBody, ScriptedBlock, ScriptedReply } from './fakeMessagesApi';

// The north star (issue #20) as a capable model would play it, for the loopback Messages API:
// the chat's e2e walkthrough and `ml-engineer ask` run the same turns. Each turn is chosen by the
// last tool the model called and reads that tool's real result: run ids, metrics and drifted
// columns come from what the tools returned, never from this file, so the final answer can be
// checked number by number against the tool results (`claimedNumbers`).

const repo = join(__dirname, '..', '..');

/** The training script the model writes: baseline and logistic regression, both logged to ./mlruns. */
export const TRAIN_SCRIPT = readFileSync(join(repo, 'test', 'fixtures', 'northStar', 'train_churn.py'), 'utf8');

/** What the user asks, in the chat or on the command line. */
export const NORTH_STAR_ASK = 'Build me a churn model from data/churn.csv, and tell me whether the incoming data (data/incoming.csv) drifts.';

/** The model the scenario trains and documents. */
export const MODEL_PATH = 'models/churn_model.joblib';

/** The training split's features as the model takes them, which train_churn.py saves: the drift reference. */
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

/** The Python the system prompt names (the chat: "- Python: 3.11.2 (/usr/bin/python3)"); else python3 on PATH. */
function pythonOf(request: MessagesRequestBody): string {
  const system = typeof request.system === 'string' ? request.system : JSON.stringify(request.system ?? '');
  return /- Python: [^(\n]*\(([^)\s]+)\)/.exec(system)?.[1] ?? 'python3';
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

/** The two runs train_churn.py printed: {name: {run_id, roc_auc, average_precision}}. */
function trainedRuns(output: string): Record<string, { run_id: string; roc_auc: number; average_precision: number }> {
  const json = output.slice(output.indexOf('{'), output.lastIndexOf('}') + 1);
  return JSON.parse(json) as Record<string, { run_id: string; roc_auc: number; average_precision: number }>;
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
        'Baseline first: the majority class, then a logistic regression, both with the same split and seed and both logged as runs in `mlruns/`, where the Experiments view reads them. Here is the script:',
      ].join('\n');
      return say(text, { name: 'create_file', input: { path: 'train_churn.py', content: TRAIN_SCRIPT } });
    }
    case 'create_file':
      return say('Now I run it: it trains both models and logs both runs.', { name: 'run_command', input: { command: `${pythonOf(request)} train_churn.py`, timeout_seconds: 300 } });
    case 'run_command': {
      const runs = trainedRuns(last.result);
      return say('Both runs are logged. Comparing them:', { name: 'compare_runs', input: { runs: [runs['baseline-majority']!.run_id, runs['logreg']!.run_id] } });
    }
    case 'compare_runs': {
      const auc = rocAuc(last.result);
      return say(
        `The logistic regression beats the baseline on held-out ROC AUC: ${auc?.[2] ?? '?'} against ${auc?.[1] ?? '?'} (compare_runs). I pick it. Inspecting the saved model:`,
        { name: 'inspect_model', input: { path: MODEL_PATH } },
      );
    }
    case 'inspect_model':
      return say('Serving it locally, so the incoming traffic goes through the model itself and its request log records what it was sent:', { name: 'serve_locally', input: { path: MODEL_PATH } });
    case 'serve_locally':
      return say('Now the incoming customers (data/incoming.csv, in the form the model takes) sent to it:', { name: 'send_requests', input: { data: 'data/incoming.csv' } });
    case 'send_requests':
      return say('Now what the served model was sent, from its own request log, against the training split the model learned from (the reference the script saved):', {
        name: 'detect_drift',
        input: { reference: REFERENCE_PATH, current: requestLog(turns) },
      });
    case 'detect_drift':
      return say(`${driftLine(last.result)}\n\nLast, the model card, from what the tools return:`, {
        name: 'write_model_card',
        input: { model: MODEL_PATH, reference: REFERENCE_PATH, current: requestLog(turns) },
      });
    default: {
      const compared = turns.find((t) => t.name === 'compare_runs')?.result ?? '';
      const auc = rocAuc(compared);
      const drift = turns.find((t) => t.name === 'detect_drift')?.result ?? '';
      const sent = turns.find((t) => t.name === 'send_requests')?.result.split('\n')[0] ?? '';
      return say(
        [
          `**Done.** The logistic regression (\`${MODEL_PATH}\`) scores ROC AUC ${auc?.[2] ?? '?'} on the held-out split (test_size 0.2 in compare_runs), against ${auc?.[1] ?? '?'} for the majority-class baseline.`,
          `**Served:** ${sent}`,
          `**Drift** (the served model's request log \`${requestLog(turns)}\` against the training split): ${driftLine(drift)}`,
          `**Card:** ${last?.result.split('\n')[0] ?? ''}`,
        ].join('\n\n'),
      );
    }
  }
}

/** The numbers a text claims (decimals and integers, thousands separators dropped). */
export function claimedNumbers(text: string): string[] {
  return [...text.replace(/(\d),(\d{3})/g, '$1$2').matchAll(/(?<![\w.])\d+(?:\.\d+)?(?![\w])/g)].map((m) => m[0]);
}
