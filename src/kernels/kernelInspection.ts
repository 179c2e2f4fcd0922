import type { KernelConnection } from './jupyterLib';
import { formatBytes, formatCount } from '../common/units';

/** One variable in the kernel's namespace, as the Kernels tree and the agent show it. */
export interface KernelVariable {
  readonly name: string;
  readonly type: string;
  readonly shape?: readonly (number | null)[];
  readonly dtype?: string;
  readonly device?: string;
  /** Bytes held (arrays, tensors, data frames), when the object says. */
  readonly bytes?: number;
  /** len() for containers without a shape. */
  readonly length?: number;
  /** Parameters of a torch.nn.Module. */
  readonly parameters?: number;
  /** A short repr for scalars and strings. */
  readonly value?: string;
}

export interface KernelInspection {
  readonly pid: number;
  readonly host: string;
  readonly python: string;
  readonly cwd: string;
  readonly variables: readonly KernelVariable[];
  /** How many variables there were in all, when more than the list holds. */
  readonly total: number;
}

// Runs inside the user's kernel as a user_expression of a silent, history-less request: it
// defines nothing in the user's namespace, imports only what is already imported (torch and
// numpy are looked up in sys.modules, never imported) and prints nothing.
const INSPECT_SOURCE = String.raw`
import json, os, socket, sys, types
def run(ns):
    skip = {"In", "Out", "exit", "quit", "get_ipython"}
    hidden = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType, type)
    torch = sys.modules.get("torch")
    out, total = [], 0
    for name, v in list(ns.items()):
        if name.startswith("_") or name in skip or isinstance(v, hidden):
            continue
        total += 1
        if len(out) >= 300:
            continue
        try:
            t = type(v)
            item = {"name": name, "type": t.__qualname__ if t.__module__ == "builtins" else t.__module__.split(".")[0] + "." + t.__qualname__}
            shape = getattr(v, "shape", None)
            if shape is not None and not callable(shape):
                try:
                    item["shape"] = [None if d is None else int(d) for d in tuple(shape)]
                except Exception:
                    pass
            for key in ("dtype", "device"):
                a = getattr(v, key, None)
                if a is not None and not callable(a):
                    item[key] = str(a)
            nb = getattr(v, "nbytes", None)
            if isinstance(nb, int):
                item["bytes"] = nb
            elif torch is not None and isinstance(v, torch.Tensor):
                item["bytes"] = v.element_size() * v.nelement()
            elif hasattr(v, "memory_usage") and hasattr(v, "columns"):
                item["bytes"] = int(v.memory_usage(index=True, deep=False).sum())
            if torch is not None and isinstance(v, torch.nn.Module):
                item["parameters"] = sum(p.numel() for p in v.parameters())
                p = next(v.parameters(), None)
                if p is not None:
                    item["device"] = str(p.device)
            if "shape" not in item and isinstance(v, (list, tuple, dict, set, str, bytes)):
                item["length"] = len(v)
            if isinstance(v, (int, float, bool, complex, str)) or v is None:
                r = repr(v)
                item["value"] = r if len(r) <= 80 else r[:77] + "..."
            out.append(item)
        except Exception:
            out.append({"name": name, "type": "?"})
    return json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "python": sys.executable,
                       "cwd": os.getcwd(), "variables": out, "total": total})
class _R:
    def __init__(self, text): self.text = text
    def __repr__(self): return self.text
result = _R(run(NS))
`;

/** The user expression: evaluates the inspection in a fresh dict, over the user's globals. */
export const INSPECT_EXPRESSION = `(lambda d: (exec(${JSON.stringify(INSPECT_SOURCE)}, d), d["result"])[1])({"NS": globals()})`;

/**
 * Reads the kernel's variables, pid and host without touching the user's history, execution
 * count or namespace. Waits at most `timeoutMs`: a busy kernel answers only after its cell.
 */
export async function inspectKernel(kernel: KernelConnection, timeoutMs = 10_000): Promise<KernelInspection> {
  const future = kernel.requestExecute(
    { code: '', silent: true, store_history: false, allow_stdin: false, stop_on_error: false, user_expressions: { inspection: INSPECT_EXPRESSION } },
    true,
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the kernel did not answer within ${timeoutMs / 1000} s (it is busy)`)), timeoutMs);
  });
  try {
    const reply = await Promise.race([future.done, timeout]);
    return parseInspectionReply(reply.content);
  } finally {
    clearTimeout(timer);
    if (!future.isDisposed) future.dispose();
  }
}

export function parseInspectionReply(content: unknown): KernelInspection {
  const expressions = (content as { user_expressions?: Record<string, unknown> }).user_expressions ?? {};
  const value = expressions.inspection as { status?: string; data?: Record<string, unknown>; ename?: string; evalue?: string } | undefined;
  if (!value) throw new Error('the kernel returned no inspection (is it a Python kernel?)');
  if (value.status !== 'ok') throw new Error(`the inspection failed in the kernel: ${value.ename ?? 'error'}: ${value.evalue ?? ''}`);
  const text = value.data?.['text/plain'];
  if (typeof text !== 'string') throw new Error('the kernel returned the inspection without text');
  const parsed = JSON.parse(text) as KernelInspection;
  if (typeof parsed.pid !== 'number' || !Array.isArray(parsed.variables)) throw new Error('the inspection had an unexpected shape');
  return parsed;
}

/** One line per variable: `x  Tensor (64, 3, 224, 224) float32 cuda:0, 38.5 MB`. */
export function describeVariable(v: KernelVariable): string {
  const parts: string[] = [];
  if (v.shape) parts.push(`(${v.shape.map((d) => (d === null ? '?' : String(d))).join(', ')})`);
  if (v.dtype) parts.push(v.dtype.replace(/^torch\./, ''));
  if (v.device && v.device !== 'cpu') parts.push(v.device);
  if (v.parameters !== undefined) parts.push(`${formatCount(v.parameters)} params`);
  if (v.length !== undefined) parts.push(`len ${v.length}`);
  if (v.bytes !== undefined) parts.push(formatBytes(v.bytes));
  if (v.value !== undefined) parts.push(`= ${v.value}`);
  return parts.join(' ');
}

