import * as assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult, Tool as McpTool } from '@modelcontextprotocol/sdk/types.js';
import { Ajv2020 } from 'ajv/dist/2020';
import { folderToolset } from '../../src/toolset/folderToolset';
import { jupyterPython } from '../support/jupyterHarness';

// `ml-engineer mcp` as an MCP client sees it: the SDK's own client starts the real CLI over stdio
// on a copy of examples/, lists the tools, calls each read tool, is refused the others without
// their flags, and follows a kernel execution that outlasts its budget through its execution_id.

const repo = join(__dirname, '..', '..');

interface Session {
  client: Client;
  stderr: () => string;
  close(): Promise<void>;
}

async function startServer(folder: string, flags: string[]): Promise<Session> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', join(repo, 'src', 'cli', 'main.ts'), 'mcp', '--folder', folder, ...flags],
    cwd: repo,
    stderr: 'pipe',
    env: { ...(process.env as Record<string, string>), PATH: process.env.PATH ?? '' },
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: 'ml-engineer-test', version: '0.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr, close: () => client.close() };
}

function text(result: CallToolResult): string {
  return result.content.filter((c) => c.type === 'text').map((c) => (c as { text: string }).text).join('\n');
}

async function call(session: Session, name: string, args: Record<string, unknown>, timeoutMs = 60_000): Promise<CallToolResult> {
  return (await session.client.callTool({ name, arguments: args }, undefined, { timeout: timeoutMs })) as CallToolResult;
}

