import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { runCli } from '../../src/cli/runCli';
import { SUBCOMMANDS } from '../../src/cli/subcommands';
import { RunFilterState } from '../../src/tracking/runFilterState';
import { trackingTools } from '../../src/tracking/trackingTools';
import { matchesQuery, parseRunQuery, queryNotes, rangeMetrics, RunQueryError, type MetricLookup } from '../../src/tracking/runFilter';
import { filterRuns } from '../../src/tracking/runQuery';
import { runRecord, useMixedCatalog } from '../support/runRecords';

const run = runRecord;

describe('run filter: comparisons on metrics and params', () => {
  const good = run('good', { params: { lr: '0.001', model: 'mlp', layers: '10' }, tags: { team: 'vision' }, metrics: [{ key: 'val_loss', last: 0.31, lastStep: 19, min: 0.3, max: 0.7 }, { key: 'val_acc', last: 0.88, lastStep: 19 }] });
  const base = run('baseline', { params: { lr: '0.1', model: 'logreg', layers: '9' }, metrics: [{ key: 'val_loss', last: 0.46, lastStep: 19, min: 0.39, max: 0.75 }] });
  const nan = run('diverged', { status: 'failed', params: { lr: '1e-0', model: 'mlp' }, metrics: [{ key: 'val_loss', last: NaN, lastStep: 10, min: 0.5, max: 9.1 }] });
  const tb = run('run_1', { source: 'tensorboard', metrics: [{ key: 'val_loss', last: 0.2, lastStep: 495 }] });
  const all = [good, base, nan, tb];
  const names = (text: string, metric?: MetricLookup): string[] => filterRuns(all, { text, ...(metric ? { metric } : {}) }).map((r) => r.name);

  it('compares a metric\'s last value: val_loss<0.4 keeps the runs below, never a NaN', () => {
    assert.deepEqual(names('val_loss<0.4'), ['good', 'run_1']);
    assert.deepEqual(names('val_loss <= 0.46'), ['good', 'baseline', 'run_1'], 'spaces around the operator');
    assert.deepEqual(names('val_loss>0.4'), ['baseline']);
    assert.deepEqual(names('val_loss>=0.46'), ['baseline']);
    assert.deepEqual(names('val_loss=0.2'), ['run_1']);
    assert.deepEqual(names('val_loss==0.2'), ['run_1']);
    assert.deepEqual(names('val_loss!=0.2'), ['good', 'baseline', 'diverged']);
    assert.deepEqual(names('metrics.val_loss<4e-1'), ['good', 'run_1']);
    assert.deepEqual(names('val_acc>0.5'), ['good'], 'a run without the metric never matches');
  });

  it('finds diverged runs with =nan, and refuses nan with an ordering', () => {
    assert.deepEqual(names('val_loss=nan'), ['diverged']);
    assert.deepEqual(names('val_loss!=NaN'), ['good', 'baseline', 'run_1']);
    assert.throws(() => parseRunQuery('val_loss<nan'), /nan is only compared with = or !=/);
  });

  it('reads min() and max() from the summary, and from a fuller lookup where the listing lacks them', () => {
    assert.deepEqual(names('min(val_loss)<0.4'), ['good', 'baseline']);
    assert.deepEqual(names('max(val_loss)>5'), ['diverged']);
    assert.deepEqual(names('MIN( val_loss )<0.4'), ['good', 'baseline']);
    const full: MetricLookup = (r, key) => (r.name === 'run_1' ? { key, last: 0.2, lastStep: 495, min: 0.1, max: 2 } : r.metrics.find((m) => m.key === key));
    assert.deepEqual(names('min(val_loss)<0.4', full), ['good', 'baseline', 'run_1']);
    assert.deepEqual(rangeMetrics(parseRunQuery('min(val_loss)<1 max("a b")>2 last(c)<3 d<4')), ['val_loss', 'a b']);
    assert.deepEqual(queryNotes(all, parseRunQuery('min(val_loss)<0.4')), ['min(val_loss) is not known for 1 run']);
  });

  it('compares params as numbers when both sides are numbers, as text (any case) otherwise', () => {
    assert.deepEqual(names('lr<0.01'), ['good']);
    assert.deepEqual(names('lr>=0.1'), ['baseline', 'diverged'], '1e-0 is the number 1');
    assert.deepEqual(names('layers>9'), ['good'], '10 > 9 as numbers, not as text');
    assert.deepEqual(names('lr=0.10'), ['baseline']);
    assert.deepEqual(names('lr="0.10"'), [], 'quoted: compared as text');
    assert.deepEqual(names('model=MLP'), ['good', 'diverged']);
    assert.deepEqual(names('model!=mlp'), ['baseline']);
    assert.deepEqual(names('model>m'), ['good', 'diverged'], 'text order');
    assert.deepEqual(names('params.model=mlp tags.team=vision'), ['good']);
    assert.deepEqual(names('team=vision'), ['good'], 'a tag when no metric or param has the name');
    assert.deepEqual(names('metrics.lr<1'), [], 'metrics.lr names no metric');
  });

  it('combines comparisons with words and status terms, all of which must hold', () => {
    assert.deepEqual(names('mlp val_loss<0.4'), ['good']);
    assert.deepEqual(names('mlp status:failed'), ['diverged']);
    assert.deepEqual(names('status:failed,finished lr<0.5'), ['good', 'baseline']);
    assert.deepEqual(names('status!=failed model=mlp'), ['good']);
    assert.deepEqual(names('status=unknown'), []);
    assert.deepEqual(names('tensorboard'), ['run_1'], 'the source name is a word too');
    assert.deepEqual(names('"lr=0.1"'), ['baseline'], 'a quoted phrase is a word, matched in the params as key=value');
    assert.deepEqual(names(''), ['good', 'baseline', 'diverged', 'run_1']);
    assert.deepEqual(names('   '), ['good', 'baseline', 'diverged', 'run_1']);
  });

  it('takes quoted names with spaces and prefixes', () => {
    const spaced = run('spaced', { metrics: [{ key: 'val loss', last: 0.1, lastStep: 1 }, { key: 'a<b', last: 3, lastStep: 1 }], params: { 'my param': 'x y' } });
    assert.ok(matchesQuery(spaced, parseRunQuery('"val loss"<0.2')));
    assert.ok(matchesQuery(spaced, parseRunQuery('metrics."val loss"<0.2')));
    assert.ok(matchesQuery(spaced, parseRunQuery("min('val loss')<=0.1")) === false, 'no min in the listing');
    assert.ok(matchesQuery(spaced, parseRunQuery('`a<b`=3')));
    assert.ok(matchesQuery(spaced, parseRunQuery('"my param"="x y"')));
    assert.ok(matchesQuery(spaced, parseRunQuery('params.`my param`="X Y"')));
  });

  it('keeps names from files as own keys: a param named __proto__ or constructor', () => {
    const odd = run('odd', { params: Object.defineProperty<Record<string, string>>({ constructor: '5' }, '__proto__', { value: '7', enumerable: true }) });
    assert.ok(matchesQuery(odd, parseRunQuery('__proto__=7')));
    assert.ok(matchesQuery(odd, parseRunQuery('constructor>4')));
    assert.ok(!matchesQuery(good, parseRunQuery('constructor>4')), 'Object.prototype.constructor is not a param');
    assert.ok(!matchesQuery(good, parseRunQuery('toString!=x')));
  });

  it('says what stands out when a filter keeps nothing: names no run has, a metric against text', () => {
    assert.deepEqual(queryNotes(all, parseRunQuery('val_los<0.4 val_loss<0.1')), ['no run has a metric, param or tag named "val_los"']);
    assert.deepEqual(queryNotes(all, parseRunQuery('val_loss=low')), ['val_loss is a metric: compare it with a number']);
    assert.deepEqual(queryNotes(all, parseRunQuery('params.val_loss=1')), ['no run has a param named "val_loss"']);
  });
});

