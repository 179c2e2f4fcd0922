import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ESLint, Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { CONTEXT_KEYS, TREE_ITEMS, VIEW_TYPES, VIEWS } from '../../src/commandIds';

// The ids package.json and VS Code know us by are declared once in src/commandIds.ts: lint
// refuses them spelled out elsewhere, and package.json's `when` clauses name only declared ones.
const root = resolve(__dirname, '../..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  contributes: { menus: Record<string, { when?: string }[]>; customEditors: { viewType: string }[]; viewsWelcome: { view: string }[] };
};

describe('declared ids (src/commandIds.ts)', () => {
  it('lint refuses an mlEngineer. id spelled out in src/ or media/, in a string or a template, and allows it in commandIds.ts', async () => {
    // The rule as configured for each file, run alone (the full type-aware lint takes half a minute).
    const eslint = new ESLint({ cwd: root });
    const flaggedLines = async (file: string): Promise<number[]> => {
      const config = (await eslint.calculateConfigForFile(join(root, file))) as { rules: Record<string, Linter.RuleEntry> };
      const linter = new Linter({ configType: 'flat' });
      const rules = { 'no-restricted-syntax': config.rules['no-restricted-syntax'] ?? 'off' };
      const messages = linter.verify(code, [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, rules }], 'probe.ts');
      assert.deepEqual(messages.filter((m) => m.ruleId !== 'no-restricted-syntax'), []);
      return messages.map((m) => m.line);
    };
    const code = "export const a = 'mlEngineer.showLog';\nexport const b = `mlEngineer.server.${a}`;\nexport const c = `${a} mlEngineer.fine`;\nexport const d = 'mlEngineer';\n";
    assert.deepEqual(await flaggedLines('src/cli/subcommand.ts'), [1, 2]);
    assert.deepEqual(await flaggedLines('media/chat/main.ts'), [1, 2]);
    assert.deepEqual(await flaggedLines('src/commandIds.ts'), []);
  });

  it("package.json's when clauses, custom editors and welcome views name declared ids", () => {
    const declared = new Set<string>([...Object.values(VIEWS), ...Object.values(VIEW_TYPES), ...Object.values(CONTEXT_KEYS), ...Object.values(TREE_ITEMS)]);
    const whens = Object.values(manifest.contributes.menus).flatMap((items) => items.map((i) => i.when ?? ''));
    // Regular expressions in when clauses match families (`/^mlEngineer\.kernel/`); plain ids must be declared.
    const ids = whens.flatMap((when) => when.replace(/\/(?:\\.|[^/])*\/i?/g, '').match(/\bmlEngineer\.[\w.]+/g) ?? []);
    assert.ok(ids.length > 10, `found ${ids.length} ids in when clauses`);
    const undeclared = [...new Set(ids)].filter((id) => !declared.has(id) && !id.startsWith(`${TREE_ITEMS.server}.`));
    assert.deepEqual(undeclared, []);
    assert.deepEqual(manifest.contributes.customEditors.map((e) => e.viewType), [VIEW_TYPES.modelViewer, VIEW_TYPES.datasetViewer, VIEW_TYPES.datasetTextViewer]);
    for (const { view } of manifest.contributes.viewsWelcome) assert.ok(Object.values(VIEWS).includes(view as never), view);
  });
});
