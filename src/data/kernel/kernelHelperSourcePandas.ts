// PandasTable, the pandas half of the kernel helper's Python (kernelHelperSource.ts), which numpy
// arrays go through too (a 1-D or 2-D array viewed as a DataFrame without a copy). It uses the
// common part's names (Table, Problem, cell, number, QUANTILES: kernelHelperSourceCommon.ts);
// the parts run as one module.

export const KERNEL_HELPER_PANDAS = String.raw`
# ---- pandas (and numpy through pandas) ----

class PandasTable(Table):
    def __init__(self, v, lib):
        import pandas as pd
        np = import_numpy()
        self.pd, self.np = pd, np
        if lib == "numpy":
            a = v if v.ndim == 2 else v.reshape(-1, 1)
            # A view of the array, not a copy: one block over the same memory.
            df = pd.DataFrame(a, copy=False)
        else:
            df = v
        Table.__init__(self, df, len(df), df.columns)

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
`;
