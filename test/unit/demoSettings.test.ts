import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// `npm run demo`'s profile: no question about the clone's git repository (the demo workspace is
// inside it), no auto-save, and a later run fills in new settings without undoing the person's.
const script = resolve(__dirname, '../../scripts/demo-settings.mjs');

function run(file: string, python = '/usr/bin/python3'): { code: number | null; stderr: string } {
  const result = spawnSync(process.execPath, [script, file, python], { encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, stderr: result.stderr };
}

describe('demo profile settings (scripts/demo-settings.mjs)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mle-demo-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a fresh profile that never asks about the parent git repository and does not auto-save', () => {
    const file = join(dir, 'settings.json');
    assert.equal(run(file).code, 0);
    const settings = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    assert.equal(settings['git.openRepositoryInParentFolders'], 'never');
    assert.equal(settings['files.autoSave'], 'off');
    assert.equal(settings['mlEngineer.python.path'], '/usr/bin/python3');
    assert.equal(settings['security.workspace.trust.enabled'], false);
  });

  it('fills in what an older profile lacks and keeps what the person set', () => {
    const file = join(dir, 'settings.json');
    writeFileSync(file, JSON.stringify({ 'workbench.startupEditor': 'none', 'mlEngineer.python.path': '/opt/py/bin/python', 'workbench.colorTheme': 'Default Dark Modern' }));
    assert.equal(run(file).code, 0);
    const settings = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    assert.equal(settings['git.openRepositoryInParentFolders'], 'never');
    assert.equal(settings['files.autoSave'], 'off');
    assert.equal(settings['mlEngineer.python.path'], '/opt/py/bin/python');
    assert.equal(settings['workbench.colorTheme'], 'Default Dark Modern');
  });

  it('leaves a hand-edited file with comments alone and says so', () => {
    const file = join(dir, 'settings.json');
    const text = '{\n  // mine\n  "files.autoSave": "afterDelay",\n}\n';
    writeFileSync(file, text);
    const result = run(file);
    assert.equal(result.code, 0);
    assert.match(result.stderr, /is not plain JSON .*left unchanged/);
    assert.equal(readFileSync(file, 'utf8'), text);
  });
});
