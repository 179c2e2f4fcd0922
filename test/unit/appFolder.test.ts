import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { appDirCandidates, appDirFor, existingAppDir, markServedModel } from '../../src/serving/appFolder';

// Serve Locally's app folders on real files: two models of one file name get two folders, each
// found again for its own model (the marker), and a folder written before the marker serves the
// model whose bytes its copy holds.

describe('Serve Locally app folders: one per model path, stable', () => {
  let root: string;
  const model = (dir: string, bytes = dir): string => {
    mkdirSync(join(root, 'models', dir), { recursive: true });
    writeFileSync(join(root, 'models', dir, 'model.joblib'), bytes);
    return join(root, 'models', dir, 'model.joblib');
  };
  /** What writeDeployment leaves: app.py, the model's copy, and the plan's marker. */
  const writeApp = (appDir: string, modelPath: string, marked = true): void => {
    mkdirSync(join(appDir, 'model'), { recursive: true });
    writeFileSync(join(appDir, 'app.py'), '');
    writeFileSync(join(appDir, 'model', basename(modelPath)), basename(join(modelPath, '..')));
    const plan = markServedModel({ target: 'fastapi', name: 'model', files: [], copies: [], notes: [] }, root, modelPath);
    if (marked) for (const f of plan.files) writeFileSync(join(appDir, f.path), f.content);
  };
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'mle-appfolder-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('the first model of a name gets deploy/<name>-fastapi, a second its own folder; each finds its own again', async () => {
    const a = model('a');
    const b = model('b');
    const [plain, ownOfB] = appDirCandidates(root, b);
    assert.equal(plain, join(root, 'deploy', 'model-fastapi'));
    assert.match(basename(ownOfB), /^model-[0-9a-f]{8}-fastapi$/);
    assert.notEqual(appDirCandidates(root, a)[1], ownOfB, 'the second name depends on the path');
    assert.deepEqual(await appDirFor(root, a), { appDir: plain, exists: false });
    writeApp(plain, a);
    assert.deepEqual(await appDirFor(root, a), { appDir: plain, exists: true });
    assert.deepEqual(await appDirFor(root, b), { appDir: ownOfB, exists: false }, 'not the first model\'s app');
    assert.equal(await existingAppDir(root, b), undefined);
    writeApp(ownOfB, b);
    assert.deepEqual(await appDirFor(root, b), { appDir: ownOfB, exists: true });
    assert.equal(await existingAppDir(root, a), plain);
    assert.equal(await existingAppDir(root, b), ownOfB);
    assert.deepEqual(appDirCandidates(root, b), [plain, ownOfB], 'the same names every time');
  });

  it('a folder without the marker (written before it, or by Deploy) serves the model its copy matches', async () => {
    const a = model('a');
    const b = model('b');
    const [plain] = appDirCandidates(root, a);
    writeApp(plain, a, false);
    assert.equal(await existingAppDir(root, a), plain);
    assert.equal(await existingAppDir(root, b), undefined);
    assert.equal((await appDirFor(root, b)).appDir, appDirCandidates(root, b)[1]);
    // Retrained in place: the copy no longer matches, and the folder is not taken for it.
    writeFileSync(a, 'retrained');
    assert.equal(await existingAppDir(root, a), undefined);
  });
});
