import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { registryVersionArg } from '../../src/modelCard/vscode/registryVersionArg';

// Write Model Card… on an Experiments view version node: the node carries its registry version
// beside its model file (registryNodes.ts), and the model card feature reads it by shape.

describe('Write Model Card… on a registry version: the node\'s argument', () => {
  const model = { name: 'churn', tags: {}, aliases: { champion: 2 }, versions: [], problems: [] };

  it('reads the version a version node carries, and nothing from other arguments', () => {
    assert.deepEqual(registryVersionArg({ modelUri: {}, registryVersion: { model, version: 2, store: '/w/mlruns' } }), { model, version: 2, store: '/w/mlruns' });
    for (const other of [undefined, null, 'x', {}, { modelUri: {} }, { registryVersion: { model, version: '2', store: '/w' } }, { registryVersion: { version: 2, store: '/w' } }]) assert.equal(registryVersionArg(other), undefined);
  });

  it('the version node carries it with its model file, and the menu offers the command on local versions', () => {
    const nodes = readFileSync(join(__dirname, '../../src/tracking/vscode/registryNodes.ts'), 'utf8');
    assert.match(nodes, /modelUri, registryVersion: \{ model, version: version\.version, store: store\.root \}/);
    const menus = (JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { contributes: { menus: Record<string, { command: string; when?: string }[]> } }).contributes.menus['view/item/context']!;
    assert.ok(menus.some((m) => m.command === 'mlEngineer.modelCard' && m.when === 'view == mlEngineer.experiments && viewItem =~ /^mlEngineer\\.registeredModel\\.version\\.local$/'));
  });
});
