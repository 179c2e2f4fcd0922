import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JournalReplay, looksLikeJournal } from '../../src/studies/optunaJournal';
import { optunaTime } from '../../src/studies/optunaSqlite';
import { parseFromStudyView } from '../../src/studies/protocol';
import { bestRegion, bestTrial, historySeries, paramImportances, paretoFront } from '../../src/studies/studyAnalysis';
import { externalValue, parseDistribution, type StudyRecord, type TrialRecord } from '../../src/studies/studyModel';
import { RunIndex } from '../../src/studies/trialRuns';
import type { RunRecord } from '../../src/tracking/runModel';

// The pure parts of the studies: distributions (current and pre-3.0 names), journal replay rules,
// best / Pareto / importances / history, the study view's message check, trial → run links.

const trial = (number: number, values: number[] | undefined, params: Record<string, number | string> = {}, state: TrialRecord['state'] = 'complete'): TrialRecord => ({ number, state, ...(values ? { values } : {}), params, intermediate: [], userAttrs: {} });
const study = (directions: StudyRecord['directions'], trials: TrialRecord[], distributions: StudyRecord['distributions'] = {}): StudyRecord => ({ key: 'k', name: 's', directions, trials, distributions, userAttrs: {} });

describe('studies: distributions and values', () => {
  it('reads current and legacy distribution JSON; a categorical index becomes its choice', () => {
    assert.deepEqual(parseDistribution('{"name": "FloatDistribution", "attributes": {"step": null, "low": 1e-05, "high": 0.1, "log": true}}'), { type: 'float', low: 1e-5, high: 0.1, log: true });
    assert.deepEqual(parseDistribution('{"name": "LogUniformDistribution", "attributes": {"low": 0.001, "high": 1}}'), { type: 'float', low: 0.001, high: 1, log: true });
    assert.deepEqual(parseDistribution('{"name": "DiscreteUniformDistribution", "attributes": {"low": 0, "high": 1, "q": 0.25}}'), { type: 'float', low: 0, high: 1, log: false, step: 0.25 });
    assert.deepEqual(parseDistribution('{"name": "IntLogUniformDistribution", "attributes": {"low": 1, "high": 64, "step": 1}}'), { type: 'int', low: 1, high: 64, log: true, step: 1 });
    const cat = parseDistribution('{"name": "CategoricalDistribution", "attributes": {"choices": ["adam", null, true, 3, [1, 2]]}}');
    assert.deepEqual(cat, { type: 'categorical', choices: ['adam', null, true, 3, '[1,2]'] });
    assert.equal(externalValue(2, cat), true);
    assert.equal(externalValue(7, cat), 7, 'an index past the choices stays a number');
    assert.equal(externalValue(3.0, parseDistribution('{"name": "IntDistribution", "attributes": {"log": false, "step": 1, "low": 1, "high": 4}}')), 3);
    for (const bad of ['not json', '{"name": "Foo", "attributes": {}}', '{"name": "FloatDistribution"}', 'null']) assert.equal(parseDistribution(bad), undefined);
  });

  it('reads Optuna\'s naive datetimes as local time', () => {
    assert.equal(optunaTime('2026-12-05 13:29:42.345612'), new Date(2026, 11, 5, 13, 29, 42, 345).getTime());
    assert.equal(optunaTime('yesterday'), undefined);
    assert.equal(optunaTime(null), undefined);
  });
});

describe('studies: best, Pareto front, importances, history', () => {
  it('best trial by direction, NaN never best; the history keeps the best so far', () => {
    const s = study(['maximize'], [trial(0, [1]), trial(1, [NaN]), trial(2, [3]), trial(3, [2]), trial(4, undefined, {}, 'running')]);
    assert.equal(bestTrial(s)!.number, 2);
    assert.deepEqual(historySeries(s), { numbers: [0, 2, 3], values: [1, 3, 2], best: [1, 3, 3] });
  });

  it('the Pareto front of a two-objective study (minimize, maximize)', () => {
    const s = study(['minimize', 'maximize'], [trial(0, [1, 1]), trial(1, [2, 3]), trial(2, [2, 2]), trial(3, [3, 3]), trial(4, [0.5, 0.5]), trial(5, [1, 1])]);
    assert.deepEqual(paretoFront(s).map((t) => t.number), [0, 1, 4, 5]);
  });

  it('importances: the parameter that drives the objective first, summing to 1; the best region', () => {
    const dist = { x: { type: 'float', low: 0, high: 1, log: false }, noise: { type: 'float', low: 0, high: 1, log: false }, c: { type: 'categorical', choices: ['a', 'b'] } } as const;
    const trials = Array.from({ length: 60 }, (_, i) => {
      const x = (i * 37) % 60 / 60;
      const noise = (i * 11) % 60 / 60;
      const c = i % 2 ? 'a' : 'b';
      return trial(i, [x * x * 10 + (c === 'a' ? 0.5 : 0) + noise * 0.01], { x, noise, c });
    });
    const s = study(['minimize'], trials, dist);
    const imp = paramImportances(s);
    assert.equal(imp[0]!.name, 'x');
    assert.ok(Math.abs(imp.reduce((a, r) => a + r.importance, 0) - 1) < 1e-9);
    const region = bestRegion(s);
    assert.equal(region.trials, 6);
    const x = region.regions.find((r) => r.name === 'x');
    assert.ok(x && 'high' in x && x.high < 0.2);
  });
});