describe('MCP server (ml-engineer mcp) through the SDK client over stdio', function () {
  this.timeout(180_000);
  let folder: string;
  let python: string;

  before(async () => {
    python = await jupyterPython();
    folder = mkdtempSync(join(tmpdir(), 'mle-mcp-'));
    cpSync(join(repo, 'examples'), folder, { recursive: true });
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  describe('read-only (no flags)', () => {
    let session: Session;
    let tools: McpTool[];
    before(async () => {
      session = await startServer(folder, ['--python', python]);
      tools = (await session.client.listTools()).tools;
    });
    after(() => session.close());

    it('lists exactly the read tools of the folder, each input schema valid JSON Schema that accepts a real call', () => {
      const toolset = folderToolset({ folder });
      const reads = toolset.tools.filter((t) => t.risk === 'read').map((t) => t.name);
      void toolset.dispose();
      assert.deepEqual(tools.map((t) => t.name), reads);
      const ajv = new Ajv2020({ strict: true, allErrors: true });
      for (const tool of tools) {
        assert.equal(ajv.validateSchema(tool.inputSchema), true, `${tool.name}: ${ajv.errorsText(ajv.errors)}`);
        const validate = ajv.compile(tool.inputSchema);
        assert.equal(tool.inputSchema.type, 'object');
        assert.equal(tool.annotations?.readOnlyHint, true, tool.name);
        assert.ok(tool.description && tool.description.length > 20, tool.name);
        // Every schema refuses what is not an object.
        assert.equal(validate([]), false, tool.name);
      }
      const run = ajv.compile(tools.find((t) => t.name === 'inspect_model')!.inputSchema);
      assert.equal(run({ path: 'models/simple_cnn.onnx' }), true);
      assert.equal(run({}), false);
    });

    it('calls each read tool on the sample workspace', async () => {
      const calls: Record<string, Record<string, unknown>> = {
        read_file: { path: 'README.md' },
        list_files: {},
        search_workspace: { query: 'val_loss' },
        read_notebook: { path: 'notebooks/baseline.ipynb' },
        gpu_status: {},
        wait_for_execution: { execution_id: 'exec-99' },
        kernel_variables: {},
        kernel_state: {},
        list_runs: { sort_by_metric: 'val_loss', limit: 3 },
        metric_history: { run: 'mlp-hidden16', metric: 'val_loss', max_points: 10 },
        compare_runs: { runs: ['mlp-hidden16', 'mlp-lr-too-high'] },
        list_studies: {},
        study_summary: { study: 'tiny-classifier-tuning' },
        list_registered_models: {},
        model_versions: { model: 'churn' },
        preview_promotion: { model: 'churn', version: 2, alias: 'champion' },
        inspect_model: { path: 'models/simple_cnn.onnx' },
        query_model_graph: { path: 'models/simple_cnn.onnx' },
        benchmark_model: { path: 'models/simple_cnn.onnx', runs: 3 },
        describe_dataset: { path: 'lightning_logs/version_0/metrics.csv' },
        query_dataset: { sql: "SELECT count(*) AS n FROM 'lightning_logs/version_0/metrics.csv'" },
        detect_drift: { reference: 'lightning_logs/version_0/metrics.csv', current: 'lightning_logs/version_0/metrics.csv' },
        compare_models: { a: 'models/simple_cnn.onnx', b: 'models/simple_cnn.onnx', benchmark: false },
        cluster_info: {},
        job_status: {},
        job_logs: { job_id: '999999' },
        kernel_jobs: {},
      };
      assert.deepEqual(Object.keys(calls).sort(), tools.map((t) => t.name).sort(), 'a call for every read tool');
      const expect: Record<string, RegExp> = {
        read_file: /ML Engineer|example/i,
        list_files: /train\.py/,
        search_workspace: /val_loss/,
        read_notebook: /cell/i,
        gpu_status: /nvidia-smi|GPU/,
        wait_for_execution: /No execution exec-99/,
        kernel_variables: /kernel: python3 kernel in/,
        kernel_state: /status: (idle|busy)/,
        list_runs: /mlp-hidden16/,
        metric_history: /val_loss/,
        compare_runs: /mlp-hidden16[\s\S]*mlp-lr-too-high|mlp-lr-too-high[\s\S]*mlp-hidden16/,
        list_studies: /tiny-classifier-tuning/,
        study_summary: /tiny-classifier-tuning/,
        // examples/ has no registry (test/integration/registryFolderTools.test.ts has one).
        list_registered_models: /No registered models found/,
        model_versions: /No registered model "churn"\. Models: none\./,
        preview_promotion: /No registered model "churn"\. Models: none\./,
        inspect_model: /format: onnx[\s\S]*x: float32\[batch_size, 3, 32, 32\]/,
        query_model_graph: /Conv/,
        benchmark_model: /ms/,
        describe_dataset: /val_loss/,
        query_dataset: /1 row\n/,
        detect_drift: /val_loss/,
        compare_models: /simple_cnn\.onnx/,
        // The test Slurm cluster where .ci/run started it (test/support/slurm/), else Slurm's absence said in words.
        cluster_info: /debug \(default\)|not installed|controller/,
        job_status: /No jobs|^\d+|not installed|controller/m,
        job_logs: /does not know job 999999|not installed|controller/,
        kernel_jobs: /None is connected here|not installed|controller/,
      };
      for (const [name, args] of Object.entries(calls)) {
        const result = await call(session, name, args);
        const body = text(result);
        assert.match(body, expect[name]!, `${name}: ${body.slice(0, 500)}`);
        // Only the lookups of an unknown execution, job or registered model are errors here.
        if (/^(cluster_info|job_status|kernel_jobs)$/.test(name) && /not installed|controller/.test(body)) continue;
        assert.equal(result.isError === true, /^(wait_for_execution|job_logs|model_versions|preview_promotion)$/.test(name), `${name}: ${body.slice(0, 500)}`);
      }
    });

    it('refuses write and execute tools, naming the flag, and runs nothing', async () => {
      const run = await call(session, 'run_in_kernel', { code: "open('ran.txt', 'w').write('x')" });
      assert.equal(run.isError, true);
      assert.match(text(run), /run_in_kernel runs code: this server was started without --allow-execute/);
      const command = await call(session, 'run_command', { command: 'touch ran.txt' });
      assert.match(text(command), /--allow-execute/);
      const create = await call(session, 'create_file', { path: 'pwned.txt', content: 'x' });
      assert.equal(create.isError, true);
      assert.match(text(create), /create_file changes files: this server was started without --allow-write/);
      assert.equal(existsSync(join(folder, 'pwned.txt')), false);
      assert.equal(existsSync(join(folder, 'ran.txt')), false);
      const unknown = await call(session, 'format_disk', {});
      assert.match(text(unknown), /There is no tool named format_disk/);
      const invalid = await call(session, 'inspect_model', { path: 7 });
      assert.equal(invalid.isError, true);
      assert.match(text(invalid), /Invalid input for inspect_model: path/);
    });
  });

  describe('with --allow-execute and a 2 s budget', () => {
    let session: Session;
    before(async () => {
      session = await startServer(folder, ['--python', python, '--allow-execute', '--wait-budget', '2']);
    });
    after(() => session.close());

    it('a kernel execution that outlasts its budget is followed through its execution_id, never blocking past the budget', async () => {
      const listed = (await session.client.listTools()).tools;
      const schema = listed.find((t) => t.name === 'run_in_kernel')!.inputSchema as unknown as { properties: { wait_seconds: { maximum: number } } };
      assert.equal(schema.properties.wait_seconds.maximum, 2);
      // Start the kernel first: its start-up is not the execution's time.
      assert.match(text(await call(session, 'kernel_state', {})), /status: (idle|busy)/);
      const code = 'import time\nfor i in range(6):\n    print(f"step {i}", flush=True)\n    time.sleep(1)\nprint("done")';
      let started = performance.now();
      // A budget larger than allowed is refused by the schema; within it, the call returns at the budget.
      const refused = await call(session, 'run_in_kernel', { code, wait_seconds: 30 });
      assert.equal(refused.isError, true);
      assert.match(text(refused), /wait_seconds/);
      const first = await call(session, 'run_in_kernel', { code, wait_seconds: 2 }, 10_000);
      assert.ok(performance.now() - started < 6000, `run_in_kernel answered after ${Math.round(performance.now() - started)} ms`);
      const id = /execution_id: (exec-\d+)/.exec(text(first))?.[1];
      assert.ok(id, text(first));
      assert.match(text(first), /still running/);
      let output = text(first);
      let last = first;
      let waits = 0;
      while (!/^status: ok/m.test(text(last))) {
        started = performance.now();
        last = await call(session, 'wait_for_execution', { execution_id: id }, 10_000);
        assert.ok(performance.now() - started < 6000, `wait_for_execution answered after ${Math.round(performance.now() - started)} ms`);
        output += `\n${text(last)}`;
        waits++;
        assert.ok(waits < 10, output);
      }
      assert.ok(waits >= 1, output);
      // Each line once: every read returns only what is new.
      for (let i = 0; i < 6; i++) assert.equal(output.split(`step ${i}`).length - 1, 1, output);
      assert.match(output, /done/);
    });

    it('stops the Jupyter server it started when the client closes', async () => {
      const pid = Number(/Jupyter server of .* \(pid (\d+)\)/.exec(session.stderr())?.[1]);
      assert.ok(pid > 0, session.stderr());
      await session.close();
      const deadline = Date.now() + 20_000;
      while (alive(pid)) {
        assert.ok(Date.now() < deadline, `the Jupyter server ${pid} still runs`);
        await new Promise((r) => setTimeout(r, 100));
      }
    });
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
