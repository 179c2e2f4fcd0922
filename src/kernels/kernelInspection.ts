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

/**
 * Python: a type's name as people write it: the shortest public module path that reaches it
 * (torch.nn.Sequential, pandas.DataFrame, numpy.ndarray), else its defining module's
 * (torch.nn.modules.container.Sequential for a class no package re-exports).
 */
const TYPE_NAME_SOURCE = String.raw`
def type_name(t, cache={}):
    if t in cache:
        return cache[t]
    module, qualname = getattr(t, "__module__", None) or "?", getattr(t, "__qualname__", None) or t.__name__
    name = qualname if module == "builtins" else module + "." + qualname
    parts = module.split(".")
    for i in range(1, len(parts)):
        m = sys.modules.get(".".join(parts[:i]))
        # The module's own dict: a module __getattr__ may import on lookup.
        found = getattr(m, "__dict__", {}).get(qualname.split(".")[0])
        for attr in qualname.split(".")[1:]:
            found = getattr(found, attr, None)
        if found is t:
            name = ".".join(parts[:i]) + "." + qualname
            break
    cache[t] = name
    return name
`;

// Runs inside the user's kernel as a user_expression of a silent, history-less request: it
// defines nothing in the user's namespace, imports only what is already imported (torch and
// numpy are looked up in sys.modules, never imported) and prints nothing.
const INSPECT_SOURCE = String.raw`
import json, os, socket, sys, types
${TYPE_NAME_SOURCE}
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
            item = {"name": name, "type": type_name(t)}
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
result = _R(run(NS))
`;

/** The user expression: evaluates the inspection in a fresh dict, over the user's globals. */
export const INSPECT_EXPRESSION = kernelExpression(INSPECT_SOURCE);

/**
 * A user expression that runs `source` in a fresh dict holding the user's globals as NS and
 * `values` (JSON: valid Python literals) under their names; `source` sets `result` to an _R,
 * whose repr is the text the reply carries.
 */
export function kernelExpression(source: string, values: Readonly<Record<string, string | number>> = {}): string {
  const prelude = 'class _R:\n    def __init__(self, text): self.text = text\n    def __repr__(self): return self.text\n';
  const extra = Object.entries(values).map(([k, v]) => `, ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join('');
  return `(lambda d: (exec(${JSON.stringify(prelude + source)}, d), d["result"])[1])({"NS": globals()${extra}})`;
}

/**
 * The text one user expression evaluates to, from a silent request that leaves the user's history,
 * execution count and namespace alone. Waits at most `timeoutMs`: a busy kernel answers only after its cell.
 */
export async function evaluateSilently(kernel: KernelConnection, expression: string, timeoutMs: number, what: string, signal?: AbortSignal): Promise<string> {
  signal?.throwIfAborted();
  const future = kernel.requestExecute(
    { code: '', silent: true, store_history: false, allow_stdin: false, stop_on_error: false, user_expressions: { value: expression } },
    true,
  );
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the kernel did not answer within ${timeoutMs / 1000} s (it is busy)`)), timeoutMs);
    // An aborted caller stops waiting; the kernel finishes the request and its reply is dropped.
    onAbort = () => reject(signal?.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError'));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const reply = await Promise.race([future.done, timeout]);
    return expressionText(reply.content, 'value', what);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    if (!future.isDisposed) future.dispose();
  }
}

function expressionText(content: unknown, key: string, what: string): string {
  const expressions = (content as { user_expressions?: Record<string, unknown> }).user_expressions ?? {};
  const value = expressions[key] as { status?: string; data?: Record<string, unknown>; ename?: string; evalue?: string } | undefined;
  if (!value) throw new Error(`the kernel returned no ${what} (is it a Python kernel?)`);
  if (value.status !== 'ok') throw new Error(`the ${what} failed in the kernel: ${value.ename ?? 'error'}: ${value.evalue ?? ''}`);
  const text = value.data?.['text/plain'];
  if (typeof text !== 'string') throw new Error(`the kernel returned the ${what} without text`);
  return text;
}

/** Reads the kernel's variables, pid and host without touching the user's history, execution count or namespace. */
export async function inspectKernel(kernel: KernelConnection, timeoutMs = 10_000): Promise<KernelInspection> {
  return parseInspection(await evaluateSilently(kernel, INSPECT_EXPRESSION, timeoutMs, 'inspection'));
}

export function parseInspectionReply(content: unknown): KernelInspection {
  return parseInspection(expressionText(content, 'inspection', 'inspection'));
}

function parseInspection(text: string): KernelInspection {
  const parsed = JSON.parse(text) as KernelInspection;
  if (typeof parsed.pid !== 'number' || !Array.isArray(parsed.variables)) throw new Error('the inspection had an unexpected shape');
  return parsed;
}

/** What the Kernels view's tooltip shows of one variable: its full type and a bounded repr. */
export interface KernelValue {
  /** The type as people write it (torch.nn.Sequential) and where it is defined (torch.nn.modules.container.Sequential). */
  readonly type: string;
  readonly definedAs: string;
  /** reprlib's repr: containers and strings cut by count, any other repr cut at the limit (start and end kept). */
  readonly repr: string;
  readonly truncated: boolean;
}

/** Characters of repr a tooltip shows. */
export const MAX_TOOLTIP_REPR = 4000;

const VALUE_SOURCE = String.raw`
import json, reprlib, sys
${TYPE_NAME_SOURCE}
def run(ns, name, limit):
    if name not in ns:
        return json.dumps({"missing": True})
    v = ns[name]
    t = type(v)
    r = reprlib.Repr()
    r.maxlevel = 4
    r.maxstring = r.maxother = limit
    r.maxlist = r.maxtuple = r.maxset = r.maxfrozenset = r.maxdeque = r.maxarray = 100
    r.maxdict = 50
    r.maxlong = 400
    try:
        text = r.repr(v)
    except Exception as e:
        text = "<repr failed: %s: %s>" % (type(e).__name__, e)
    defined = t.__qualname__ if t.__module__ == "builtins" else t.__module__ + "." + t.__qualname__
    return json.dumps({"type": type_name(t), "definedAs": defined, "repr": text[:limit], "truncated": len(text) > limit})
result = _R(run(NS, NAME, LIMIT))
`;

/** One variable's type and bounded repr, read silently; undefined when it is no longer defined. */
export async function describeKernelValue(kernel: KernelConnection, name: string, timeoutMs = 3_000): Promise<KernelValue | undefined> {
  const text = await evaluateSilently(kernel, kernelExpression(VALUE_SOURCE, { NAME: name, LIMIT: MAX_TOOLTIP_REPR }), timeoutMs, 'value');
  const parsed = JSON.parse(text) as KernelValue | { missing: true };
  return 'missing' in parsed ? undefined : parsed;
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

