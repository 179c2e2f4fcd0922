import * as assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gatherCardFacts } from '../../src/modelCard/gatherFacts';
import { buildModelCard } from '../../src/modelCard/modelCard';
import { cardReaders } from '../../src/modelCard/modelCardTool';
import { ModelReader } from '../../src/models/modelReader';
import { versionsText } from '../../src/studies/studyText';
import { readRegistryFileStore } from '../../src/tracking/registry/registryFileStore';
import { modelFilesIn, servableFile, versionModelPath } from '../../src/tracking/registry/versionFiles';
import { RunCatalog } from '../../src/tracking/runCatalog';
import { TrackingReaders } from '../../src/tracking/workerSources';
import { assertEveryNumberSourced, parseCard } from '../support/modelCardCheck';
import { writeFileStoreRegistry } from '../support/registryFixtures';
import { writeMlflowExperiment } from '../support/trackingFixtures';

// Write Model Card… on a registry version (the Experiments view's version node, whose model file
// is on this machine): an MLflow FileStore laid out as MLflow writes it, the version's model the
// scikit-learn pipeline in its run's artifacts. The card names the version, its aliases and stage
// as model_versions says them, and its evaluation is that version's run, every number footnoted.

const CHURN = join(__dirname, '..', '..', 'examples', 'models', 'churn_pipeline.joblib');
const RUN = 'eeee5555ffff6666aaaa7777bbbb8888';

describe('Model card of a registry version', function () {
  this.timeout(120_000);
  let ws: string;
  before(() => (ws = mkdtempSync(join(tmpdir(), 'mle-card-registry-'))));
  after(() => rmSync(ws, { recursive: true, force: true }));

  it('the version, its aliases, stage and run as footnoted facts; the run is the version\'s', async () => {
    const mlruns = join(ws, 'mlruns');
    writeMlflowExperiment(mlruns, '1', 'churn', [
      { id: 'aaaa1111bbbb2222cccc3333dddd4444', name: 'baseline', params: { model: 'majority' }, metrics: { val_auc: [0.5] } },
      { id: RUN, name: 'logreg', params: { model: 'logreg', C: '0.5', test_size: '0.2' }, metrics: { val_auc: [0.79, 0.8213] } },
    ]);
    mkdirSync(join(mlruns, '1', RUN, 'artifacts', 'model'), { recursive: true });
    cpSync(CHURN, join(mlruns, '1', RUN, 'artifacts', 'model', 'model.pkl'));
    writeFileStoreRegistry(mlruns, [{ name: 'churn', aliases: { champion: 2, stable: 2 }, versions: [{ version: 1, runId: 'aaaa1111bbbb2222cccc3333dddd4444' }, { version: 2, runId: RUN, stage: 'Production' }] }]);

    // What the version node carries: its registered model, version and the model file found here.
    const registry = readRegistryFileStore(mlruns);
    const model = registry.models.find((m) => m.name === 'churn')!;
    const version = model.versions.find((v) => v.version === 2)!;
    const tracking = new TrackingReaders();
    const catalog = new RunCatalog();
    const reader = new ModelReader({ idleMs: 0 });
    try {
      catalog.setSources((await tracking.discover(ws)).sources);
      await catalog.loadAll();
      const folder = versionModelPath(version, catalog.runs().find((r) => r.runId === RUN), { kind: 'mlflow', root: mlruns });
      assert.ok(folder, 'the version\'s files are on this machine');
      const file = servableFile(modelFilesIn(folder))!;
      assert.match(file, /artifacts\/model\/model\.pkl$/);

      const readers = cardReaders({ inspect: (p, s) => reader.inspect(p, s), runs: () => Promise.resolve(catalog.runs()) }, relative(ws, file), [ws]);
      const facts = await gatherCardFacts({ model: file, display: (p) => relative(ws, p), registry: { model, version: 2, store: relative(ws, mlruns) } }, readers);
      const card = parseCard(buildModelCard(facts).markdown);
      assertEveryNumberSourced(card);
      assert.match(card.front, /^registered_model: "churn"$/m);
      assert.match(card.front, /^model_version: 2$/m);
      assert.match(card.front, new RegExp(`^run_id: "${RUN}"$`, 'm'));
      const section = card.section('Registry');
      assert.match(section[0]!, /^- Registered model: `churn`, version 2\[\^(\d+)\]$/);
      assert.match(section[1]!, /^- Aliases: `@champion`, `@stable`\[\^\d+\]$/);
      assert.match(section[2]!, /^- Stage: Production\[\^\d+\]$/);
      assert.match(section[3]!, new RegExp(`^- Produced by: run logreg \\(${RUN}\\); val_auc=0\\.8213\\[\\^\\d+\\]$`));
      // The footnote quotes model_versions' own line for v2, as the tool says it now.
      const n = Number(/\[\^(\d+)\]$/.exec(section[0]!)![1]);
      const note = card.footnotes.get(n)!;
      assert.equal(note.title, 'model_versions `churn` in `mlruns`');
      const said = versionsText(model, (id) => catalog.runs().find((r) => r.runId === id)).split('\n').map((l) => l.trim());
      assert.ok(said.includes(note.quote), `${note.quote} is a line of model_versions`);
      assert.match(note.quote, /^v2 @champion @stable \[Production\] READY: run logreg/);
      // The version's run, not one found by the file name (no run names model.pkl).
      assert.match(card.section('Evaluation').join('\n'), new RegExp(`Run: \`logreg\` \\(id \`${RUN}\`, `));
      assert.match(card.section('Evaluation').join('\n'), /\| `val_auc` \| 0\.8213 \| 1 \| \[\^\d+\] \|/);
    } finally {
      reader.dispose();
      catalog.dispose();
      tracking.dispose();
    }
  });
});
