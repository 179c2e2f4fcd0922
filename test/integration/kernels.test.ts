import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUserError } from '../../src/common/errors';
import { execute } from '../../src/kernels/execution';
import { probeServer } from '../../src/kernels/jupyterEndpoint';
import type { KernelConnection } from '../../src/kernels/jupyterLib';
import { inspectKernel } from '../../src/kernels/kernelInspection';
import { AgentExecutions, kernelTools, type KernelTarget } from '../../src/kernels/kernelTools';
import { checkJupyter, findJupyterPython, findRecordedServer, reuseOrLaunch, shutdownServer, type LocalServerRecord } from '../../src/kernels/localServer';
import { checkServerProcess } from '../../src/kernels/serverProcess';
import { stripAnsi, type CellOutput } from '../../src/kernels/outputModel';
import { ApprovalBroker } from '../../src/agent/approvalBroker';
import { WorkspaceFiles } from '../../src/agent/tools/workspaceFiles';
import { startJupyter, waitFor, type JupyterFixture } from '../support/jupyterHarness';
import { startTcpProxy } from '../support/tcpProxy';
import { lastToolResults } from '../support/fakeMessagesApi';
import { startHarness } from './agentHarness';

const BARE_PYTHON = join(__dirname, '..', 'fixtures', 'bin', 'bare-python');

// A 2x3 PNG written by Python's zlib and struct, so no plotting library is needed in the kernel.
const PNG_CODE = String.raw`
import zlib, struct, base64
from IPython.display import Image, display
def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(3))
png = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 3, 8, 2, 0, 0, 0)) + _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b"")
display(Image(data=png))
`;

function streams(outputs: readonly CellOutput[], name: 'stdout' | 'stderr' = 'stdout'): string {
  return outputs.map((o) => (o.type === 'stream' && o.name === name ? o.text : '')).join('');
}

