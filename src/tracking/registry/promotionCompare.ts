import { formatBytes as formatUnitBytes } from '../../common/units';
import type { VersionFacts } from './versionFacts';

// The model side of Promote…'s confirmation: the candidate's inputs, outputs and size against the
// version that holds the alias or stage now, each line marked "same" or "changed". A changed
// input or output signature is a warning (callers of @champion would send or get something
// else); a side with no MLmodel signature, or files not on this machine, is said, never guessed.

export interface ComparedSide {
  readonly version: number;
  /** undefined: the version's model files are not on this machine. */
  readonly facts?: VersionFacts;
}

export interface ModelComparisonText {
  readonly lines: readonly string[];
  /** Short reasons to look twice, shown first (a changed signature). */
  readonly warnings: readonly string[];
}

function formatBytes(n: number): string {
  return formatUnitBytes(n, { significant: 3 });
}

const MAX_LISTED = 6;

function listed(lines: readonly string[]): string {
  return lines.length <= MAX_LISTED ? lines.join(', ') : `${lines.slice(0, MAX_LISTED).join(', ')}, … (${lines.length} in all)`;
}

/** One signature part (inputs, outputs, params) of both sides. */
function schemaLines(label: string, a: ComparedSide, b: ComparedSide, pick: (f: VersionFacts) => readonly string[] | undefined, warn: boolean, warnings: string[]): string[] {
  const was = a.facts ? pick(a.facts) : undefined;
  const now = b.facts ? pick(b.facts) : undefined;
  if (!was && !now) return label === 'Params' ? [] : [`${label}: no signature logged in either version`];
  if (!was || !now) return [`${label}: v${a.version} ${was ? listed(was) : 'has no signature'}; v${b.version} ${now ? listed(now) : 'has no signature'} (not compared)`];
  const before = new Set(was);
  const after = new Set(now);
  const removed = was.filter((x) => !after.has(x));
  const added = now.filter((x) => !before.has(x));
  if (removed.length === 0 && added.length === 0) return [`${label}: same (${listed(now)})${was.join('\n') !== now.join('\n') ? ', in another order' : ''}`];
  if (warn) warnings.push(`The ${label.toLowerCase()} change: whatever calls v${a.version} today may break on v${b.version}.`);
  return [`${label}: CHANGED`, ...removed.map((x) => `  − ${x}  (v${a.version})`), ...added.map((x) => `  + ${x}  (v${b.version})`)];
}

/** The candidate `b` against the holder `a` (or alone, when nothing holds the alias or stage). */
export function compareModelSides(a: ComparedSide | undefined, b: ComparedSide): ModelComparisonText {
  const lines: string[] = [];
  const warnings: string[] = [];
  if (!b.facts) return { lines: [`The model files of v${b.version} are not on this machine: inputs, outputs and size not read.`], warnings };
  if (!a) {
    const f = b.facts;
    lines.push(`Inputs: ${f.inputs ? listed(f.inputs) : 'no signature logged'}`, `Outputs: ${f.outputs ? listed(f.outputs) : 'no signature logged'}`);
    if (f.sizeBytes !== undefined) lines.push(`Size: ${formatBytes(f.sizeBytes)}`);
    for (const p of f.problems) lines.push(`v${b.version}: ${p}`);
    return { lines, warnings };
  }
  if (!a.facts) {
    lines.push(`The model files of v${a.version} are not on this machine: inputs, outputs and size not compared.`);
    return { lines, warnings };
  }
  lines.push(...schemaLines('Inputs', a, b, (f) => f.inputs, true, warnings));
  lines.push(...schemaLines('Outputs', a, b, (f) => f.outputs, true, warnings));
  lines.push(...schemaLines('Params', a, b, (f) => f.params, true, warnings));
  const fa = a.facts;
  const fb = b.facts;
  if (fa.flavors.join() !== fb.flavors.join()) lines.push(`Flavors: CHANGED, ${fa.flavors.join(', ') || 'none'} → ${fb.flavors.join(', ') || 'none'}`);
  if (fa.sizeBytes !== undefined && fb.sizeBytes !== undefined) {
    const change = fa.sizeBytes === 0 ? '' : ` (${fb.sizeBytes >= fa.sizeBytes ? '+' : ''}${((100 * (fb.sizeBytes - fa.sizeBytes)) / fa.sizeBytes).toFixed(0)}%)`;
    lines.push(fa.sizeBytes === fb.sizeBytes ? `Size: same (${formatBytes(fb.sizeBytes)})` : `Size: ${formatBytes(fa.sizeBytes)} → ${formatBytes(fb.sizeBytes)}${change}`);
  }
  for (const [side, f] of [[a, fa], [b, fb]] as const) for (const p of f.problems) lines.push(`v${side.version}: ${p}`);
  return { lines, warnings };
}

/** What the latency comparison can be: both ONNX can be measured here; otherwise why not. */
export function latencyNote(a: ComparedSide | undefined, b: ComparedSide): string | undefined {
  if (!a) return undefined;
  if (a.facts?.onnx && b.facts?.onnx) return `Latency: both are ONNX: "Compare Latency" runs both with onnxruntime on the same inputs before you decide.`;
  const kind = (s: ComparedSide): string => (!s.facts ? 'not on this machine' : s.facts.onnx ? 'ONNX' : s.facts.flavors.join('/') || 'not ONNX');
  return `Latency: not measured (v${a.version} is ${kind(a)}, v${b.version} is ${kind(b)}; the benchmark runs ONNX models).`;
}
