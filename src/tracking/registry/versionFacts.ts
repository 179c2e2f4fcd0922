import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { asMapping } from '../ownProps';
import { parseTrackingYaml } from '../trackingValues';
import { modelFilesIn } from './versionFiles';

// What Promote… compares between the version that holds an alias or stage and the candidate,
// read from the version's local model folder: the MLmodel file MLflow writes beside every logged
// model (mlflow/models/model.py Model.to_dict: flavors, signature with inputs/outputs/params as
// JSON strings of ColSpec / TensorSpec lists (mlflow/types/schema.py), model_size_bytes from
// MLflow 2.x, mlflow_version) and the size of its files on disk. Bounded: an MLmodel over 1 MiB
// or a folder of more than MAX_ENTRIES entries is a problem, never a stall.

const MAX_MLMODEL_BYTES = 1024 * 1024;
const MAX_ENTRIES = 5000;

export interface VersionFacts {
  /** One line per input/output (`name: type`, or `tensor float64 [-1]`), as MLflow's signature says; undefined when none was logged. */
  readonly inputs?: readonly string[];
  readonly outputs?: readonly string[];
  readonly params?: readonly string[];
  readonly flavors: readonly string[];
  readonly mlflowVersion?: string;
  /** Bytes of the model's files on disk (the folder, or the one file). */
  readonly sizeBytes?: number;
  /** The ONNX file, when the model has one (latency can then be measured with onnxruntime). */
  readonly onnx?: string;
  readonly problems: readonly string[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

/** One ColSpec or TensorSpec as a short line (mlflow/types/schema.py to_dict shapes). */
function specText(spec: unknown, index: number): string {
  const s = asMapping(spec);
  if (!s) return `#${index}: ${JSON.stringify(spec)}`;
  // An unnamed spec (a bare `[{"type": "long"}]` output) is its type alone.
  const name = str(s.name) === undefined ? '' : `${str(s.name)}: `;
  const optional = s.required === false ? ' (optional)' : '';
  if (s.type === 'tensor') {
    const t = asMapping(s['tensor-spec']);
    const shape = Array.isArray(t?.shape) ? `[${t.shape.map((d) => String(d)).join(', ')}]` : '[?]';
    return `${name}tensor ${str(t?.dtype) ?? '?'} ${shape}${optional}`;
  }
  return `${name}${typeText(s)}${optional}`;
}

function typeText(s: Record<string, unknown>, depth = 0): string {
  const type = str(s.type) ?? '?';
  if (depth > 4) return type;
  if (type === 'array') {
    const items = asMapping(s.items);
    return `array<${items ? typeText(items, depth + 1) : '?'}>`;
  }
  if (type === 'object') {
    const props = asMapping(s.properties);
    if (!props) return 'object';
    return `object{${Object.entries(props).map(([k, v]) => `${k}: ${asMapping(v) ? typeText(asMapping(v)!, depth + 1) : '?'}`).join(', ')}}`;
  }
  return type;
}

/** A signature field (a JSON string in MLmodel) as lines; undefined when absent or null. */
function schemaLines(value: unknown, what: string, problems: string[]): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      problems.push(`MLmodel: the signature's ${what} are not JSON`);
      return undefined;
    }
  }
  // A params schema is a list of ParamSpec ({name, type, default, shape}).
  if (!Array.isArray(parsed)) {
    problems.push(`MLmodel: the signature's ${what} are not a list`);
    return undefined;
  }
  return parsed.map((spec, i) => specText(spec, i));
}

/** Sum of the file sizes under `path` (its own size for a file), bounded by MAX_ENTRIES. */
function sizeOnDisk(path: string): { bytes: number; complete: boolean } {
  const top = lstatSync(path);
  if (!top.isDirectory()) return { bytes: top.size, complete: true };
  let bytes = 0;
  let seen = 0;
  const stack = [path];
  while (stack.length) {
    const dir = stack.pop()!;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (++seen > MAX_ENTRIES) return { bytes, complete: false };
      const full = join(dir, entry.name);
      if (entry.isDirectory()) stack.push(full);
      else if (entry.isFile()) bytes += lstatSync(full).size;
    }
  }
  return { bytes, complete: true };
}

/** The facts of a version's local model (folder or file); `undefined` path: not on this machine. */
export function versionFacts(path: string): VersionFacts {
  const problems: string[] = [];
  let files: string[] = [];
  let sizeBytes: number | undefined;
  try {
    files = modelFilesIn(path);
    const size = sizeOnDisk(path);
    if (size.complete) sizeBytes = size.bytes;
    else problems.push(`more than ${MAX_ENTRIES} files: size not summed`);
  } catch (error) {
    problems.push((error as Error).message);
  }
  const onnx = files.find((f) => /\.onnx$/i.test(f));
  const mlmodel = files.find((f) => /(^|[\\/])MLmodel$/.test(f));
  if (!mlmodel) return { flavors: [], ...(sizeBytes !== undefined ? { sizeBytes } : {}), ...(onnx ? { onnx } : {}), problems };
  let doc: Record<string, unknown> | undefined;
  try {
    if (statSync(mlmodel).size > MAX_MLMODEL_BYTES) throw new Error(`larger than ${MAX_MLMODEL_BYTES} bytes`);
    doc = asMapping(parseTrackingYaml(readFileSync(mlmodel, 'utf8')));
    if (!doc) throw new Error('not a YAML mapping');
  } catch (error) {
    problems.push(`MLmodel: ${(error as Error).message}`);
  }
  const signature = asMapping(doc?.signature);
  const inputs = schemaLines(signature?.inputs, 'inputs', problems);
  const outputs = schemaLines(signature?.outputs, 'outputs', problems);
  const params = schemaLines(signature?.params, 'params', problems);
  const flavors = Object.keys(asMapping(doc?.flavors) ?? {}).sort();
  const declared = typeof doc?.model_size_bytes === 'number' ? doc.model_size_bytes : undefined;
  const mlflowVersion = str(doc?.mlflow_version);
  return {
    ...(inputs ? { inputs } : {}),
    ...(outputs ? { outputs } : {}),
    ...(params ? { params } : {}),
    flavors,
    ...(mlflowVersion ? { mlflowVersion } : {}),
    ...((sizeBytes ?? declared) !== undefined ? { sizeBytes: sizeBytes ?? declared } : {}),
    ...(onnx ? { onnx } : {}),
    problems,
  };
}
