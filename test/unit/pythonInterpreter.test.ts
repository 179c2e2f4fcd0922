import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pythonCandidates, resolvePython } from '../../src/python/pythonInterpreter';
import { listMlPackages } from '../../src/python/pythonPackages';

// Debian's python3 with jupyter_server and ipykernel (installed by .ci/run); any python3 does for the rest.
const DEBIAN_PYTHON = '/usr/bin/python3';

function script(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mle-py-'));
  const file = join(dir, 'python');
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe('Python interpreter discovery', () => {
  it('orders candidates: setting, Python extension, then PATH, without duplicates', () => {
    assert.deepEqual(pythonCandidates(' /opt/py/bin/python ', '/venv/bin/python'), [
      { command: '/opt/py/bin/python', source: 'setting' },
      { command: '/venv/bin/python', source: 'python-extension' },
      { command: 'python3', source: 'path' },
      { command: 'python', source: 'path' },
    ]);
    assert.deepEqual(pythonCandidates('', 'python3').map((c) => c.source), ['python-extension', 'path']);
  });

  it('finds a real interpreter and reads its version', async () => {
    const resolution = await resolvePython(pythonCandidates(undefined, undefined));
    assert.equal(resolution.found, true);
    if (!resolution.found) return;
    assert.match(resolution.interpreter.version, /^3\.\d+\.\d+$/);
    assert.ok(resolution.interpreter.executable.startsWith('/'));
  });

  it('says why each broken candidate was skipped, and goes on', async () => {
    const tooOld = script('echo \'{"executable": "/old/python", "version": "3.6.9", "venv": false}\'');
    const crashes = script('echo "Fatal Python error: init_fs_encoding" >&2; exit 1');
    const notPython = script('echo hello');
    const resolution = await resolvePython([
      { command: '/nonexistent/python', source: 'setting' },
      { command: tooOld, source: 'python-extension' },
      { command: crashes, source: 'path' },
      { command: notPython, source: 'path' },
      { command: 'python3', source: 'path' },
    ]);
    assert.equal(resolution.found, true);
    assert.deepEqual(
      resolution.attempts.map((a) => a.problem),
      ['not found', 'is Python 3.6.9; 3.8 or newer is needed', 'exited with code 1: Fatal Python error: init_fs_encoding', 'is not a Python 3 interpreter (unexpected output)'],
    );
  });

  it('gives up on a hung interpreter after its timeout', async () => {
    const hangs = script('sleep 30');
    const resolution = await resolvePython([{ command: hangs, source: 'setting' }], { timeoutMs: 300 });
    assert.equal(resolution.found, false);
    assert.match(resolution.attempts[0]?.problem ?? '', /did not answer within 300 ms/);
  });

  it('reads ML package versions without importing them', async () => {
    const result = await listMlPackages(DEBIAN_PYTHON);
    assert.equal(result.ok, true);
    if (!result.ok) return;
    const version = (name: string): string | null | undefined => result.packages.find((p) => p.name === name)?.version;
    assert.match(version('jupyter_server') ?? '', /^\d+\.\d+/);
    assert.match(version('ipykernel') ?? '', /^\d+\.\d+/);
    assert.equal(version('definitely-not-a-package'), undefined);
    assert.ok(result.packages.some((p) => p.version === null), 'some ML packages are absent here');
  });
});
