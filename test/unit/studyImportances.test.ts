import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fanovaFits } from '../../src/studies/fanova';
import { ImportanceMemo } from '../../src/studies/importanceMemo';
import { StudyCatalog } from '../../src/studies/studyCatalog';
import { IMPORTANCE_REFRESH_MS, type StudyRecord, type TrialRecord } from '../../src/studies/studyModel';
import { studySummaryText } from '../../src/studies/studyText';
import { buildStudyView } from '../../src/studies/studyViewData';

// Importances are fitted in the studies worker (importanceMemo.ts), never on the extension host
// where the view data and the tools' text are built on every poll; on a live study the refit is
// held back, the last importances shown with the count they were fitted on.

const dist = { x: { type: 'float', low: 0, high: 1, log: false }, noise: { type: 'float', low: 0, high: 1, log: false } } as const;
const trial = (i: number): TrialRecord => {
  const x = ((i * 37) % 61) / 61;
  const noise = ((i * 11) % 61) / 61;
  return { number: i, state: 'complete', values: [x * x * 10 + noise * 0.01], params: { x, noise }, intermediate: [], userAttrs: {} };
};
const study = (n: number): StudyRecord => ({ key: 'f.db\0s', name: 's', directions: ['minimize'], distributions: dist, trials: Array.from({ length: n }, (_, i) => trial(i)), userAttrs: {} });
const withImportances = (s: StudyRecord, memo: ImportanceMemo): StudyRecord => memo.attach({ kind: 'optuna-sqlite', path: 'f.db', studies: [s], problems: [] }).studies[0]!;

describe('study importances: fitted off the host, throttled on live studies', () => {
  it('building the view data and the summary text fits no forest', () => {
    const before = fanovaFits();
    const bare = study(60);
    assert.deepEqual(buildStudyView(bare, 'f.db', [], () => undefined).importances, []);
    assert.doesNotMatch(studySummaryText(bare, 'f.db'), /Importances/);
    assert.equal(fanovaFits(), before, 'no fit on the calling thread');

    const fitted = withImportances(bare, new ImportanceMemo());
    assert.equal(fanovaFits(), before + 1, 'the worker side fits');
    const view = buildStudyView(fitted, 'f.db', [], () => undefined);
    assert.equal(view.importances[0]!.name, 'x');
    assert.equal(view.importanceTrials, null);
    assert.match(studySummaryText(fitted, 'f.db'), /Importances \(fANOVA[^)]*\): x /);
    assert.equal(fanovaFits(), before + 1);
  });

  it('the host-side modules do not import the forest', () => {
    for (const file of ['studyViewData.ts', 'studyText.ts', 'vscode/studyPanel.ts', 'studyCatalog.ts']) {
      const source = readFileSync(join(__dirname, '..', '..', 'src', 'studies', file), 'utf8');
      assert.doesNotMatch(source, /paramImportances|from '\.\.?\/(?:\.\.\/)?(?:fanova|importanceMemo)'/, file);
    }
  });

  it('a live study reuses its importances within the throttle, refits after it or when trials grew by a quarter', () => {
    let now = 0;
    const memo = new ImportanceMemo(IMPORTANCE_REFRESH_MS, () => now);
    const start = fanovaFits();
    const fits = (): number => fanovaFits() - start;

    const first = withImportances(study(40), memo);
    assert.equal(fits(), 1);
    assert.deepEqual({ trials: first.importances!.trials, stale: first.importances!.stale }, { trials: 40, stale: false });

    now = 1000;
    const next = withImportances(study(41), memo);
    assert.equal(fits(), 1, 'one more trial within the throttle: reused');
    assert.deepEqual(next.importances!.values, first.importances!.values);
    assert.deepEqual({ trials: next.importances!.trials, stale: next.importances!.stale }, { trials: 40, stale: true });
    assert.deepEqual(buildStudyView(next, 'f.db', [], () => undefined).importanceTrials, { fitted: 40, completed: 41 });
    assert.match(studySummaryText(next, 'f.db'), /fitted on 40 of 41 completed trials/);

    now = 2000;
    withImportances(study(49), memo);
    assert.equal(fits(), 1, 'grown by less than a quarter: reused');
    assert.equal(withImportances(study(50), memo).importances!.stale, false);
    assert.equal(fits(), 2, 'grown by a quarter: refitted');

    now = 2500;
    assert.equal(withImportances(study(51), memo).importances!.stale, true);
    now = 2500 + IMPORTANCE_REFRESH_MS;
    assert.equal(withImportances(study(51), memo).importances!.stale, false);
    assert.equal(fits(), 3, 'the throttle passed: refitted');
    withImportances(study(51), memo);
    assert.equal(fits(), 3, 'unchanged: never refitted');
  });

  it('the catalog rereads an unchanged file once a held-back refit is due, so a stopped study ends current', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mle-imp-'));
    const realNow = Date.now;
    try {
      const path = join(dir, 'f.db');
      writeFileSync(path, 'x');
      let reads = 0;
      const s = { ...study(41), importances: { values: [], trials: 40, stale: true } };
      const catalog = new StudyCatalog({ read: () => (reads++, Promise.resolve({ kind: 'optuna-sqlite', path, studies: [s], problems: [] })) });
      await catalog.setFiles([{ kind: 'optuna-sqlite', path }]);
      assert.deepEqual([await catalog.poll(), reads], [[], 1], 'within the throttle: not reread');
      const later = realNow() + IMPORTANCE_REFRESH_MS + 1;
      Date.now = () => later;
      assert.deepEqual([await catalog.poll(), reads], [[path], 2], 'due: reread though unchanged');
    } finally {
      Date.now = realNow;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
