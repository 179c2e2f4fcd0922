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

  it('doctor maps each package the interpreter lacks to the feature it limits, with the install command for that interpreter', () => {
    // Debian's Python has torch, scikit-learn, Jupyter, FastAPI and uvicorn but none of onnxruntime,
    // onnxconverter-common or skl2onnx (not packaged by Debian).
    const result = run(['doctor', '--json', '--python', '/usr/bin/python3', '--nvidia-smi', '/nonexistent']);
    const report = JSON.parse(result.stdout) as EnvironmentReport;
    const byPackage = new Map(report.limits.map((l) => [l.missing.join(' '), l]));
    assert.deepEqual([...byPackage.keys()], ['onnxruntime', 'onnxconverter-common', 'skl2onnx']);
    assert.match(byPackage.get('onnxruntime')!.feature, /Optimize with onnxruntime's quantizer/);
    assert.equal(byPackage.get('onnxruntime')!.install, '/usr/bin/python3 -m pip install onnxruntime');
    assert.match(byPackage.get('onnxconverter-common')!.feature, /fp16 via Python/);
    assert.match(byPackage.get('skl2onnx')!.feature, /Export of scikit-learn/);
    const text = run(['doctor', '--python', '/usr/bin/python3', '--nvidia-smi', '/nonexistent']).stdout;
    assert.match(text, /– Missing onnxruntime\s+limits Optimize with onnxruntime's quantizer \(dynamic int8\) \(meanwhile Optimize uses the built-in weight-only int8 rewrite\): install with `\/usr\/bin\/python3 -m pip install onnxruntime`/);
    assert.match(text, /✗ Missing skl2onnx\s+limits Export of scikit-learn models to ONNX: install with `\/usr\/bin\/python3 -m pip install skl2onnx`/);

    // A bare interpreter lacks them all: every feature is named once, Jupyter's two packages together.
    const bare = join(root, 'test/fixtures/bin/bare-python');
    const all = JSON.parse(run(['doctor', '--json', '--python', bare, '--nvidia-smi', '/nonexistent']).stdout) as EnvironmentReport;
    assert.deepEqual(
      all.limits.map((l) => l.missing.join(' ')),
      ['jupyter_server ipykernel', 'onnxruntime', 'onnxconverter-common', 'skl2onnx', 'torch', 'fastapi uvicorn'],
    );
    assert.match(all.limits.find((l) => l.missing.includes('torch'))!.feature, /Export and Quantize of PyTorch/);
    assert.match(all.limits.find((l) => l.missing.includes('fastapi'))!.feature, /serving the generated FastAPI app/);
    assert.ok(all.limits.every((l) => l.install === `${bare} -m pip install ${l.missing.join(' ')}`));
  });

  it('doctor says whether ANTHROPIC_API_KEY is set, never what it is', () => {
    const key = 'sk-ant-doctor-test-never-print-me';
    for (const args of [['doctor', '--json'], ['doctor']]) {
      const withKey = run([...args, '--python', '/usr/bin/python3', '--nvidia-smi', '/nonexistent'], { ANTHROPIC_API_KEY: key });
      assert.ok(!withKey.stdout.includes(key) && !withKey.stderr.includes(key), 'the key was printed');
      if (args.includes('--json')) assert.deepEqual((JSON.parse(withKey.stdout) as EnvironmentReport).apiKey, { set: true, source: 'environment' });
      else assert.match(withKey.stdout, /✓ Anthropic API key\s+set \(ANTHROPIC_API_KEY in the environment\)/);
    }
    const without = run(['doctor', '--python', '/usr/bin/python3', '--nvidia-smi', '/nonexistent'], { ANTHROPIC_API_KEY: '' });
    assert.match(without.stdout, /– Anthropic API key\s+ANTHROPIC_API_KEY is not set \(the extension keeps its key in VS Code's secret storage/);
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