describe('run filter: text it cannot read is an error with its column, never an empty list', () => {
  const cases: [string, RegExp, number][] = [
    ['val_loss<', /"<" needs a value on its right/, 10],
    ['<0.4', /"<" needs a name on its left/, 1],
    ['val_loss<<0.4', /"<<" is not an operator/, 9],
    ['val_loss<=>0.4', /"<=>" is not an operator/, 9],
    ['val_loss = = 1', /"==" is not an operator/, 10],
    ['a=1 =2', /"=" needs a name on its left/, 5],
    ['model="mlp', /the quote " is not closed/, 7],
    ["'", /the quote ' is not closed/, 1],
    ['min(val_loss<0.4', /the \( is not closed/, 4],
    ['min()<1', /min\(\) needs a metric name/, 1],
    ['avg(val_loss)<1', /"avg\(" is not known/, 1],
    ['min(val_loss)<low', /a metric is compared with a number, not "low"/, 15],
    ['min(params.lr)<1', /min\(\) takes a metric/, 1],
    ['metrics.val_loss<abc', /a metric is compared with a number/, 18],
    ['params.=1', /a name is missing after "params\."/, 1],
    ['""=1', /an empty name/, 1],
    ['status:', /a status is missing/, 8],
    ['status:done', /"done" is not a status: use one of running, scheduled, finished, failed, killed, unknown/, 8],
    ['status:failed,,killed', /a status is missing/, 8],
    ['status<failed', /a status is compared with = or !=/, 1],
    ['status=bogus', /"bogus" is not a status/, 8],
  ];
  for (const [text, reason, column] of cases) {
    it(`${JSON.stringify(text)}: ${reason.source.replace(/\\/g, '')}`, () => {
      assert.throws(
        () => parseRunQuery(text),
        (error: unknown) => error instanceof RunQueryError && reason.test(error.message) && error.column === column && error.message.startsWith(`Cannot read the filter at column ${column}: `),
      );
      assert.throws(() => filterRuns([run('a')], { text }), RunQueryError, 'filterRuns refuses it too');
    });
  }

  it('bounds its work: long text and many terms are refused, pathological text parses in linear time', () => {
    assert.throws(() => parseRunQuery('a'.repeat(2001)), /longer than 2000 characters/);
    assert.throws(() => parseRunQuery(Array.from({ length: 51 }, (_, i) => `w${i}`).join(' ')), /more than 50 terms/);
    // CPU time, not wall time: on a loaded machine the wall clock measures the other processes.
    const started = process.cpuUsage();
    for (const text of ['min('.repeat(499), '('.repeat(2000), '"'.repeat(1999), '\\'.repeat(2000), '!'.repeat(2000), `${'a'.repeat(1000)}<${'b'.repeat(999)}`, 'min(' + ')'.repeat(1996)]) {
      try {
        parseRunQuery(text);
      } catch (error) {
        assert.ok(error instanceof RunQueryError, `${text.slice(0, 20)}…: ${String(error)}`);
      }
    }
    const used = process.cpuUsage(started);
    assert.ok((used.user + used.system) / 1000 < 500, 'parsed in well under a second of CPU time');
  });

  it('throws nothing but RunQueryError on random text made of the grammar\'s characters', () => {
    const alphabet = ['a', 'b', '1', '.', ' ', '<', '>', '=', '!', '"', "'", '`', '(', ')', '\\', ':', ',', 'min(', 'status:', 'metrics.', 'nan', '-', 'e', '\u0000', '🙂', '\u202e'];
    const r = run('r', { params: { a: '1', b: 'x' }, metrics: [{ key: 'a', last: 1, lastStep: 0 }] });
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 24 }), (parts) => {
        const text = parts.join('');
        try {
          const query = parseRunQuery(text);
          matchesQuery(r, query);
          queryNotes([r], query);
        } catch (error) {
          assert.ok(error instanceof RunQueryError, `${JSON.stringify(text)}: ${String(error)}`);
          assert.ok(error.column >= 1 && error.column <= text.length + 1, `${JSON.stringify(text)}: column ${error.column}`);
        }
      }),
      { numRuns: 3000, seed: 42 },
    );
  });
});

