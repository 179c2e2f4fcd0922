import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { walkFiles } from '../../src/agent/tools/fileWalker';
import { readFileTool } from '../../src/agent/tools/fileTools';
import type { ToolContext } from '../../src/agent/tools/tool';
import { ToolInputError } from '../../src/agent/tools/toolInputError';
import { WorkspaceFiles } from '../../src/agent/tools/workspaceFiles';
import { gatherWorkspaceFacts } from '../../src/chat/workspaceFacts';
import { expandMentions } from '../../src/chat/mentions';
import { NotARegularFile, readRegularFile } from '../../src/common/regularFile';

// A hostile workspace against what the extension host itself reads of it (not a reader worker):
// a FIFO named like a source file or requirements.txt (a tar or zip carries one), a socket, a
// folder tree of tens of thousands of empty folders. Each must cost a clear error or a bounded
// walk, never a read that waits forever in one of the host's four libuv threads.

const fifos = process.platform !== 'win32';

/** Settles within `ms`, or says it is still waiting (what a read blocked in open(2) does). */
function within<T>(promise: Promise<T>, ms: number): Promise<{ value?: T; error?: unknown; pending?: true }> {
  return Promise.race([
    promise.then((value) => ({ value }), (error: unknown) => ({ error })),
    new Promise<{ pending: true }>((resolve) => setTimeout(() => resolve({ pending: true }), ms).unref()),
  ]);
}

(fifos ? describe : describe.skip)('attack: workspace files the extension host reads', () => {
  let ws: string;
  let files: WorkspaceFiles;
  const made: string[] = [];
  let server: Server | undefined;

  const fifo = (name: string): string => {
    const path = join(ws, name);
    execFileSync('mkfifo', [path]);
    made.push(path);
    return path;
  };

  before(() => {
    ws = mkdtempSync(join(tmpdir(), 'mle-attack-host-'));
    files = new WorkspaceFiles([{ name: 'ws', path: ws }]);
  });

  after(() => {
    // A reader still blocked in open(2) of a FIFO (the bug) is let go: a writer opens and closes it.
    for (const path of made) {
      try {
        closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // no reader waiting
      }
    }
    server?.close();
    rmSync(ws, { recursive: true, force: true });
  });

  it('read_file on a FIFO named train.py says what it is at once', async () => {
    fifo('train.py');
    const context = { files } as ToolContext;
    const outcome = await within(readFileTool.run({ path: 'train.py' }, context, new AbortController().signal), 3000);
    assert.ok(!outcome.pending, 'read_file of a FIFO is still waiting after 3 s (blocked in open(2))');
    assert.ok(outcome.error instanceof ToolInputError, String(outcome.error));
    assert.match(outcome.error.message, /train\.py is a named pipe \(FIFO\), not a file/);
  });

  it('an @mention of a FIFO (and propose_edit, read_notebook: all through readText) does not wait', async () => {
    fifo('notes.md');
    const outcome = await within(expandMentions('look at @notes.md', { readFile: async (p) => (await files.readText(p, 200_000)).text, selection: undefined }), 3000);
    assert.ok(!outcome.pending, 'the mention is still waiting after 3 s');
    assert.match(String(outcome.value), /<file path="notes\.md" error="notes\.md is a named pipe \(FIFO\), not a file: it is not read\." \/>/);
  });

  it('a socket named like a file is refused by kind, not with ENXIO', async () => {
    const path = join(ws, 'data.csv');
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(path, resolve));
    await assert.rejects(files.readText('data.csv'), /data\.csv is a socket, not a file/);
  });

  it('the chat starts in a workspace whose requirements.txt is a FIFO', async () => {
    const dir = join(ws, 'project');
    mkdirSync(dir);
    const path = join(dir, 'requirements.txt');
    execFileSync('mkfifo', [path]);
    made.push(path);
    writeFileSync(join(dir, 'pyproject.toml'), '[project]\ndependencies = ["torch"]\n');
    const outcome = await within(gatherWorkspaceFacts([{ name: 'project', path: dir }], { pythonCandidates: [], nvidiaSmi: join(dir, 'no-nvidia-smi') }), 8000);
    assert.ok(!outcome.pending, 'the workspace facts (awaited before the first request) are still waiting after 8 s');
    assert.ok(outcome.value?.frameworks.includes('torch'), JSON.stringify(outcome.value));
  });

  it('readRegularFile: the first bytes of a large file with cut, FileTooLarge without', async () => {
    const path = join(ws, 'big.txt');
    writeFileSync(path, 'x'.repeat(5000));
    assert.equal((await readRegularFile(path, 100, { cut: true })).length, 100);
    await assert.rejects(readRegularFile(path, 100), /5000 bytes, more than the 100 read/);
    await assert.rejects(readRegularFile(ws, 100), NotARegularFile);
  });

  it('a tree of empty folders is walked only so far (the facts count notebooks with it)', async () => {
    const tree = join(ws, 'tree');
    for (let i = 0; i < 2100; i++) mkdirSync(join(tree, `d${String(i).padStart(4, '0')}`), { recursive: true });
    mkdirSync(join(tree, 'zz'));
    writeFileSync(join(tree, 'zz', 'late.ipynb'), '{}');
    const walk = await walkFiles(tree, { limit: 5000 });
    assert.equal(walk.truncated, true, 'a walk of 2,100 folders was not cut');
    assert.deepEqual(walk.files, []);
  });
});

describe('attack: workspace paths the agent names', () => {
  it('a file whose name starts with ".." is inside the workspace', async () => {
    const ws = mkdtempSync(join(tmpdir(), 'mle-attack-dots-'));
    try {
      writeFileSync(join(ws, '..env'), 'SECRET=inside\n');
      writeFileSync(join(ws, '...'), 'three dots\n');
      const files = new WorkspaceFiles([{ name: 'ws', path: ws }]);
      assert.equal((await files.readText('..env')).text, 'SECRET=inside\n');
      assert.equal((await files.readText('...')).text, 'three dots\n');
      await assert.rejects(files.readText('../..env'), /outside the workspace/);
      await assert.rejects(files.readText('..'), /outside the workspace/);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });
});
