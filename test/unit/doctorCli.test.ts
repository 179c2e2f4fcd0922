import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EnvironmentReport } from '../../src/doctor/environmentReport';

// The CLI as a user runs it: the built dist/cli.js in a real process.
const root = resolve(__dirname, '../..');
const cli = join(root, 'dist', 'cli.js');
const fakeSmi = join(root, 'test/fixtures/bin/fake-nvidia-smi');

function run(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('ml-engineer CLI', () => {
  before(function () {
    this.timeout(120_000);
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'ignore' });
    assert.ok(existsSync(cli));
  });

  it('prints help listing doctor, and its version', () => {
    const help = run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: ml-engineer <command>/);
    assert.match(help.stdout, /doctor\s+check Node, Python/);
    const version = run(['--version']);
    assert.equal(version.stdout.trim(), (JSON.parse(execFileSync('cat', [join(root, 'package.json')], { encoding: 'utf8' })) as { version: string }).version);
  });

  it('rejects unknown commands and options with usage and exit code 2', () => {
    const unknown = run(['trian']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'trian'/);
    const badOption = run(['doctor', '--bogus']);
    assert.equal(badOption.code, 2);
    assert.match(badOption.stderr, /Unknown option '--bogus'/);
    assert.match(badOption.stderr, /Usage: ml-engineer doctor/);
    assert.equal(run([]).code, 2);
  });

  it('doctor --json reports Python, Jupyter and GPUs from a real H100 capture', () => {
    const result = run(['doctor', '--json', '--python', '/usr/bin/python3', '--nvidia-smi', fakeSmi], {
      FAKE_NVIDIA_SMI_CAPTURE: 'linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load__query-gpu.csv',
    });
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as EnvironmentReport;
    assert.equal(report.node.version, process.version);
    assert.equal(report.python.found && report.python.interpreter.executable, '/usr/bin/python3');
    assert.equal(report.jupyter.status, 'ready');
    assert.equal(report.gpus.status, 'ok');
    assert.equal(report.gpus.status === 'ok' && report.gpus.gpus[0]?.name, 'NVIDIA H100 80GB HBM3');
  });

  it('doctor says plainly when nvidia-smi is missing or the driver is not loaded', () => {
    const missing = run(['doctor', '--nvidia-smi', '/nonexistent/nvidia-smi']);
    assert.equal(missing.code, 0);
    assert.match(missing.stdout, /GPUs\s+\/nonexistent\/nvidia-smi was not found: no NVIDIA driver/);
    const noDriver = run(['doctor', '--json', '--nvidia-smi', fakeSmi], { FAKE_NVIDIA_SMI_FAIL: 'driver' });
    const report = JSON.parse(noDriver.stdout) as EnvironmentReport;
    assert.equal(report.gpus.status, 'error');
    assert.match(report.gpus.status === 'error' ? report.gpus.message : '', /failed \(exit 9\): NVIDIA-SMI has failed/);
  });

  it('doctor text names the interpreter, Jupyter state and every GPU', () => {
    const result = run(['doctor', '--python', '/usr/bin/python3', '--nvidia-smi', fakeSmi], { FAKE_NVIDIA_SMI_CAPTURE: 'exporter_query.csv' });
    assert.equal(result.code, 0);
    assert.match(result.stdout, /✓ Python\s+3\.\d+\.\d+ at \/usr\/bin\/python3 \(from the configured path\)/);
    assert.match(result.stdout, /✓ Jupyter\s+local kernels can start \(jupyter_server [\d.]+, ipykernel [\d.]+\)/);
    assert.match(result.stdout, /2 NVIDIA GPUs, driver 466\.63/);
    assert.match(result.stdout, /0: NVIDIA GeForce RTX 2080 SUPER, compute 7\.5/);
    assert.match(result.stdout, /1: Some Other GPU, compute 8\.6/);
  });

  it('doctor explains how to install Jupyter when the interpreter lacks it', () => {
    // A bare interpreter: python3 -I with no site-packages sees neither jupyter_server nor ipykernel.
    const bare = join(root, 'test/fixtures/bin/bare-python');
    const result = run(['doctor', '--json', '--python', bare, '--nvidia-smi', '/nonexistent']);
    const report = JSON.parse(result.stdout) as EnvironmentReport;
    assert.equal(report.jupyter.status, 'missing');
    assert.deepEqual(report.jupyter.status === 'missing' && report.jupyter.missing, ['jupyter_server', 'ipykernel']);
    assert.match(report.jupyter.status === 'missing' ? report.jupyter.installHint : '', /-m pip install jupyter_server ipykernel$/);
  });

  it('gpu prints the GPUs a real capture describes, as a table or JSON, and fails clearly without nvidia-smi', () => {
    const replay = join(root, 'test/fixtures/bin/replay-nvidia-smi');
    const env = { REPLAY_CAPTURE: 'linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load__query-gpu.csv' };
    const text = run(['gpu', '--nvidia-smi', replay], env);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^0 {2}NVIDIA H100 80GB HBM3\s+100%\s+19\.4\/79\.6 GiB {2}59 °C {2}631\.95\/700 W$/m);
    const json = run(['gpu', '--json', '--nvidia-smi', replay], env);
    const samples = JSON.parse(json.stdout) as { name: string; memoryUsedMiB: number; powerLimitW: number }[];
    assert.deepEqual(samples.map((s) => [s.name, s.memoryUsedMiB, s.powerLimitW]), [['NVIDIA H100 80GB HBM3', 19818, 700]]);
    const missing = run(['gpu', '--nvidia-smi', '/nonexistent/nvidia-smi']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /was not found/);
    assert.equal(run(['gpu', '--interval', '5']).code, 2);
  });
});
