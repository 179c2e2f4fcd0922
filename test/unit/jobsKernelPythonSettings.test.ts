import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/common/errors';
import { folderKernelPython, folderSetting, parseJsonc } from '../../src/jobs/kernel/folderSettings';

// mlEngineer.jobs.kernelPython for `ml-engineer ask`, the MCP server and `ml-engineer jobs
// --start-kernel` (src/jobs/kernel/folderSettings.ts): the folder's .vscode/settings.json read as
// the JSONC VS Code writes, checked as strictly as the editor checks it, --python winning.

describe('jobs: kernelPython from a folder\'s settings (headless)', () => {
  let root: string;
  const folder = (name: string, settings?: string): string => {
    const dir = join(root, name);
    mkdirSync(join(dir, '.vscode'), { recursive: true });
    if (settings !== undefined) writeFileSync(join(dir, '.vscode', 'settings.json'), settings);
    return dir;
  };
  before(() => (root = mkdtempSync(join(tmpdir(), 'ml-kernel-python-'))));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('reads JSONC: comments, trailing commas, and // or /* inside strings kept as text', () => {
    const text = `{
      // the cluster's Python
      "mlEngineer.jobs.kernelPython": { "gpu-login": "conda:torch", /* this machine: */ "local": "/opt/venvs/a b/bin/python3", },
      "url": "http://x//y /* not a comment */",
      "quote": "say \\"hi\\" // still text",
      "list": [1, 2,],
    }`;
    assert.deepEqual(parseJsonc(text), {
      'mlEngineer.jobs.kernelPython': { 'gpu-login': 'conda:torch', local: '/opt/venvs/a b/bin/python3' },
      url: 'http://x//y /* not a comment */',
      quote: 'say "hi" // still text',
      list: [1, 2],
    });
  });

  it('refuses what is not JSONC (no guessing)', () => {
    assert.throws(() => parseJsonc('{ "a": 1 /* open'), /comment is not closed/);
    assert.throws(() => parseJsonc('{ "a": "open }'), /string is not closed/);
    assert.throws(() => parseJsonc("{ a: 'single' }"), SyntaxError);
  });

  it('the setting per cluster, one for all, the default where absent; --python wins', () => {
    const perCluster = folder('per', '{\n  // set in the editor\n  "mlEngineer.jobs.kernelPython": { "gpu-login": "conda:torch", "local": "/opt/py/bin/python3" },\n}\n');
    assert.deepEqual(folderKernelPython(perCluster, 'gpu-login'), { python: 'python', environment: { kind: 'conda', name: 'torch' }, from: '.vscode/settings.json' });
    assert.deepEqual(folderKernelPython(perCluster, 'local'), { python: '/opt/py/bin/python3', from: '.vscode/settings.json' });
    assert.equal(folderKernelPython(perCluster, 'other'), undefined);
    assert.deepEqual(folderKernelPython(perCluster, 'local', 'python3.11'), { python: 'python3.11', from: '--python' });
    const one = folder('one', '{ "mlEngineer.jobs.kernelPython": "python3.12" }');
    assert.deepEqual(folderKernelPython(one, 'anywhere'), { python: 'python3.12', from: '.vscode/settings.json' });
    assert.equal(folderKernelPython(folder('none'), 'local'), undefined);
    assert.equal(folderKernelPython(folder('other-keys', '{ "editor.tabSize": 2 }'), 'local'), undefined);
  });

  it('a bad value or an unreadable file is a UserError saying where', () => {
    const bad = folder('bad', '{ "mlEngineer.jobs.kernelPython": "python; rm -rf ~" }');
    assert.throws(() => folderKernelPython(bad, 'local'), (e: unknown) => e instanceof UserError && /is not a Python/.test(e.message));
    const broken = folder('broken', '{ "mlEngineer.jobs.kernelPython": "python3" ');
    assert.throws(() => folderSetting(broken, 'mlEngineer.jobs.kernelPython'), (e: unknown) => e instanceof UserError && e.message.includes(join(broken, '.vscode', 'settings.json')));
    // A broken file does not matter when --python is given.
    assert.deepEqual(folderKernelPython(broken, 'local', '/usr/bin/python3'), { python: '/usr/bin/python3', from: '--python' });
  });
});
