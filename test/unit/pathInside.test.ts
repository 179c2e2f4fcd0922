import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { isDirectChild, isInside, isSameOrInside, samePath, toSlashes } from '../../src/common/pathInside';
import { artifactUriPath } from '../../src/tracking/mlflowFileStore';

// The path tests of the core code, run with both platforms' rules (path.posix and path.win32) on
// any machine: `startsWith(folder + '/')` left every TensorBoard chart empty on Windows and made
// every metric write rediscover all runs.

const platforms = [
  { name: 'POSIX', p: path.posix, root: '/home/me/proj', other: '/home/me/project2', foreignAbsolute: 'C:\\Users\\me' },
  { name: 'Windows', p: path.win32, root: 'C:\\Users\\me\\proj', other: 'C:\\Users\\me\\project2', foreignAbsolute: '/home/me' },
];

describe('path tests on Linux and Windows alike', () => {
  for (const { name, p, root, other } of platforms) {
    describe(name, () => {
      const run = p.join(root, 'runs', 'exp1');
      const file = p.join(run, 'events.out.tfevents.1.host');

      it('a file directly in a run folder belongs to it; one in a sub-folder or a sibling does not', () => {
        assert.ok(isDirectChild(run, file, p));
        assert.ok(!isDirectChild(run, p.join(run, 'nested', 'events.out.tfevents.2'), p));
        assert.ok(!isDirectChild(run, p.join(`${run}2`, 'events.out.tfevents.3'), p), 'runs/exp12 is not inside runs/exp1');
        assert.ok(!isDirectChild(run, run, p));
        assert.ok(isDirectChild(`${run}${p.sep}`, file, p), 'a trailing separator changes nothing');
      });

      it('inside, same, and the look-alikes that are not inside', () => {
        assert.ok(isSameOrInside(root, root, p));
        assert.ok(isSameOrInside(root, p.join(root, 'mlruns', '0', 'meta.yaml'), p));
        assert.ok(isInside(root, p.join(root, '..foo'), p), 'a name that starts with two dots is still inside');
        assert.ok(!isInside(root, root, p));
        assert.ok(!isSameOrInside(root, other, p), 'proj is not a folder of project2');
        assert.ok(!isSameOrInside(root, p.dirname(root), p));
        assert.ok(!isSameOrInside(root, p.join(root, '..', 'secret'), p));
        assert.ok(samePath(root, `${root}${p.sep}`, p));
        assert.equal(toSlashes(p.relative(root, p.join(root, 'a', 'b', 'c')), p), 'a/b/c');
      });
    });
  }

  it('Windows: drive letter case and forward slashes, as VS Code\'s fsPath and a typed setting differ', () => {
    const w = path.win32;
    // uri.fsPath gives "c:\\..."; a root from mlEngineer.tracking.roots may say "C:/...".
    assert.ok(isSameOrInside('C:/Users/me/proj/mlruns', 'c:\\Users\\me\\proj\\mlruns\\0\\abc\\metrics\\loss', w));
    assert.ok(samePath('C:\\Users\\me\\proj\\mlflow.db-wal', 'c:\\users\\me\\proj\\mlflow.db-wal', w));
    assert.ok(!isSameOrInside('C:\\proj', 'D:\\proj\\x', w), 'another drive is never inside');
    assert.ok(isSameOrInside('\\\\server\\share\\runs', '\\\\server\\share\\runs\\a', w), 'UNC paths');
    // What the old tests did, for the record: they fail on every Windows path.
    const location = 'c:\\proj\\runs\\exp1';
    assert.equal(`${location}\\events.out.tfevents.1`.startsWith(location + '/'), false);
    assert.ok(isDirectChild(location, `${location}\\events.out.tfevents.1`, w));
  });

  it('an artifact_uri is a local path only where it is one on this kind of machine', () => {
    const w = path.win32;
    const x = path.posix;
    assert.equal(artifactUriPath('file:///C:/Users/me/mlruns/0/abc/artifacts', w), 'C:\\Users\\me\\mlruns\\0\\abc\\artifacts');
    assert.equal(artifactUriPath('C:\\Users\\me\\mlruns\\0\\abc\\artifacts', w), 'C:\\Users\\me\\mlruns\\0\\abc\\artifacts');
    assert.equal(artifactUriPath('file:///C:/Users/me/artifacts', x), undefined, 'a Windows file URI read on Linux');
    assert.equal(artifactUriPath('C:\\Users\\me\\artifacts', x), undefined);
    assert.equal(artifactUriPath('file:///home/me/mlruns/0/abc/artifacts', x), '/home/me/mlruns/0/abc/artifacts');
    assert.equal(artifactUriPath('/home/me/artifacts', x), '/home/me/artifacts');
    for (const p of [w, x]) {
      assert.equal(artifactUriPath('s3://bucket/0/abc/artifacts', p), undefined);
      assert.equal(artifactUriPath('mlflow-artifacts:/0/abc/artifacts', p), undefined);
      assert.equal(artifactUriPath('relative/artifacts', p), undefined);
      assert.equal(artifactUriPath(42, p), undefined);
    }
  });
});
