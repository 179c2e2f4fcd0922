// The MCP server's own cost per call: inspect_model on examples/models/simple_cnn.onnx through
// `ml-engineer mcp` (the SDK's client, stdio, JSON-RPC, our validation) beside the same tool called
// in this process on the same folder, both with a warm model reader.
// - mcp_call_overhead_p50_ms: p50 through MCP minus p50 direct (target < 5 ms).
// - inspect_model_mcp_p50_ms (baseline: inspect_model_direct_p50_ms), tools_list_ms, mcp_start_ms.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { folderToolset } from '../src/toolset/folderToolset';
import { median, withBaseline, type BenchMetric } from './metric';

const ROOT = join(__dirname, '..');
const FOLDER = join(ROOT, 'examples');
const INPUT = { path: 'models/simple_cnn.onnx' };
const WARMUP = 5;
const CALLS = 60;

export async function run(): Promise<BenchMetric[]> {
  // The shipped bundle when built (what users run), else the source through tsx.
  const cli = join(ROOT, 'dist', 'cli.js');
  const args = existsSync(cli) ? [cli] : ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')];
  const transport = new StdioClientTransport({ command: process.execPath, args: [...args, 'mcp', '--folder', FOLDER], stderr: 'ignore' });
  const client = new Client({ name: 'ml-engineer-bench', version: '0' });
  const toolset = folderToolset({ folder: FOLDER });
  try {
    let t = performance.now();
    await client.connect(transport);
    const startMs = performance.now() - t;
    t = performance.now();
    await client.listTools();
    const listMs = performance.now() - t;

    const viaMcp = async (): Promise<number> => {
      const started = performance.now();
      const result = await client.callTool({ name: 'inspect_model', arguments: INPUT });
      if (result.isError) throw new Error(`inspect_model through MCP failed: ${JSON.stringify(result.content)}`);
      return performance.now() - started;
    };
    const tool = toolset.tools.find((x) => x.name === 'inspect_model')!;
    const signal = new AbortController().signal;
    const direct = async (): Promise<number> => {
      const started = performance.now();
      const parsed = tool.input.parse(INPUT);
      await tool.run(parsed, toolset.context, signal);
      return performance.now() - started;
    };
    for (let i = 0; i < WARMUP; i++) {
      await viaMcp();
      await direct();
    }
    // Interleaved, so both see the same machine load.
    const mcpTimes: number[] = [];
    const directTimes: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      mcpTimes.push(await viaMcp());
      directTimes.push(await direct());
    }
    const mcpP50 = median(mcpTimes);
    const directP50 = median(directTimes);
    return [
      withBaseline('mcp_call_overhead_p50_ms', mcpP50 - directP50, 'ms'),
      withBaseline('inspect_model_mcp_p50_ms', mcpP50, 'ms', directP50),
      withBaseline('tools_list_ms', listMs, 'ms'),
      withBaseline('mcp_start_ms', startMs, 'ms'),
    ];
  } finally {
    await client.close();
    await toolset.dispose();
  }
}
