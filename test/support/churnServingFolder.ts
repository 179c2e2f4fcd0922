import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tool, ToolResult } from '../../src/agent/tools/tool';
import { folderToolset, type FolderToolset } from '../../src/toolset/folderToolset';

const PYTHON = '/usr/bin/python3';
export const CHURN_PIPELINE = join(__dirname, '..', '..', 'examples', 'models', 'churn_pipeline.joblib');

export interface ChurnServingFolder {
  readonly ws: string;
  readonly toolset: FolderToolset;
  tool(name: string): Tool;
  call(name: string, input: Record<string, unknown>): Promise<ToolResult>;
  /** A fresh toolset on the same folder, for a test that disposed the last one. */
  renew(): void;
}

/**
 * For a mocha suite: a temporary folder with examples/models/churn_pipeline.joblib in models/ (and
 * what `setup` adds), and that folder's toolset as `ml-engineer ask` and the MCP server run it, on
 * Debian's python3 (python3-uvicorn, python3-fastapi serve what serve_locally writes). Made before
 * the suite, disposed and removed after it.
 */
export function useChurnServingFolder(prefix: string, setup: (ws: string) => void = () => undefined): ChurnServingFolder {
  let ws = '';
  let toolset: FolderToolset | undefined;
  const signal = new AbortController().signal;
  before(() => {
    ws = mkdtempSync(join(tmpdir(), prefix));
    mkdirSync(join(ws, 'models'));
    cpSync(CHURN_PIPELINE, join(ws, 'models', 'churn_pipeline.joblib'));
    setup(ws);
    toolset = folderToolset({ folder: ws, python: PYTHON });
  });
  after(async () => {
    await toolset?.dispose();
    rmSync(ws, { recursive: true, force: true });
  });
  const folder: ChurnServingFolder = {
    get ws() {
      return ws;
    },
    get toolset() {
      return toolset!;
    },
    tool: (name) => toolset!.tools.find((t) => t.name === name)!,
    call: (name, input) => folder.tool(name).run(input, toolset!.context, signal),
    renew: () => {
      toolset = folderToolset({ folder: ws, python: PYTHON });
    },
  };
  return folder;
}
