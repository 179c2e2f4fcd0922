import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { inspectModel } from '../../src/models/inspectModel';

// Every ONNX model in ../shared/corpora read by our reader and by Python's `onnx` package (Debian
// python3-onnx), field by field: IR version, opsets, graph inputs and outputs, initializer count,
// and the main graph's operator histogram.

const corpus = join(__dirname, '..', '..', '..', 'shared', 'corpora', 'onnx');
const SCRIPT = `
import json, sys, collections, onnx
from onnx import helper
out = {}
for path in sys.argv[1:]:
    m = onnx.load(path, load_external_data=False)
    g = m.graph
    inits = {t.name for t in g.initializer}
    def dims(v):
        t = v.type.tensor_type
        return [d.dim_value if d.HasField('dim_value') else (d.dim_param if d.HasField('dim_param') else '?') for d in t.shape.dim]
    out[path] = {
        'ir': m.ir_version,
        'opsets': sorted([[o.domain or 'ai.onnx', o.version] for o in m.opset_import]),
        'inputs': [[v.name, dims(v)] for v in g.input if v.name not in inits],
        'outputs': [[v.name, dims(v)] for v in g.output],
        'initializers': len(g.initializer),
        'ops': dict(collections.Counter(n.op_type for n in g.node)),
        'producer': m.producer_name,
    }
print(json.dumps(out))
`;

describe("ONNX reader against Python's onnx package", function () {
  this.timeout(120_000);

  it('agrees on every corpus model', () => {
    const files = readdirSync(corpus, { recursive: true }).map(String).filter((f) => f.endsWith('.onnx')).map((f) => join(corpus, f));
    assert.ok(files.length > 90);
    const expected = JSON.parse(execFileSync('/usr/bin/python3', ['-c', SCRIPT, ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })) as Record<string, { ir: number; opsets: [string, number][]; inputs: [string, (number | string)[]][]; outputs: [string, (number | string)[]][]; initializers: number; ops: Record<string, number>; producer: string }>;
    let checked = 0;
    for (const file of files) {
      const ours = inspectModel(file);
      const theirs = expected[file]!;
      const name = file.slice(corpus.length + 1);
      assert.equal(ours.facts.find((f) => f.label === 'IR version')?.value, String(theirs.ir), name);
      assert.deepEqual(ours.opsets!.map((o) => [o.domain, o.version]).sort(), theirs.opsets, name);
      assert.deepEqual(ours.inputs!.map((i) => [i.name, i.shape.map((d) => (d === '?' ? '?' : d))]), theirs.inputs.map(([n, s]) => [n, s.map((d) => (d === 0 ? '?' : d))]), `${name} inputs`);
      assert.deepEqual(ours.outputs!.map((i) => i.name), theirs.outputs.map(([n]) => n), `${name} outputs`);
      assert.equal(ours.tensorCount, theirs.initializers, `${name} initializers`);
      assert.deepEqual(ours.operators, Object.fromEntries(Object.entries(theirs.ops).sort(([a, x], [b, y]) => y - x || a.localeCompare(b))), `${name} operators`);
      assert.equal(ours.facts.find((f) => f.label === 'Producer')?.value ?? '', theirs.producer, `${name} producer`);
      checked++;
    }
    assert.equal(checked, files.length);
    assert.ok(Object.keys(expected).length === files.length);
  });
});
