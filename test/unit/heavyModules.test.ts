import assert from 'node:assert/strict';
import { ACTIVATION_LOG_PREFIX, FEATURE_LOG_PREFIX, loadedHeavyModules, parseActivationLine, parseFeatureLine } from '../../src/common/heavyModules';

describe('heavy module detection', () => {
  it('finds heavy packages and lazy bundles among module paths', () => {
    assert.deepEqual(
      loadedHeavyModules([
        '/ext/dist/extension.js',
        '/ext/node_modules/@anthropic-ai/sdk/index.js',
        'C:\\ext\\node_modules\\@jupyterlab\\services\\lib\\index.js',
        '/ext/dist/lazy/charts.js',
        '/ext/node_modules/zod/index.js',
      ]),
      ['@anthropic-ai/sdk', '@jupyterlab/services', 'lazy:charts'],
    );
  });

  it("names each feature's bundle (dist/features/<name>.js) apart from the heavy ones", () => {
    assert.deepEqual(
      loadedHeavyModules(['/ext/dist/extension.js', '/ext/dist/features/kernels.js', 'C:\\ext\\dist\\features\\chat.js', '/ext/dist/lazy/jupyter.js']),
      ['feature:chat', 'feature:kernels', 'lazy:jupyter'],
    );
  });

  it('does not confuse a package with a longer name', () => {
    assert.deepEqual(loadedHeavyModules(['/x/node_modules/vega-embed-lite/index.js', '/x/node_modules/chart.js-plugin/a.js']), []);
  });

  it('reads the activation line the extension logs', () => {
    const line = `2026-11-26 06:00:00.000 [info] ${ACTIVATION_LOG_PREFIX}{"load_ms":1.5,"activate_ms":2.25,"heavy_modules_loaded":[]}`;
    assert.deepEqual(parseActivationLine(line), { load_ms: 1.5, activate_ms: 2.25, heavy_modules_loaded: [] });
    assert.equal(parseActivationLine('activation {broken'), undefined);
    assert.equal(parseActivationLine('something else'), undefined);
  });

  it('reads the line a feature logs when its bundle loads', () => {
    const line = `2026-11-26 06:00:01.000 [info] ${FEATURE_LOG_PREFIX}{"feature":"kernels","load_ms":12.5,"reason":"train.ipynb opened"}`;
    assert.deepEqual(parseFeatureLine(line), { feature: 'kernels', load_ms: 12.5, reason: 'train.ipynb opened' });
    assert.equal(parseFeatureLine(`${FEATURE_LOG_PREFIX}{"feature":"kernels"}`), undefined, 'fields missing');
    assert.equal(parseFeatureLine(`${ACTIVATION_LOG_PREFIX}{"load_ms":1.5,"activate_ms":2.25,"heavy_modules_loaded":[]}`), undefined);
    assert.equal(parseFeatureLine('feature {broken'), undefined);
  });
});
