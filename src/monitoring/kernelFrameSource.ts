// The Python half of kernelFrame.ts: run by one silent, history-less request per call (a fresh
// namespace each time: nothing is added to the user's namespace or sys.modules). `write` puts a
// DataFrame (pandas, polars, a Series, a 1-D/2-D numpy array) into a temporary file of the kernel's
// machine for the data engine to read: Parquet where the kernel can write it (pyarrow for pandas,
// polars' own writer), else CSV typed by the reply, not by a sniffer: numbers as float64 written
// with repr (exact), booleans as true/false, everything else as text with a one-letter prefix so an
// empty string is not a missing value; dates and other types are named and left out. The file is
// written in row chunks and abandoned (removed) past max_bytes. `read` sends a chunk back as
// base64 (a kernel on another machine); `remove` deletes a file this code made, nothing else.

export const FRAME_FILE_PREFIX = 'ml-engineer-frame-';

export const KERNEL_FRAME_SOURCE = String.raw`
import json, os, sys, tempfile, base64, socket, warnings

PREFIX = "${FRAME_FILE_PREFIX}"
CHUNK_ROWS = 100000

class R:
    def __init__(self, text): self.text = text
    def __repr__(self): return self.text

class Problem(Exception):
    pass

def reply(f, *args):
    try:
        with warnings.catch_warnings():
            # Nothing may print from a silent request (pandas' deprecation warnings).
            warnings.simplefilter("ignore")
            out = {"ok": f(*args)}
    except Problem as e:
        out = {"problem": str(e)}
    except MemoryError:
        out = {"problem": "the kernel ran out of memory writing the frame to a file"}
    except Exception as e:
        out = {"error": "%s: %s" % (type(e).__name__, e)}
    return R(json.dumps(out))

def too_large(name, max_bytes):
    return Problem("%s takes more than %d MB as a file: compare a sample (e.g. %s.sample(1_000_000, random_state=0))" % (name, max_bytes // 1000000, name))

def unique(names):
    seen, out = set(), []
    for n in names:
        n = str(n)
        m, k = n, 2
        while m in seen:
            m, k = "%s_%d" % (n, k), k + 1
        seen.add(m)
        out.append(m)
    return out

def frame_of(ns, name):
    if name not in ns:
        raise Problem("%s is not defined in the kernel (was the cell that makes it run?)" % name)
    v = ns[name]
    pl = sys.modules.get("polars")
    if pl is not None and isinstance(v, pl.DataFrame):
        return "polars", v
    np = sys.modules.get("numpy")
    pd = sys.modules.get("pandas")
    if np is not None and isinstance(v, np.ndarray) and v.ndim in (1, 2):
        import pandas as pd
        return "pandas", pd.DataFrame(v)
    if pd is not None and isinstance(v, pd.Series):
        return "pandas", v.to_frame()
    if pd is None or not isinstance(v, pd.DataFrame):
        raise Problem("%s is a %s, not a DataFrame" % (name, type(v).__name__))
    return "pandas", v

def temp(suffix):
    fd, path = tempfile.mkstemp(prefix=PREFIX, suffix=suffix)
    os.close(fd)
    return path

def write(ns, name, max_bytes, parquet):
    library, df = frame_of(ns, name)
    if library == "polars":
        path = temp(".parquet")
        try:
            df.write_parquet(path)
        except BaseException:
            os.remove(path)
            raise
        return done(path, "parquet", len(df), [], max_bytes, name)
    names = unique(df.columns)
    if parquet:
        try:
            import pyarrow as pa, pyarrow.parquet as pq
        except Exception:
            pq = None
        if pq is not None:
            try:
                table = pa.Table.from_pandas(df.set_axis(names, axis=1), preserve_index=False)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError):
                table = None  # mixed types in one column: the CSV below writes each value as text
            if table is not None:
                path = temp(".parquet")
                try:
                    pq.write_table(table, path)
                except BaseException:
                    os.remove(path)
                    raise
                return done(path, "parquet", len(df), [], max_bytes, name)
    return write_csv(df, names, max_bytes, name)

def write_csv(df, names, max_bytes, name):
    import numpy as np, pandas as pd
    from pandas.api import types as t
    columns, data = [], {}
    for j, n in enumerate(names):
        s = df.iloc[:, j]
        d = s.dtype
        if t.is_bool_dtype(d):
            b = s.fillna(False).astype(bool).to_numpy()
            v, sql = np.where(s.isna().to_numpy(), None, np.where(b, "true", "false")), "BOOLEAN"
        elif t.is_numeric_dtype(d) and not t.is_complex_dtype(d):
            v, sql = s.to_numpy(dtype="float64", na_value=np.nan), "DOUBLE"
        elif t.is_datetime64_any_dtype(d) or t.is_timedelta64_dtype(d) or t.is_period_dtype(d) or t.is_interval_dtype(d) or t.is_complex_dtype(d):
            columns.append({"name": n, "dtype": str(d), "sql": None})
            continue
        else:
            v = ("s" + s.astype(str)).astype(object).to_numpy()
            v[s.isna().to_numpy()] = None
            sql = "VARCHAR"
        columns.append({"name": n, "dtype": str(d), "sql": sql})
        data["c%d" % len(data)] = v
    out = pd.DataFrame(data, copy=False)
    path = temp(".csv")
    try:
        with open(path, "w", encoding="utf-8", newline="") as f:
            for start in range(0, len(out), CHUNK_ROWS):
                out.iloc[start:start + CHUNK_ROWS].to_csv(f, header=False, index=False)
                if f.tell() > max_bytes:
                    raise too_large(name, max_bytes)
    except BaseException:
        os.remove(path)
        raise
    return done(path, "csv", len(df), columns, max_bytes, name)

def done(path, fmt, rows, columns, max_bytes, name):
    size = os.path.getsize(path)
    if size > max_bytes:
        os.remove(path)
        raise too_large(name, max_bytes)
    return {"path": path, "format": fmt, "bytes": size, "rows": rows, "columns": columns, "host": socket.gethostname()}

def ours(path):
    path = os.path.realpath(path)
    if os.path.dirname(path) != os.path.realpath(tempfile.gettempdir()) or not os.path.basename(path).startswith(PREFIX):
        raise Problem("not a file the extension wrote")
    return path

def read(path, offset, size):
    with open(ours(path), "rb") as f:
        f.seek(offset)
        return base64.b64encode(f.read(size)).decode("ascii")

def remove(path):
    try:
        os.remove(ours(path))
    except FileNotFoundError:
        pass
    return True
`;
