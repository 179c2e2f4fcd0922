// The part of the kernel helper's Python (kernelHelperSource.ts) that every library shares: the
// request entry (handle, dispatch), the view's row positions cached per source handle, how a value
// crosses as a JSON-safe cell, and Table, the columns by name. dispatch hands the frame to
// PandasTable or PolarsTable (kernelHelperSourcePandas.ts, kernelHelperSourcePolars.ts), both
// Tables: the three parts run as one module, so each uses the others' names.

export const KERNEL_HELPER_COMMON = String.raw`
import json, math, sys, warnings, datetime, decimal, uuid

INSTANCE = uuid.uuid4().hex[:12]
MAX_TEXT = 2000
TOP = 10
BINS = 20
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
_views = {}

class _R:
    def __init__(self, text): self.text = text
    def __repr__(self): return self.text

class Problem(Exception):
    def __init__(self, code, message):
        Exception.__init__(self, message)
        self.code = code

def handle(ns, request):
    req = json.loads(request)
    try:
        with warnings.catch_warnings():
            # Nothing may print from a silent request (pandas' FutureWarnings, all-NaN slices).
            warnings.simplefilter("ignore")
            out = {"ok": dispatch(ns, req)}
    except Problem as e:
        out = {"problem": str(e), "code": e.code}
    except MemoryError:
        _views.pop(req.get("handle"), None)
        out = {"problem": "the kernel ran out of memory for this request", "code": "memory"}
    except Exception as e:
        out = {"error": "%s: %s" % (type(e).__name__, e)}
    try:
        return _R(json.dumps(out, allow_nan=False))
    except ValueError as e:
        return _R(json.dumps({"error": "the reply could not be written as JSON: %s" % e}))

def execution_count():
    ip = sys.modules.get("IPython")
    shell = ip.get_ipython() if ip is not None else None
    return getattr(shell, "execution_count", 0)

def dispatch(ns, req):
    op = req["op"]
    if op == "drop":
        _views.pop(req["handle"], None)
        return {}
    if op == "uninstall":
        _views.clear()
        sys.modules.pop(__name__, None)
        return {}
    name = req["name"]
    if name not in ns:
        raise Problem("missing", "%s is no longer defined in the kernel" % name)
    v = ns[name]
    lib = library_of(v)
    want = req.get("library")
    if lib is None or (want and lib != want):
        raise Problem("type", "%s is now %s, not %s" % (name, type_text(v), {"pandas": "a pandas DataFrame", "polars": "a polars DataFrame", "numpy": "a 1-D or 2-D numpy array"}.get(want, "a DataFrame or array")))
    t = PolarsTable(v) if lib == "polars" else PandasTable(v, lib)
    version = "%s:%s" % (INSTANCE, execution_count())
    if op == "probe":
        return {"library": lib, "version": version}
    view = req.get("view") or {"filters": [], "sort": []}
    positions = view_positions(req["handle"], name, v, t, view, version)
    rows = t.nrows if positions is None else len(positions)
    if op == "info":
        return {"columns": t.columns(), "totalRows": t.nrows, "viewRows": rows, "version": version, "library": lib}
    if op == "rows":
        offset = max(0, min(int(req["offset"]), rows))
        end = max(offset, min(rows, offset + max(0, int(req["limit"]))))
        take = range(offset, end) if positions is None else positions[offset:end]
        return {"offset": offset, "rows": t.rows(take), "version": version}
    j = t.index(req["column"])
    if op == "summarize":
        return t.summarize(j, positions)
    if op == "balance":
        return t.balance(j, positions, int(req["limit"]))
    raise Problem("request", "unknown request %s" % op)

def import_numpy():
    # polars frames do not import numpy themselves; our row positions are numpy arrays.
    import numpy
    return numpy

def type_text(v):
    t = type(v)
    return "a " + (t.__qualname__ if t.__module__ == "builtins" else t.__module__.split(".")[0] + "." + t.__qualname__)

def library_of(v):
    pd, pl, np = sys.modules.get("pandas"), sys.modules.get("polars"), sys.modules.get("numpy")
    if pd is not None and isinstance(v, pd.DataFrame):
        return "pandas"
    if pl is not None and isinstance(v, pl.DataFrame):
        return "polars"
    if np is not None and isinstance(v, np.ndarray) and v.ndim in (1, 2) and v.dtype.fields is None:
        return "numpy"
    return None

def view_positions(handle, name, v, t, view, version):
    """Row positions of the view (None: all rows in order), cached for this handle only."""
    if not view["filters"] and not view["sort"]:
        _views.pop(handle, None)
        return None
    key = (name, id(v), version, json.dumps(view, sort_keys=True))
    hit = _views.get(handle)
    if hit is not None and hit[0] == key:
        return hit[1]
    # One view per handle: the previous one's positions are freed before the new ones are made.
    _views.pop(handle, None)
    np = import_numpy()
    positions = None
    if view["filters"]:
        mask = None
        for f in view["filters"]:
            m = t.mask(t.index(f["column"]), f)
            mask = m if mask is None else (mask & m)
        positions = np.flatnonzero(mask)
    if view["sort"]:
        keys = [(t.index(k["column"]), bool(k["descending"])) for k in view["sort"]]
        positions = t.sort(keys, positions)
    dtype = np.int32 if t.nrows < 2**31 else np.int64
    positions = np.ascontiguousarray(positions, dtype=dtype)
    _views[handle] = (key, positions)
    return positions

# ---- cells ----

def cap(text):
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "\u2026"

def cell(x):
    """A value as it crosses: JSON numbers only where a double holds them exactly, text otherwise."""
    if x is None:
        return None
    if isinstance(x, bool):
        return x
    if isinstance(x, int):
        return x if -2**53 <= x <= 2**53 else str(x)
    if isinstance(x, float):
        if x != x:
            return None
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return x
    if isinstance(x, str):
        return cap(x)
    np, pd = sys.modules.get("numpy"), sys.modules.get("pandas")
    if np is not None and isinstance(x, np.generic):
        if isinstance(x, np.bool_):
            return bool(x)
        if isinstance(x, np.integer):
            return cell(int(x))
        if isinstance(x, np.floating):
            # float32's shortest text, not its widened double (0.1, not 0.10000000149011612).
            return cell(float(x) if x.dtype.itemsize == 8 else float(str(x)))
        if isinstance(x, (np.datetime64, np.timedelta64)):
            if np.isnat(x):
                return None
            if pd is not None:
                return cell(pd.Timestamp(x) if isinstance(x, np.datetime64) else pd.Timedelta(x))
            return str(x).replace("T", " ")
        if isinstance(x, np.bytes_):
            return cap(repr(bytes(x)))
        if isinstance(x, np.str_):
            return cap(str(x))
    if pd is not None:
        if x is pd.NaT or x is pd.NA:
            return None
        if isinstance(x, pd.Timestamp):
            return str(x)
    if isinstance(x, datetime.datetime):
        return str(x)
    if isinstance(x, (datetime.date, datetime.time, datetime.timedelta)):
        return str(x)
    if isinstance(x, decimal.Decimal):
        return None if x.is_nan() else str(x)
    if isinstance(x, (bytes, bytearray, memoryview)):
        return cap(repr(bytes(x)))
    try:
        text = str(x)
    except Exception as e:
        text = "<%s: str() failed: %s>" % (type(x).__name__, e)
    return cap(text)

def number(x):
    """A statistic as a JSON number, or None (NaN, inf, not a number)."""
    try:
        f = float(x)
    except Exception:
        return None
    return f if math.isfinite(f) else None

def unique_names(raw):
    # Names as text; a repeated name gets " (2)", " (3)": the grid addresses columns by name.
    seen, names = {}, []
    for c in raw:
        base = str(c)
        n = seen.get(base, 0) + 1
        seen[base] = n
        names.append(base if n == 1 else "%s (%d)" % (base, n))
    return names

class Table:
    """What PandasTable and PolarsTable share: the frame, its rows, its columns by unique name."""
    def __init__(self, df, nrows, raw_names):
        self.df, self.nrows = df, nrows
        self.names = unique_names(raw_names)
        self.by_name = {n: i for i, n in enumerate(self.names)}

    def index(self, name):
        j = self.by_name.get(name)
        if j is None:
            raise Problem("column", "there is no column %s" % name)
        return j
`;
