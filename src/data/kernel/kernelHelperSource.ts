// The Python half of KernelDatasetSource: installed once per kernel process as a module in
// sys.modules (never in the user's namespace), then called by silent, history-less requests
// (user_expressions) with the user's globals and a JSON request. pandas and polars do the work
// inside the kernel: filters are boolean masks over the whole frame (AND), sorts are stable with
// nulls last in both directions, and the resulting row positions are cached per source handle,
// keyed by (variable, object id, execution count, view), so paging never sorts again. Only the
// requested slice, summary or label balance is sent back, as JSON-safe cells.
// numpy arrays are viewed as a pandas DataFrame without a copy (pandas is imported if it is not).

export const KERNEL_HELPER_SOURCE = String.raw`
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

# ---- pandas (and numpy through pandas) ----

class PandasTable:
    def __init__(self, v, lib):
        import pandas as pd
        np = import_numpy()
        self.pd, self.np = pd, np
        if lib == "numpy":
            a = v if v.ndim == 2 else v.reshape(-1, 1)
            # A view of the array, not a copy: one block over the same memory.
            self.df = pd.DataFrame(a, copy=False)
        else:
            self.df = v
        self.nrows = len(self.df)
        self.names = unique_names(self.df.columns)
        self.by_name = {n: i for i, n in enumerate(self.names)}

    def index(self, name):
        j = self.by_name.get(name)
        if j is None:
            raise Problem("column", "there is no column %s" % name)
        return j

    def col(self, j):
        return self.df.iloc[:, j]

    def kind(self, dtype, s=None):
        pd, t = self.pd, self.pd.api.types
        if isinstance(dtype, pd.CategoricalDtype):
            return self.kind(dtype.categories.dtype)
        if dtype == object:
            if s is None:
                return "string"
            sample = s.iloc[:1000].dropna()
            if len(sample) and isinstance(sample.iloc[0], (list, tuple, dict, set)):
                return "nested"
            inferred = t.infer_dtype(sample, skipna=True)
            return {"string": "string", "empty": "string", "integer": "integer", "floating": "float", "mixed-integer-float": "float",
                    "decimal": "decimal", "boolean": "boolean", "datetime": "timestamp", "datetime64": "timestamp", "date": "date",
                    "time": "time", "timedelta": "interval", "timedelta64": "interval", "bytes": "binary"}.get(inferred, "other")
        if t.is_bool_dtype(dtype):
            return "boolean"
        if t.is_integer_dtype(dtype):
            return "integer"
        if t.is_float_dtype(dtype):
            return "float"
        if t.is_datetime64_any_dtype(dtype):
            return "timestamp"
        if t.is_timedelta64_dtype(dtype):
            return "interval"
        if t.is_string_dtype(dtype):
            return "string"
        return "other"

    def columns(self):
        out = []
        for j, name in enumerate(self.names):
            s = self.col(j)
            out.append({"name": name, "type": str(s.dtype), "kind": self.kind(s.dtype, s)})
        return out

    def rows(self, take):
        if len(take) == 0:
            return []
        if isinstance(take, range):
            page = self.df.iloc[take.start:take.stop]
            series = [page.iloc[:, j] for j in range(page.shape[1])]
        else:
            # Column by column: df.iloc[positions] would build (and cache on the user's frame)
            # its RangeIndex as an array, 80 MB for 10 million rows.
            series = [self.pd.Series(self.col(j).array.take(take), copy=False) for j in range(self.df.shape[1])]
        cols = []
        for s in series:
            # float32 values stay numpy scalars, so each is written as its own shortest text.
            values = s.to_numpy() if s.dtype.kind == "f" and s.dtype.itemsize < 8 else s.tolist()
            cols.append([cell(x) for x in values])
        return [list(r) for r in zip(*cols)] if cols else [[] for _ in range(len(take))]

    def values(self, j, positions):
        # The column's own array (no copy) or the view's rows of it, under a fresh RangeIndex.
        s = self.col(j)
        return self.pd.Series(s.array if positions is None else s.array.take(positions), name=s.name, copy=False)

    # filters: a boolean numpy mask over every row
    def coerce(self, s, value):
        pd, t = self.pd, self.pd.api.types
        if value is None:
            return None
        dtype = s.dtype.categories.dtype if isinstance(s.dtype, pd.CategoricalDtype) else s.dtype
        try:
            if t.is_datetime64_any_dtype(dtype):
                ts = pd.Timestamp(value)
                tz = getattr(dtype, "tz", None)
                if tz is not None and ts.tzinfo is None:
                    ts = ts.tz_localize(tz)
                return ts
            if t.is_timedelta64_dtype(dtype):
                return pd.Timedelta(value)
            if t.is_bool_dtype(dtype):
                return value if isinstance(value, bool) else str(value).lower() in ("true", "1")
            if t.is_integer_dtype(dtype):
                if isinstance(value, float) and not value.is_integer():
                    return value
                return int(value)
            if t.is_float_dtype(dtype):
                return float(value)
        except (ValueError, TypeError) as e:
            raise Problem("filter", "%r is not a value of column %s (%s): %s" % (value, s.name, s.dtype, e))
        return value

    def mask(self, j, f):
        pd, np = self.pd, self.np
        s = self.col(j)
        op = f["op"]
        if op == "isNull":
            m = s.isna().to_numpy()
            return ~m if f.get("negate") else m
        if op == "topK":
            # Ties broken by value, as Copy as Code's pandas does (src/data/copyAsCode.ts).
            counts = s.value_counts(dropna=True)
            try:
                counts = counts.sort_index().sort_values(ascending=False, kind="stable")
            except TypeError:
                pass
            return s.isin(counts.index[: max(1, int(f["k"]))]).to_numpy()
        if isinstance(s.dtype, pd.CategoricalDtype):
            # Decided once per category, then looked up by code: no 10-million-row copy.
            cats = pd.Series(s.cat.categories)
            hit = self.condition(cats, f).to_numpy(dtype=bool)
            codes = s.cat.codes.to_numpy()
            return np.where(codes >= 0, hit[np.maximum(codes, 0)] if len(hit) else False, False)
        return self.condition(s, f).to_numpy(dtype=bool)

    def condition(self, s, f):
        op = f["op"]
        try:
            if op == "range":
                m = s.notna()
                if f.get("min") is not None:
                    m &= s >= self.coerce(s, f["min"])
                if f.get("max") is not None:
                    m &= s <= self.coerce(s, f["max"])
                return m.fillna(False).astype(bool)
            if op == "equals":
                value = self.coerce(s, f.get("value"))
                if value is None:
                    return s.isna()
                return (s == value).fillna(False).astype(bool)
            if op == "contains":
                text = str(f["text"])
                case = bool(f.get("caseSensitive"))
                strings = s if s.dtype == object else s.astype(str)
                m = strings.astype(str).str.contains(text, case=case, regex=False)
                return (m & s.notna()).fillna(False).astype(bool)
        except TypeError as e:
            raise Problem("filter", "column %s (%s) cannot be filtered that way: %s" % (s.name, s.dtype, e))
        raise Problem("filter", "unknown filter %s" % op)

    def sort(self, keys, positions):
        # Least significant key first, each pass a stable argsort of the rows in the order so
        # far: lexicographic over the keys, ties in the frame's order. pandas' own argsort
        # (what sort_values uses, without copying the frame): descending stays stable, nulls last.
        np = self.np
        order = None
        for j, desc in reversed(keys):
            rows = positions if order is None else (order if positions is None else positions[order])
            arr = self.values(j, rows).array
            try:
                step = arr.argsort(ascending=not desc, kind="stable", na_position="last")
            except TypeError:
                # Mixed types in an object column (1 and "a"): ordered by their text, nulls still last.
                text = self.pd.Series(arr).map(lambda x: None if x is None or x != x else str(x)).array
                step = text.argsort(ascending=not desc, kind="stable", na_position="last")
            order = step if order is None else order[step]
            del arr
        return order if positions is None else positions[order]

    def summarize(self, j, positions):
        pd, np, t = self.pd, self.np, self.pd.api.types
        s = self.values(j, positions)
        kind = self.kind(s.dtype, s)
        nulls = int(s.isna().sum())
        out = {"column": self.names[j], "kind": kind, "type": str(s.dtype), "count": len(s), "nulls": nulls, "distinctApproximate": False}
        try:
            out["distinct"] = int(s.nunique(dropna=True))
        except TypeError:
            out["distinct"] = int(s.dropna().map(repr).nunique())
        present = s.dropna()
        categorical = isinstance(s.dtype, pd.CategoricalDtype)
        if kind in ("integer", "float") and not categorical and s.dtype != object and len(present):
            x = present.to_numpy(dtype="float64")
            out["min"], out["max"] = cell(present.min()), cell(present.max())
            finite = x[np.isfinite(x)]
            out["mean"], out["std"] = number(finite.mean()) if len(finite) else None, number(finite.std(ddof=1)) if len(finite) > 1 else None
            if len(finite):
                out["quantiles"] = [{"p": p, "value": cell(float(q))} for p, q in zip(QUANTILES, np.quantile(finite, QUANTILES))]
                out["quantilesApproximate"] = False
                counts, edges = np.histogram(finite, bins=BINS)
                out["histogram"] = {"edges": [cell(float(e)) for e in edges], "counts": [int(c) for c in counts]}
            for k in ("mean", "std"):
                if out[k] is None:
                    del out[k]
        elif kind == "timestamp" and t.is_datetime64_any_dtype(s.dtype) and len(present):
            ns = np.asarray(present.array.asi8, dtype="int64")
            tz = getattr(s.dtype, "tz", None)
            def stamp(n):
                ts = pd.Timestamp(int(n))
                return str(ts.tz_localize("UTC").tz_convert(tz) if tz is not None else ts)
            out["min"], out["max"] = stamp(ns.min()), stamp(ns.max())
            out["quantiles"] = [{"p": p, "value": stamp(q)} for p, q in zip(QUANTILES, np.quantile(ns, QUANTILES, method="lower"))]
            out["quantilesApproximate"] = False
            counts, edges = np.histogram(ns.astype("float64"), bins=BINS)
            out["histogram"] = {"edges": [stamp(e) for e in edges], "counts": [int(c) for c in counts]}
        else:
            try:
                counts = present.value_counts(dropna=True).head(TOP)
                out["topValues"] = [{"value": cell(k), "count": int(c)} for k, c in counts.items()]
            except TypeError:
                pass
        return out

    def balance(self, j, positions, limit):
        s = self.values(j, positions)
        nulls = int(s.isna().sum())
        try:
            counts = s.value_counts(dropna=True)
        except TypeError as e:
            raise Problem("column", "column %s holds values that cannot be counted: %s" % (self.names[j], e))
        classes = [{"value": cell(k), "count": int(c)} for k, c in counts.head(max(0, limit)).items()]
        return {"column": self.names[j], "classes": classes, "otherCount": int(counts.iloc[max(0, limit):].sum()), "nulls": nulls}

# ---- polars ----

class PolarsTable:
    def __init__(self, v):
        import polars as pl
        self.pl, self.np, self.df = pl, import_numpy(), v
        self.nrows = v.height
        self.names = unique_names(v.columns)
        self.by_name = {n: i for i, n in enumerate(self.names)}

    def index(self, name):
        j = self.by_name.get(name)
        if j is None:
            raise Problem("column", "there is no column %s" % name)
        return j

    def kind(self, dtype):
        name = str(dtype)
        base = name.split("(")[0].split("[")[0]
        table = {"Int8": "integer", "Int16": "integer", "Int32": "integer", "Int64": "integer", "UInt8": "integer", "UInt16": "integer",
                 "UInt32": "integer", "UInt64": "integer", "Float32": "float", "Float64": "float", "Decimal": "decimal", "Boolean": "boolean",
                 "Utf8": "string", "String": "string", "Categorical": "string", "Enum": "string", "Date": "date", "Datetime": "timestamp",
                 "Time": "time", "Duration": "interval", "Binary": "binary", "List": "nested", "Array": "nested", "Struct": "nested"}
        return table.get(base, "other")

    def columns(self):
        return [{"name": n, "type": str(d), "kind": self.kind(d)} for n, d in zip(self.names, self.df.dtypes)]

    def series(self, j, positions=None):
        s = self.df.to_series(j)
        return s if positions is None else s[positions]

    def rows(self, take):
        if len(take) == 0:
            return []
        page = self.df.slice(take.start, take.stop - take.start) if isinstance(take, range) else self.df[self.np.asarray(take)]
        return [[cell(x) for x in r] for r in page.rows()]

    def missing(self, s):
        m = s.is_null()
        if s.dtype in (self.pl.Float32, self.pl.Float64):
            m = m | s.is_nan().fill_null(True)
        return m

    def coerce(self, s, value):
        if value is None:
            return None
        k = self.kind(s.dtype)
        try:
            if k == "timestamp":
                return datetime.datetime.fromisoformat(str(value))
            if k == "date":
                return datetime.date.fromisoformat(str(value)[:10])
            if k == "integer":
                return int(value)
            if k == "float":
                return float(value)
        except (ValueError, TypeError) as e:
            raise Problem("filter", "%r is not a value of column %s (%s): %s" % (value, s.name, s.dtype, e))
        return value

    def mask(self, j, f):
        pl, np = self.pl, self.np
        s = self.series(j)
        op = f["op"]
        if op == "isNull":
            m = self.missing(s)
            m = ~m if f.get("negate") else m
        elif op == "topK":
            counts = s.drop_nulls().value_counts()
            # Most frequent first, ties by value, as Copy as Code's polars does.
            counts = counts.sort([counts.columns[1], counts.columns[0]], descending=[True, False])
            m = s.is_in(counts.to_series(0).head(max(1, int(f["k"]))))
        elif op == "range":
            m = ~self.missing(s)
            if f.get("min") is not None:
                m = m & (s >= self.coerce(s, f["min"]))
            if f.get("max") is not None:
                m = m & (s <= self.coerce(s, f["max"]))
        elif op == "equals":
            value = self.coerce(s, f.get("value"))
            m = self.missing(s) if value is None else (s == value)
        elif op == "contains":
            text = s.cast(pl.Utf8)
            needle = str(f["text"])
            if not f.get("caseSensitive"):
                text, needle = text.str.to_lowercase(), needle.lower()
            m = text.str.contains(needle, literal=True)
        else:
            raise Problem("filter", "unknown filter %s" % op)
        return m.fill_null(False).to_numpy().astype(bool)

    def sort(self, keys, positions):
        pl, np = self.pl, self.np
        n = self.nrows if positions is None else len(positions)
        frame = pl.DataFrame([self.series(j, positions).alias("k%d" % i) for i, (j, _) in enumerate(keys)])
        frame = frame.with_columns(pl.Series("__mle_pos", np.arange(n, dtype=np.int64)))
        by, desc = ["k%d" % i for i in range(len(keys))], [d for _, d in keys]
        try:
            ordered = frame.sort(by, descending=desc, nulls_last=True, maintain_order=True)
        except TypeError:
            ordered = frame.sort(by, descending=desc, nulls_last=True)
        order = ordered.get_column("__mle_pos").to_numpy()
        return order if positions is None else positions[order]

    def summarize(self, j, positions):
        np = self.np
        s = self.series(j, positions)
        kind = self.kind(s.dtype)
        missing = self.missing(s)
        present = s.filter(~missing)
        out = {"column": self.names[j], "kind": kind, "type": str(s.dtype), "count": len(s), "nulls": int(missing.sum()),
               "distinct": int(present.n_unique()) if len(present) else 0, "distinctApproximate": False}
        if kind in ("integer", "float") and len(present):
            x = present.cast(self.pl.Float64).to_numpy()
            finite = x[np.isfinite(x)]
            out["min"], out["max"] = cell(present.min()), cell(present.max())
            if len(finite):
                out["mean"] = number(finite.mean())
                if len(finite) > 1:
                    out["std"] = number(finite.std(ddof=1))
                out["quantiles"] = [{"p": p, "value": cell(float(q))} for p, q in zip(QUANTILES, np.quantile(finite, QUANTILES))]
                out["quantilesApproximate"] = False
                counts, edges = np.histogram(finite, bins=BINS)
                out["histogram"] = {"edges": [cell(float(e)) for e in edges], "counts": [int(c) for c in counts]}
        elif kind in ("timestamp", "date") and len(present):
            out["min"], out["max"] = cell(present.min()), cell(present.max())
            values = present.sort()
            out["quantiles"] = [{"p": p, "value": cell(values[min(len(values) - 1, int(p * (len(values) - 1)))])} for p in QUANTILES]
            out["quantilesApproximate"] = False
        else:
            try:
                counts = present.value_counts(sort=True).head(TOP)
                out["topValues"] = [{"value": cell(r[0]), "count": int(r[1])} for r in counts.rows()]
            except Exception:
                pass
        return out

    def balance(self, j, positions, limit):
        s = self.series(j, positions)
        missing = self.missing(s)
        counts = s.filter(~missing).value_counts(sort=True)
        rows = counts.rows()
        classes = [{"value": cell(r[0]), "count": int(r[1])} for r in rows[: max(0, limit)]]
        return {"column": self.names[j], "classes": classes, "otherCount": int(sum(r[1] for r in rows[max(0, limit):])), "nulls": int(missing.sum())}
`;