describe('Jupyter kernels against a real Jupyter server', function () {
  this.timeout(90_000);
  let jupyter: JupyterFixture;
  let kernel: KernelConnection;

  before(async () => {
    // A VS Code running inside a JupyterHub session has the hub's tokens in its environment.
    const saved = { hub: process.env.JUPYTERHUB_API_TOKEN, jpy: process.env.JPY_API_TOKEN };
    process.env.JUPYTERHUB_API_TOKEN = 'hub-token-of-the-window';
    process.env.JPY_API_TOKEN = 'hub-token-of-the-window';
    try {
      jupyter = await startJupyter();
    } finally {
      restoreEnv('JUPYTERHUB_API_TOKEN', saved.hub);
      restoreEnv('JPY_API_TOKEN', saved.jpy);
    }
    kernel = await jupyter.start();
  });
  after(async () => {
    await jupyter?.close();
  });

  describe('the local server launcher', () => {
    it('started a server on 127.0.0.1 with a token, that refuses requests without it', async () => {
      assert.match(jupyter.server.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      assert.equal(jupyter.server.token.length, 48);
      const probe = await probeServer(jupyter.server);
      assert.ok(probe.ok && probe.specs >= 1, JSON.stringify(probe));
      const refused = await probeServer({ baseUrl: jupyter.server.baseUrl, token: 'wrong' });
      assert.equal(refused.ok, false);
      assert.match(!refused.ok ? refused.problem : '', /refused the token|login/);
      assert.ok(existsSync(join(jupyter.stateDir, 'jupyter_nodelay_config.py')));
    });

    it('keeps the token off the command line (other users can read it) and its log private', () => {
      const cmdline = readFileSync(`/proc/${jupyter.server.pid}/cmdline`, 'utf8');
      assert.match(cmdline, /jupyter_server/);
      assert.ok(!cmdline.includes(jupyter.server.token), 'the token is on the command line');
      assert.equal(statSync(jupyter.server.logFile).mode & 0o777, 0o600);
      assert.equal(statSync(jupyter.stateDir).mode & 0o077, 0);
    });

    it("keeps the server's token (and a hub's) out of its kernels' environment, and the server still wants it", async () => {
      const run = execute(kernel, "import os\nsorted(k for k in os.environ if 'TOKEN' in k)");
      assert.equal(await run.done, 'ok');
      const result = run.outputs.outputs[0];
      assert.equal(result?.type === 'execute_result' ? result.data['text/plain'] : '', '[]');
      const dump = execute(kernel, 'print(dict(os.environ))');
      await dump.done;
      assert.ok(!streams(dump.outputs.outputs).includes(jupyter.server.token), 'the token is in the kernel environment');
      assert.ok((await probeServer(jupyter.server)).ok);
      assert.equal((await probeServer({ baseUrl: jupyter.server.baseUrl, token: '' })).ok, false);
    });

    it("checks Python from a folder of its own: a workspace's json.py is not imported", async () => {
      const workspace = mkdtempSync(join(tmpdir(), 'mle-workspace-'));
      const marker = join(workspace, 'imported');
      writeFileSync(join(workspace, 'json.py'), `open(${JSON.stringify(marker)}, "w").close()\nraise SystemExit("workspace json.py ran")\n`);
      const cwd = process.cwd();
      process.chdir(workspace); // the extension host's working directory may be the workspace
      try {
        assert.equal(await checkJupyter(jupyter.python), 'jupyter_server');
        assert.equal(await findJupyterPython([jupyter.python]), jupyter.python);
      } finally {
        process.chdir(cwd);
      }
      assert.equal(existsSync(marker), false, 'the workspace json.py ran');
    });

    it('knows its own server by pid, owner, command line and listening port (/proc, and ps with lsof)', async () => {
      assert.deepEqual(await checkServerProcess(jupyter.server), { ok: true });
      assert.deepEqual(await checkServerProcess(jupyter.server, { procRoot: '/nonexistent' }), { ok: true });
      const elsewhere = { ...jupyter.server, baseUrl: 'http://127.0.0.1:9/' };
      assert.deepEqual(await checkServerProcess(elsewhere), { ok: false, reason: `process ${jupyter.server.pid} does not listen on port 9` });
      assert.deepEqual(await checkServerProcess(elsewhere, { procRoot: '/nonexistent' }), { ok: false, reason: `process ${jupyter.server.pid} does not listen on port 9` });
    });

    it('sends a stored token only to our server: another process on the port, or our pid reused, gets nothing', async () => {
      const seen: string[] = [];
      const impostor = createHttpServer((request, response) => {
        seen.push(`${request.method} ${request.url} ${request.headers.authorization ?? ''}`);
        response.end('{"kernelspecs": {}}');
      });
      await new Promise<void>((r) => impostor.listen(0, '127.0.0.1', r));
      const port = (impostor.address() as { port: number }).port;
      const sleeper = spawn('sleep', ['60']);
      const stateDir = mkdtempSync(join(tmpdir(), 'mle-jupyter-'));
      let started: LocalServerRecord | undefined;
      try {
        // The server died; something else took its port. Then: its pid now names another process.
        const portTaken = { ...jupyter.server, baseUrl: `http://127.0.0.1:${port}/` };
        const pidReused = { ...jupyter.server, pid: sleeper.pid! };
        assert.match(await findProblem(portTaken), /no longer our server: process \d+ does not listen on port/);
        assert.match(await findProblem(pidReused), /no longer our server: process \d+ is not a Jupyter server we started/);
        const gone = spawn('true');
        await new Promise((r) => gone.once('exit', r));
        assert.match(await findProblem({ ...jupyter.server, pid: gone.pid! }), /is gone/);
        const relaunched = await reuseOrLaunch(portTaken, { python: jupyter.python, stateDir, idleShutdownSeconds: 0 });
        started = relaunched.record;
        assert.equal(relaunched.reused, false);
        assert.match(relaunched.dropped ?? '', /does not listen on port/);
        assert.notEqual(relaunched.record.token, jupyter.server.token);
        assert.ok((await probeServer(relaunched.record)).ok);
        assert.deepEqual(seen, [], 'the impostor got a request');
      } finally {
        sleeper.kill();
        impostor.close();
        if (started) {
          await shutdownServer(started);
          try {
            process.kill(started.pid);
          } catch {
            // already gone
          }
        }
      }
    });

    it('reuses a running server from its record instead of starting another', async () => {
      const again = await reuseOrLaunch(jupyter.server, { python: jupyter.python, stateDir: jupyter.stateDir, idleShutdownSeconds: 0 });
      assert.equal(again.reused, true);
      assert.equal(again.record.pid, jupyter.server.pid);
    });

    it('says what to install when the Python has no Jupyter', async () => {
      await assert.rejects(checkJupyter(BARE_PYTHON), (error: unknown) => {
        assert.ok(isUserError(error));
        assert.match(error.message, /has no jupyter_server or ipykernel.*pip install jupyter_server ipykernel/s);
        return true;
      });
    });

    it('reports a server that is not there as unreachable', async () => {
      const probe = await probeServer({ baseUrl: 'http://127.0.0.1:9/', token: 'x' }, { timeoutMs: 3_000 });
      assert.equal(probe.ok, false);
      assert.equal(!probe.ok && probe.reachable, false);
    });
  });

  describe('executions and their outputs', () => {
    it('keeps stdout and stderr in order and applies carriage returns like a terminal', async () => {
      const run = execute(
        kernel,
        [
          'import sys, time',
          'print("first")',
          'sys.stdout.flush(); print("warning!", file=sys.stderr); sys.stderr.flush(); time.sleep(0.05)',
          'for i in range(5): print(f"\\rprogress {i * 25}%", end=""); sys.stdout.flush(); time.sleep(0.02)',
          'print(" done")',
        ].join('\n'),
      );
      assert.equal(await run.done, 'ok');
      const outputs = run.outputs.outputs;
      assert.deepEqual(
        outputs.map((o) => (o.type === 'stream' ? o.name : o.type)),
        ['stdout', 'stderr', 'stdout'],
      );
      assert.equal(streams(outputs), 'first\nprogress 100% done\n');
      assert.equal(streams(outputs, 'stderr'), 'warning!\n');
      assert.ok(run.outputs.executionCount !== null && run.outputs.executionCount >= 1);
    });

    it('returns execute_result and every display kind with its MIME types', async () => {
      const run = execute(
        kernel,
        [
          'from IPython.display import display, HTML, Markdown, JSON, SVG',
          'display(HTML("<b>bold</b>"))',
          'display(Markdown("# Title"))',
          'display(JSON({"a": 1}))',
          'display(SVG(\'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>\'))',
          PNG_CODE,
          '6 * 7',
        ].join('\n'),
      );
      assert.equal(await run.done, 'ok');
      const outputs = run.outputs.outputs;
      const data = outputs.map((o) => (o.type === 'display_data' || o.type === 'execute_result' ? o.data : {}));
      assert.equal(data[0]?.['text/html'], '<b>bold</b>');
      assert.equal(data[1]?.['text/markdown'], '# Title');
      assert.deepEqual(data[2]?.['application/json'], { a: 1 });
      assert.match(String(data[3]?.['image/svg+xml']), /<svg/);
      const png = Buffer.from(String(data[4]?.['image/png']), 'base64');
      assert.equal(png.readUInt32BE(16), 2);
      assert.equal(png.readUInt32BE(20), 3);
      const last = outputs[outputs.length - 1];
      assert.equal(last?.type, 'execute_result');
      assert.equal(last?.type === 'execute_result' ? last.data['text/plain'] : '', '42');
      assert.equal(last?.type === 'execute_result' ? last.executionCount : null, run.outputs.executionCount);
    });

    it('honours clear_output(wait=True) and updates a display by its id', async () => {
      const run = execute(
        kernel,
        [
          'from IPython.display import display, clear_output',
          'h = display("step 0", display_id=True)',
          'for i in range(1, 4): h.update(f"step {i}")',
          'print("before clear")',
          'clear_output(wait=True)',
          'print("after clear")',
        ].join('\n'),
      );
      assert.equal(await run.done, 'ok');
      assert.deepEqual(run.outputs.outputs, [{ type: 'stream', name: 'stdout', text: 'after clear\n' }]);

      const updated = execute(kernel, 'h2 = display("v0", display_id=True)\nh2.update("v1")\nh2.update("v2")');
      assert.equal(await updated.done, 'ok');
      assert.equal(updated.outputs.outputs.length, 1);
      const only = updated.outputs.outputs[0];
      assert.equal(only?.type === 'display_data' ? only.data['text/plain'] : '', "'v2'");
    });

    it('reports an exception with its traceback', async () => {
      const run = execute(kernel, 'def f():\n    raise ValueError("bad shape (3, 4)")\nf()');
      assert.equal(await run.done, 'error');
      const error = run.outputs.outputs.find((o) => o.type === 'error');
      assert.ok(error?.type === 'error');
      assert.equal(error.ename, 'ValueError');
      assert.equal(error.evalue, 'bad shape (3, 4)');
      assert.ok(error.traceback.some((line) => stripAnsi(line).includes('f()')), error.traceback.join('\n'));
    });

    it('answers input() through the callback, and a declined prompt interrupts the cell', async () => {
      const prompts: string[] = [];
      const run = execute(kernel, 'name = input("Your name: ")\nprint("hello", name)', {
        onInput: (prompt) => {
          prompts.push(prompt);
          return Promise.resolve('alice');
        },
      });
      assert.equal(await run.done, 'ok');
      assert.deepEqual(prompts, ['Your name: ']);
      assert.match(streams(run.outputs.outputs), /hello alice/);

      const declined = execute(kernel, 'input("Token: ")', { onInput: () => Promise.resolve(undefined) });
      assert.equal(await declined.done, 'error');
      assert.ok(declined.outputs.outputs.some((o) => o.type === 'error' && o.ename === 'KeyboardInterrupt'));
    });

    it('interrupts time.sleep(100) within seconds and keeps the variables', async () => {
      assert.equal(await execute(kernel, 'kept = 123').done, 'ok');
      const run = execute(kernel, 'import time\nprint("sleeping", flush=True)\ntime.sleep(100)');
      await waitFor(() => streams(run.outputs.outputs).includes('sleeping'), 20_000, 'the cell to start');
      const t = Date.now();
      await kernel.interrupt();
      assert.equal(await run.done, 'error');
      assert.ok(Date.now() - t < 10_000, 'the interrupt took effect within 10 s');
      assert.ok(run.outputs.outputs.some((o) => o.type === 'error' && o.ename === 'KeyboardInterrupt'));
      const check = execute(kernel, 'print(kept)');
      await check.done;
      assert.equal(streams(check.outputs.outputs), '123\n');
    });

    it('loses no line when a loop prints 10,000 flushed lines (the server we start has no IOPub rate limit)', async () => {
      const run = execute(kernel, 'for i in range(10000):\n    print(i, flush=True)');
      assert.equal(await run.done, 'ok');
      const lines = streams(run.outputs.outputs).split('\n').filter(Boolean);
      assert.equal(lines.length, 10_000);
      assert.equal(lines[9999], '9999');
      assert.equal(streams(run.outputs.outputs, 'stderr'), '', 'no "IOPub message rate exceeded" warning');
    });

    it('caps a huge output and says how much it left out', async () => {
      const run = execute(kernel, 'for i in range(200000): print("line", i)', { limits: { streamChars: 100_000, outputs: 100, valueChars: 1_000_000 } });
      assert.equal(await run.done, 'ok');
      const text = streams(run.outputs.outputs);
      assert.ok(text.length < 110_000, `kept ${text.length} characters`);
      assert.match(text, /^line 0\n/);
      assert.match(text, /line 199999\n$/);
      assert.match(text, /characters of output not shown/);
    });
  });

  describe('silent inspection', () => {
    it('lists variables with shapes and sizes without touching the execution count or history', async () => {
      const setup = execute(kernel, 'import array\nnumbers = [1, 2, 3]\ntitle = "resnet"\nlr = 0.001\nbuf = memoryview(b"abcd")\ncount_marker = 1');
      await setup.done;
      const before = setup.outputs.executionCount!;
      const inspection = await inspectKernel(kernel);
      const byName = new Map(inspection.variables.map((v) => [v.name, v]));
      assert.equal(byName.get('numbers')?.length, 3);
      assert.equal(byName.get('title')?.value, "'resnet'");
      assert.equal(byName.get('lr')?.type, 'float');
      assert.equal(byName.get('buf')?.shape?.[0], 4);
      assert.equal(byName.get('buf')?.bytes, 4);
      assert.ok(!byName.has('array'), 'modules are not listed');
      assert.ok(inspection.pid > 0);
      const after = execute(kernel, 'len(In)');
      await after.done;
      assert.equal(after.outputs.executionCount, before + 1, 'the inspection took no execution count');
      const history = after.outputs.outputs[0];
      // In[0] is empty, then one entry per counted execution: this cell is In[before + 1].
      assert.equal(history?.type === 'execute_result' ? history.data['text/plain'] : '', String(before + 2), 'and left In[] alone');
    });
  });

  describe('faults', () => {
    it('fails the running cell with a clear message when the kernel process is killed', async () => {
      const victim = await jupyter.start();
      const { pid } = await inspectKernel(victim);
      const run = execute(victim, 'import time\nprint("training", flush=True)\ntime.sleep(100)');
      await waitFor(() => streams(run.outputs.outputs).includes('training'), 20_000, 'the cell to start');
      process.kill(pid, 'SIGKILL');
      assert.equal(await run.done, 'died');
      assert.match(run.problem ?? '', /kernel died/);
      // The server restarts it; the connection follows and the kernel runs code again, with an empty namespace.
      const fresh = execute(victim, "'time' in dir()");
      assert.equal(await fresh.done, 'ok', `kernel ${victim.status}, connection ${victim.connectionStatus}`);
      assert.equal(fresh.outputs.outputs[0]?.type === 'execute_result' ? fresh.outputs.outputs[0].data['text/plain'] : '', 'False');
    });

    it('fails the running cell when the kernel is restarted, and the kernel is empty afterwards', async () => {
      const k = await jupyter.start();
      await execute(k, 'x = 1').done;
      const run = execute(k, 'import time\ntime.sleep(100)');
      await new Promise((r) => setTimeout(r, 300));
      await k.restart();
      assert.equal(await run.done, 'died');
      const check = execute(k, "'x' in dir()");
      assert.equal(await check.done, 'ok');
      assert.equal(check.outputs.outputs[0]?.type === 'execute_result' ? check.outputs.outputs[0].data['text/plain'] : '', 'False');
    });

    it('reconnects after the websocket drops and loses no output', async () => {
      const proxy = await startTcpProxy(new URL(jupyter.server.baseUrl).port);
      try {
        const k = await jupyter.start({ endpoint: { baseUrl: `http://127.0.0.1:${proxy.port}/`, token: jupyter.server.token } });
        const run = execute(k, 'import time\nfor i in range(30):\n    print(i, flush=True)\n    time.sleep(0.05)');
        await waitFor(() => streams(run.outputs.outputs).includes('5\n'), 20_000, 'the first lines');
        const dropped = proxy.dropAll();
        assert.ok(dropped > 0, 'a connection was open to drop');
        assert.equal(await run.done, 'ok');
        assert.equal(streams(run.outputs.outputs), Array.from({ length: 30 }, (_, i) => `${i}\n`).join(''));
        assert.ok(proxy.connections() > dropped, 'the client opened a new connection');
      } finally {
        proxy.close();
      }
    });

    it('follows a cell that a previous connection started, as after a window reload', async () => {
      const clientId = 'window-session-1';
      const first = await jupyter.start({ clientId });
      const run = execute(first, 'import time\nfor i in range(40):\n    print(i, flush=True)\n    time.sleep(0.05)');
      await waitFor(() => streams(run.outputs.outputs).includes('3\n'), 20_000, 'the first lines');
      first.dispose(); // the window goes away mid-cell
      await new Promise((r) => setTimeout(r, 400)); // output goes on while nobody is connected
      const second = jupyter.connect(first.id, { clientId });
      const followed = execute(second, '', { attachTo: run.msgId });
      assert.equal(await followed.done, 'ok');
      const text = streams(followed.outputs.outputs);
      // The server buffered what arrived while no one was connected and replays it to the same client id.
      const lines = text.trim().split('\n').map(Number);
      assert.equal(lines[lines.length - 1], 39);
      assert.ok(lines.length >= 30, `followed ${lines.length} lines, including those printed while disconnected`);
    });
  });

  describe('agent tools', () => {
    it('returns early with a handle for long work, then waits on it and reads only the new output', async () => {
      const k = await jupyter.start();
      const target: KernelTarget = { label: 'train.ipynb on local', connection: k, interrupt: () => k.interrupt(), restart: () => k.restart() };
      const executions = new AgentExecutions();
      const tools = new Map(kernelTools({ active: () => Promise.resolve(target) }, executions).map((t) => [t.name, t]));
      const context = { files: new WorkspaceFiles([{ name: 'ws', path: jupyter.stateDir }]), applyChange: () => Promise.resolve() };
      const signal = new AbortController().signal;
      const started = Date.now();
      const first = await tools.get('run_in_kernel')!.run(
        { code: 'import time\nfor epoch in range(6):\n    print(f"epoch {epoch} loss {1/(epoch+1):.3f}", flush=True)\n    time.sleep(0.5)', wait_seconds: 1 },
        context,
        signal,
      );
      assert.ok(Date.now() - started < 2500);
      assert.match(first.content, /execution_id: exec-1\nstatus: still running/);
      assert.match(first.content, /epoch 0 loss 1.000/);
      const second = await tools.get('wait_for_execution')!.run({ execution_id: 'exec-1', wait_seconds: 20 }, context, signal);
      assert.match(second.content, /status: ok after \d+ s/);
      assert.match(second.content, /epoch 5 loss 0.167/);
      assert.doesNotMatch(second.content, /epoch 0 loss/, 'only what arrived since the last read');
      const vars = await tools.get('kernel_variables')!.run({}, context, signal);
      assert.match(vars.content, /epoch: int = 5/);
      const state = await tools.get('kernel_state')!.run({}, context, signal);
      assert.match(state.content, /status: idle/);
    });

    it('"Allow for this chat" on run_in_kernel covers that code again, never other code (real broker, loopback API)', async () => {
      const k = await jupyter.start();
      const target: KernelTarget = { label: 'scope.ipynb on local', connection: k, interrupt: () => k.interrupt(), restart: () => k.restart() };
      const calls = ['hits = globals().get("hits", 0) + 1', 'hits = globals().get("hits", 0) + 1', 'import os\nleaked = os.getcwd()'];
      const broker = new ApprovalBroker(() => []);
      const asked: string[] = [];
      const h = await startHarness(
        (_, i) =>
          i < calls.length
            ? { kind: 'message', blocks: [{ type: 'tool_use', id: `toolu_scope${i}`, name: 'run_in_kernel', input: { code: calls[i] } }] }
            : { kind: 'message', blocks: [{ type: 'text', text: 'done' }] },
        {
          extraTools: kernelTools({ active: () => Promise.resolve(target) }, new AgentExecutions()),
          // The user answers each card shown "Allow for this chat" for the first code, and denies the other.
          approve: (request) => {
            const answer = broker.request(request, new AbortController().signal);
            if (broker.pendingRequest(request.callId)) {
              asked.push((request.input as { code: string }).code);
              broker.answer(request.callId, asked.length === 1, 'conversation');
            }
            return answer;
          },
        },
      );
      try {
        assert.equal(await h.session.send('go', new AbortController().signal), 'end_turn');
        assert.deepEqual(asked, [calls[0], calls[2]], 'the same code ran again unasked; other code was asked about');
        const cards = h.events.filter((e) => e.type === 'toolCall').map((e) => (e.type === 'toolCall' ? e.allowCovers : undefined));
        assert.deepEqual(cards, ['same', 'same', 'same'], 'the card says the allowance covers this same call');
        const vars = await kernelTools({ active: () => Promise.resolve(target) }, new AgentExecutions()).find((t) => t.name === 'kernel_variables')!.run({}, { files: new WorkspaceFiles([]), applyChange: () => Promise.resolve() }, new AbortController().signal);
        assert.match(vars.content, /hits: int = 2/);
        assert.doesNotMatch(vars.content, /leaked/, 'the denied code did not run');
      } finally {
        await h.close();
      }
    });

    it('shows the model the plot a kernel run drew, as an image beside the text (real SDK, loopback API)', async () => {
      const k = await jupyter.start();
      const target: KernelTarget = { label: 'plots.ipynb on local', connection: k, interrupt: () => k.interrupt(), restart: () => k.restart() };
      const h = await startHarness(
        (request, i) =>
          i === 0
            ? { kind: 'message', blocks: [{ type: 'tool_use', id: 'toolu_plot', name: 'run_in_kernel', input: { code: PNG_CODE } }] }
            : { kind: 'message', blocks: [{ type: 'text', text: `saw ${lastToolResults(request).length} result` }] },
        { extraTools: kernelTools({ active: () => Promise.resolve(target) }, new AgentExecutions()), approve: () => true },
      );
      try {
        assert.equal(await h.session.send('plot it', new AbortController().signal), 'end_turn');
        const [result] = lastToolResults(h.server.requests[1]!.body);
        const blocks = result!.content as { type: string; text?: string; source?: { type: string; media_type: string; data: string } }[];
        assert.ok(Array.isArray(blocks), 'the result is text and image blocks');
        assert.equal(blocks[0]?.type, 'text');
        assert.match(blocks[0]?.text ?? '', /\[image\/png image 2x3/);
        assert.equal(blocks[1]?.type, 'image');
        assert.equal(blocks[1]?.source?.media_type, 'image/png');
        const png = Buffer.from(blocks[1].source.data, 'base64');
        assert.equal(png.readUInt32BE(16), 2);
      } finally {
        await h.close();
      }
    });
  });
});

async function findProblem(record: LocalServerRecord): Promise<string> {
  const found = await findRecordedServer(record);
  return found.ok ? 'ok' : found.problem;
}

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