describe('run filter over real MLflow and Lightning files: the shared state, history reads, the agent and the CLI', () => {
  const mixed = useMixedCatalog('mle-run-filter-');
  const { byName } = mixed;

  it('reads min and max from history where the MLflow listing has only the last value, once', async () => {
    const good = byName('good');
    assert.equal(mixed.catalog.metricSummary(good, 'val_loss')!.min, undefined, 'the listing reads the tail only');
    const state = new RunFilterState();
    assert.equal(state.set('min(val_loss)<0.4'), undefined);
    const lookup = mixed.catalog.metricSummary.bind(mixed.catalog);
    assert.deepEqual(state.apply(mixed.catalog.runs(), lookup).map((r) => r.name).sort(), ['version_0'], 'Lightning summaries have min already');
    assert.equal(await mixed.catalog.completeSummaries(mixed.catalog.runs(), state.rangeMetrics()), 0);
    assert.equal(mixed.catalog.metricSummary(good, 'val_loss')!.min, 0.35);
    assert.deepEqual(state.apply(mixed.catalog.runs(), lookup).map((r) => r.name).sort(), ['good', 'version_0']);
    assert.equal(await mixed.catalog.completeSummaries(mixed.catalog.runs(), state.rangeMetrics(), undefined, 0), 0, 'nothing left to read');
  });

  it('the shared filter: keeps the one in force when text cannot be read, and says why in the message row', () => {
    const state = new RunFilterState();
    assert.equal(state.message(mixed.catalog.runs()), undefined, 'no filter, no message');
    assert.equal(state.set('val_loss<0.4'), undefined);
    assert.equal(state.message(mixed.catalog.runs()), '2 of 4 runs match “val_loss<0.4”.');
    assert.match(state.set('val_loss<<0.4')!, /column 9/);
    assert.equal(state.text, 'val_loss<0.4', 'the filter in force stays');
    assert.equal(state.message(mixed.catalog.runs()), 'Filter “val_loss<<0.4” not applied. Cannot read the filter at column 9: "<<" is not an operator (use <, <=, >, >=, =, !=)');
    state.set('val_los<0.4');
    assert.equal(state.message(mixed.catalog.runs()), 'No runs match “val_los<0.4”: no run has a metric, param or tag named "val_los".');
    state.set('');
    assert.equal(state.message(mixed.catalog.runs()), undefined);
  });

  it('list_runs takes comparisons and answers a filter it cannot read with the reason', async () => {
    const tool = trackingTools(mixed.catalog, () => Promise.resolve()).find((t) => t.name === 'list_runs')!;
    const out = await tool.run({ filter: 'val_loss<0.4', sort_by_metric: 'val_loss' } as never, {} as never, new AbortController().signal);
    assert.match(out.content, /^2 run\(s\), sorted by val_loss:\nversion_0 .*\ngood /);
    await assert.rejects(tool.run({ filter: 'val_loss<' } as never, {} as never, new AbortController().signal), /filter "val_loss<": Cannot read the filter at column 10: "<" needs a value on its right/);
    const none = await tool.run({ filter: 'val_los<1' } as never, {} as never, new AbortController().signal);
    assert.match(none.content, /None of the 4 runs match \(no run has a metric, param or tag named "val_los"\)/);
  });

  it('`ml-engineer runs --filter` takes comparisons and refuses text it cannot read (exit 2)', async () => {
    const cli = async (...argv: string[]) => {
      let out = '';
      let err = '';
      const code = await runCli(['runs', ...argv], { out: (t) => (out += t), err: (t) => (err += t), env: {}, cwd: mixed.dir }, { version: '0', subcommands: SUBCOMMANDS, signal: new AbortController().signal });
      return { code, out, err };
    };
    const ok = await cli('.', '--filter', 'min(val_loss)<0.4 model=mlp');
    assert.equal(ok.code, 0, ok.err);
    assert.deepEqual(ok.out.trim().split('\n').slice(1).map((l) => l.split(/\s{2,}/)[2]), ['good']);
    const bad = await cli('.', '--filter', 'lr>');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--filter: Cannot read the filter at column 4: ">" needs a value/);
  });
});
