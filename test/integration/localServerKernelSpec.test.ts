import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchLocalServer, shutdownServer, type LocalServerRecord } from '../../src/kernels/localServer';
import { runProcess } from '../../src/common/process';
import { jupyterPython } from '../support/jupyterHarness';

// The local launcher's python3 kernel is the chosen Python's own (src/kernels/localServer.ts): a
// python3 kernel spec in the user's Jupyter folder (~/.local/share/jupyter/kernels/python3, as
// `python -m ipykernel install --user` from another Python leaves it) comes before a system
// Python's built-in one, so the server would start that other Python for every notebook.

describe('local Jupyter server: the python3 kernel is the chosen Python', function () {
  this.timeout(90_000);
  let home: string;
  let stateDir: string;
  let server: LocalServerRecord | undefined;

  before(() => {
    home = mkdtempSync(join(tmpdir(), 'mle-home-'));
    stateDir = mkdtempSync(join(tmpdir(), 'mle-state-'));
    const spec = join(home, '.local', 'share', 'jupyter', 'kernels', 'python3');
    mkdirSync(spec, { recursive: true });
    writeFileSync(join(spec, 'kernel.json'), JSON.stringify({ argv: ['/opt/another/python', '-m', 'ipykernel_launcher', '-f', '{connection_file}'], display_name: 'Another Python', language: 'python' }));
  });
  after(async () => {
    if (server) await shutdownServer(server);
    rmSync(home, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('a user-wide python3 kernel spec of another Python does not win', async () => {
    const python = await jupyterPython();
    const executable = await runProcess(python, ['-c', 'import sys; print(sys.executable)'], { timeoutMs: 30_000 });
    assert.equal(executable.kind, 'exited');
    // Only a Python outside a virtual environment looks at the user's folder first (jupyter_core's
    // JUPYTER_PREFER_ENV_PATH): say so, which is what users of a system or conda Python get.
    server = await launchLocalServer({ python, stateDir, idleShutdownSeconds: 0, env: { ...process.env, HOME: home, JUPYTER_PREFER_ENV_PATH: '0' } });
    const response = await fetch(`${server.baseUrl}api/kernelspecs`, { headers: { Authorization: `token ${server.token}` } });
    const specs = (await response.json()) as { default: string; kernelspecs: Record<string, { spec: { argv: string[]; display_name: string } }> };
    assert.equal(specs.default, 'python3');
    const argv = specs.kernelspecs.python3?.spec.argv ?? [];
    assert.notEqual(argv[0], '/opt/another/python', 'the server would start another Python');
    assert.deepEqual(argv.slice(1), ['-m', 'ipykernel_launcher', '-f', '{connection_file}']);
    assert.equal(argv[0], executable.kind === 'exited' ? executable.stdout.trim() : '');
  });
});
