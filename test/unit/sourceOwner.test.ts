import assert from 'node:assert/strict';
import path from 'node:path';
import { owningSource } from '../../src/tracking/sourceOwner';

/** Which source a watched file belongs to (trackingFeature's file watcher), on Windows and on Linux. */
describe('owningSource: a changed file reloads its own source only', () => {
  it('finds the source of a file under its root with Windows paths (path.win32)', () => {
    const sources = [{ root: 'c:\\work\\mlruns' }, { root: 'c:\\work\\mlflow.db' }, { root: 'c:\\work\\lightning_logs' }];
    assert.equal(owningSource('c:\\work\\mlruns\\0\\abc\\metrics\\loss', sources, path.win32), sources[0]);
    assert.equal(owningSource('c:\\work\\mlruns', sources, path.win32), sources[0]);
    assert.equal(owningSource('c:\\work\\mlflow.db-wal', sources, path.win32), sources[1]);
    assert.equal(owningSource('c:\\work\\lightning_logs\\version_0\\metrics.csv', sources, path.win32), sources[2]);
    // Drive letters and folder names differ in case between a setting and VS Code's fsPath.
    assert.equal(owningSource('C:\\Work\\MLRuns\\0\\meta.yaml', sources, path.win32), sources[0]);
    assert.equal(owningSource('c:/work/mlruns/0/meta.yaml', sources, path.win32), sources[0], 'forward slashes are separators on Windows too');
  });

  it('finds the source of a file under its root with POSIX paths, case-sensitively', () => {
    const sources = [{ root: '/work/mlruns' }, { root: '/work/mlflow.db' }];
    assert.equal(owningSource('/work/mlruns/0/abc/metrics/loss', sources, path.posix), sources[0]);
    assert.equal(owningSource('/work/mlflow.db-shm', sources, path.posix), sources[1]);
    assert.equal(owningSource('/work/MLRUNS/0/meta.yaml', sources, path.posix), undefined);
  });

  it('leaves files of a new folder to discovery: a sibling that only shares a prefix is not the source', () => {
    for (const p of [path.win32, path.posix]) {
      const root = p === path.win32 ? 'c:\\work\\mlruns' : '/work/mlruns';
      const sources = [{ root }];
      assert.equal(owningSource(p.join(root, '..', 'mlruns2', '0', 'meta.yaml'), sources, p), undefined);
      assert.equal(owningSource(p.join(root, '..', 'mlruns-old', '0', 'meta.yaml'), sources, p), undefined);
      assert.equal(owningSource(p.join(root, '..', 'runs', 'events.out.tfevents.1'), sources, p), undefined);
    }
  });
});