describe('studies: journal replay', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mle-journal-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('counts study and trial ids over the whole log, drops a deleted study, refuses a second study of one name', () => {
    const ops = [
      { op_code: 0, worker_id: 'w', study_name: 'a', directions: [1] },
      { op_code: 0, worker_id: 'w', study_name: 'b', directions: [2, 1] },
      { op_code: 0, worker_id: 'w', study_name: 'a', directions: [1] }, // refused: no id taken
      { op_code: 4, worker_id: 'w', study_id: 0, datetime_start: '2026-01-01T00:00:00.000000' },
      { op_code: 4, worker_id: 'w', study_id: 1, datetime_start: '2026-01-01T00:00:00.000000' },
      { op_code: 5, worker_id: 'w', trial_id: 1, param_name: 'opt', param_value_internal: 1, distribution: '{"name": "CategoricalDistribution", "attributes": {"choices": ["adam", "sgd"]}}' },
      { op_code: 7, worker_id: 'w', trial_id: 1, step: 0, intermediate_value: 0.5 },
      { op_code: 8, worker_id: 'w', trial_id: 1, user_attr: { run_id: 'abc' } },
      { op_code: 6, worker_id: 'w', trial_id: 1, state: 1, values: [0.1, 0.2], datetime_complete: '2026-01-01T00:00:01.000000' },
      { op_code: 1, worker_id: 'w', study_id: 0 },
      { op_code: 4, worker_id: 'w', study_id: 0, datetime_start: null }, // the deleted study: ignored
    ];
    const path = join(dir, 'j.log');
    writeFileSync(path, ops.map((o) => JSON.stringify(o)).join('\n') + '\n');
    const snap = new JournalReplay(path).read();
    assert.deepEqual(snap.problems, []);
    assert.deepEqual(snap.studies.map((s) => [s.name, s.directions]), [['b', ['maximize', 'minimize']]]);
    const t = snap.studies[0]!.trials[0]!;
    assert.deepEqual([t.number, t.state, t.values, t.params, t.intermediate, t.userAttrs], [0, 'complete', [0.1, 0.2], { opt: 'sgd' }, [[0, 0.5]], { run_id: 'abc' }]);
    assert.equal(t.complete! - t.start!, 1000);
    assert.ok(looksLikeJournal(JSON.stringify(ops[0]).replace(/,/g, ', ').replace(/:/g, ': ')));
    assert.ok(!looksLikeJournal('{"foo": 1}'));
  });

  it('rereads from the start when the log shrank (replaced), and refuses an endless line', () => {
    const path = join(dir, 'j.log');
    writeFileSync(path, `${JSON.stringify({ op_code: 0, worker_id: 'w', study_name: 'long-name-study', directions: [1] })}\n`);
    const replay = new JournalReplay(path);
    assert.equal(replay.read().studies[0]!.name, 'long-name-study');
    writeFileSync(path, `${JSON.stringify({ op_code: 0, worker_id: 'w', study_name: 'b', directions: [1] })}\n`);
    assert.deepEqual(replay.read().studies.map((s) => s.name), ['b']);
    writeFileSync(path, 'x'.repeat(9 * 1024 * 1024));
    assert.throws(() => new JournalReplay(path).read(), /longer than 8 MB/);
  });
});

describe('studies: the study view\'s messages and run links', () => {
  it('accepts only well-formed messages from the page', () => {
    assert.deepEqual(parseFromStudyView({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parseFromStudyView({ type: 'openRun', trial: 3 }), { type: 'openRun', trial: 3 });
    for (const bad of [null, 'ready', {}, { type: 'openRun', trial: -1 }, { type: 'openRun', trial: '3' }, { type: 'openRun', trial: 1.5 }, Object.create({ type: 'ready' })]) assert.equal(parseFromStudyView(bad), undefined);
  });

  it('links a trial to the run its user attributes name (by id anywhere, by name under a run-like key)', () => {
    const run = (runId: string, name: string): RunRecord => ({ key: `s#${runId}`, source: 'mlflow', sourceId: 's', experiment: 'e', runId, name, status: 'finished', params: {}, tags: {}, metrics: [], location: '', problems: [] });
    const index = new RunIndex([run('a'.repeat(32), 'trial-3'), run('b'.repeat(32), 'other')]);
    const t = (attrs: Record<string, unknown>): TrialRecord => ({ ...trial(0, [1]), userAttrs: attrs });
    assert.equal(index.runOf(t({ anything: 'b'.repeat(32) }))?.name, 'other');
    assert.equal(index.runOf(t({ mlflow_run_name: 'trial-3' }))?.runId, 'a'.repeat(32));
    assert.equal(index.runOf(t({ note: 'trial-3' })), undefined, 'a name only counts under a run-like key');
    assert.equal(index.runOf(t({ run_id: 42 })), undefined);
  });
});
