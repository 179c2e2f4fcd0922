// PolarsTable, the polars half of the kernel helper's Python (kernelHelperSource.ts). It uses the
// common part's names (Table, Problem, cell, number, QUANTILES: kernelHelperSourceCommon.ts);
// the parts run as one module.

export const KERNEL_HELPER_POLARS = String.raw`
# ---- polars ----

class PolarsTable(Table):
    def __init__(self, v):
        import polars as pl
        self.pl, self.np = pl, import_numpy()
        Table.__init__(self, v, v.height, v.columns)

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
