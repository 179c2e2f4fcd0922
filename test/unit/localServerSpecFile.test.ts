import * as assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ownKernelSpecPath } from '../../src/kernels/localServer';

// The python3 kernel spec a local server's JUPYTER_PATH holds (src/kernels/localServer.ts), on a
// real folder: another window's server may read it, so it is replaced whole (temp file + rename).
describe('kernels: the local server\'s own kernel spec', () => {
  let state: string;
  beforeEach(() => (state = mkdtempSync(join(tmpdir(), 'kernel-spec-'))));
  afterEach(() => rmSync(state, { recursive: true, force: true }));

  it('writes this Python\'s spec, replaces a stale one whole and leaves no temporary file', () => {
    const dir = ownKernelSpecPath(state, '/opt/py/bin/python');
    const spec = join(dir, 'kernels', 'python3');
    const file = join(spec, 'kernel.json');
    assert.deepEqual((JSON.parse(readFileSync(file, 'utf8')) as { argv: string[] }).argv.slice(0, 3), ['/opt/py/bin/python', '-m', 'ipykernel_launcher']);
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, '{"argv": ["stale"]}');
    assert.equal(ownKernelSpecPath(state, '/opt/py/bin/python'), dir);
    assert.equal(readFileSync(file, 'utf8'), text);
    assert.deepEqual(readdirSync(spec), ['kernel.json']);
  });
});
