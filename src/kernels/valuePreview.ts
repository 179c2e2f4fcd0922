import type { KernelConnection } from './jupyterLib';
import { evaluateSilently, kernelExpression } from './kernelInspection';

// A preview of one DataFrame, Series, array or tensor in the user's kernel, read by a silent
// request (no history, no execution count, nothing defined): shape, dtypes, the first and last
// rows, and for arrays and tensors min / max / mean. Bounded: rows, columns and column widths
// are capped, statistics of a huge tensor are taken over its first values only, and the text
// is cut at MAX_PREVIEW_CHARS. pandas, numpy and torch are looked up in sys.modules, never imported.

/** Characters of preview text kept. */
export const MAX_PREVIEW_CHARS = 64_000;
/** Rows shown from each end. */
export const PREVIEW_ROWS = 10;
/** Statistics of more values than this are taken over the first ones (a copy of a 10 GB tensor is not made). */
export const MAX_STATS_VALUES = 10_000_000;

const PREVIEW_SOURCE = String.raw`
import json, sys, warnings
def run(ns, name, rows, limit, stats_max):
    with warnings.catch_warnings():
        # An all-NaN slice warns; nothing is printed from a silent request.
        warnings.simplefilter("ignore")
        return preview(ns, name, rows, limit, stats_max)
def preview(ns, name, rows, limit, stats_max):
    if name not in ns:
        return json.dumps({"missing": True})
    v = ns[name]
    pd, np, torch = sys.modules.get("pandas"), sys.modules.get("numpy"), sys.modules.get("torch")
    t = type(v)
    lines = ["%s: %s" % (name, t.__qualname__ if t.__module__ == "builtins" else t.__module__ + "." + t.__qualname__)]
    def add(label, text):
        lines.append("")
        lines.append(label)
        lines.append(str(text))
    def stat(label, fn):
        try:
            lines.append("  %-6s %s" % (label, fn()))
        except Exception as e:
            lines.append("  %-6s (%s)" % (label, type(e).__name__))
    if pd is not None and isinstance(v, (pd.DataFrame, pd.Series)):
        frame = isinstance(v, pd.DataFrame)
        lines.append("shape: %s" % (tuple(v.shape),))
        lines.append("memory: %d bytes (without object contents)" % int(v.memory_usage(index=True, deep=False).sum() if frame else v.memory_usage(index=True, deep=False)))
        if frame:
            # By position: column names may repeat.
            cols = [str(c)[:80] for c in v.columns[:200]]
            dtypes = [str(d) for d in v.dtypes.iloc[:200]]
            missing = [int(m) for m in v.iloc[:, :200].isna().sum()]
            width = max([len(c) for c in cols] + [6])
            more = "\n  ... %d more columns" % (len(v.columns) - 200) if len(v.columns) > 200 else ""
            add("columns (dtype, missing values):", "\n".join("  %-*s %-14s %d" % (width, c, d, m) for c, d, m in zip(cols, dtypes, missing)) + more)
        else:
            lines.append("dtype: %s, missing values: %d" % (v.dtype, int(v.isna().sum())))
        show = dict(max_cols=30, max_colwidth=50) if frame else {}
        add("first %d rows:" % min(rows, len(v)), v.head(rows).to_string(**show))
        if len(v) > rows:
            add("last %d rows:" % min(rows, len(v) - rows), v.tail(min(rows, len(v) - rows)).to_string(**show))
    elif (torch is not None and isinstance(v, torch.Tensor)) or (np is not None and isinstance(v, np.ndarray)):
        is_torch = torch is not None and isinstance(v, torch.Tensor)
        lines.append("shape: %s" % (tuple(v.shape),))
        lines.append("dtype: %s" % v.dtype)
        if is_torch:
            lines.append("device: %s, requires_grad: %s" % (v.device, v.requires_grad))
        n = int(v.numel()) if is_torch else int(v.size)
        if n > 0:
            lines.append("")
            flat = v.reshape(-1) if (n <= stats_max or (v.is_contiguous() if is_torch else v.flags.c_contiguous)) else None
            if flat is None:
                lines.append("statistics: not taken (%d values, not contiguous)" % n)
            else:
                part = flat[:stats_max]
                lines.append("statistics%s:" % ("" if n <= stats_max else " of the first %d of %d values" % (stats_max, n)))
                if is_torch:
                    with torch.no_grad():
                        if part.is_complex():
                            lines.append("  (complex values: none taken)")
                        else:
                            x = part if part.is_floating_point() else part.to(torch.float64)
                            if part.is_floating_point():
                                stat("NaN", lambda: int(torch.isnan(x).sum().item()))
                            stat("min", lambda: x.min().item())
                            stat("max", lambda: x.max().item())
                            stat("mean", lambda: x.mean(dtype=torch.float64).item() if x.dtype != torch.float64 else x.mean().item())
                elif part.dtype.kind in "biuf":
                    if part.dtype.kind == "f":
                        stat("NaN", lambda: int(np.isnan(part).sum()))
                        stat("min", lambda: np.nanmin(part).item())
                        stat("max", lambda: np.nanmax(part).item())
                        stat("mean", lambda: np.nanmean(part, dtype=np.float64).item())
                    else:
                        stat("min", lambda: part.min().item())
                        stat("max", lambda: part.max().item())
                        stat("mean", lambda: part.mean(dtype=np.float64).item())
                else:
                    lines.append("  (%s values: none taken)" % part.dtype)
        def rows_text(a):
            # Both summarise past their thresholds: a row of a million values prints a few of them.
            return str(a.detach()) if is_torch else np.array2string(a, threshold=400, edgeitems=3, max_line_width=160)
        if v.ndim == 0:
            add("value:", rows_text(v))
        else:
            # A batch of images is a screenful per item: two from each end.
            k = rows if v.ndim <= 2 else 2
            add("first %d rows:" % min(k, v.shape[0]), rows_text(v[:k]))
            if v.shape[0] > k:
                add("last %d rows:" % min(k, v.shape[0] - k), rows_text(v[-min(k, v.shape[0] - k):]))
    else:
        import reprlib
        r = reprlib.Repr()
        # Room for the header: the repr keeps its start and end, the text is not cut again.
        r.maxstring = r.maxother = limit - 2000
        r.maxlist = r.maxtuple = r.maxset = r.maxdict = 200
        add("value:", r.repr(v))
    text = "\n".join(lines)
    return json.dumps({"text": text[:limit], "truncated": len(text) > limit})
result = _R(run(NS, NAME, ROWS, LIMIT, STATS_MAX))
`;

export interface ValuePreview {
  readonly text: string;
  /** The text was cut at MAX_PREVIEW_CHARS. */
  readonly truncated: boolean;
}

/** The preview of the variable `name` in `kernel`; undefined when it is no longer defined. */
export async function previewKernelValue(kernel: KernelConnection, name: string, timeoutMs = 30_000): Promise<ValuePreview | undefined> {
  const expression = kernelExpression(PREVIEW_SOURCE, { NAME: name, ROWS: PREVIEW_ROWS, LIMIT: MAX_PREVIEW_CHARS, STATS_MAX: MAX_STATS_VALUES });
  const parsed = JSON.parse(await evaluateSilently(kernel, expression, timeoutMs, 'preview')) as ValuePreview | { missing: true };
  return 'missing' in parsed ? undefined : parsed;
}
