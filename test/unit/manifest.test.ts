import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { COMMANDS, VIEWS } from '../../src/commandIds';

const root = resolve(__dirname, '../..');

interface Manifest {
  name: string;
  publisher: string;
  engines: { vscode: string };
  icon: string;
  categories: string[];
  activationEvents: string[];
  capabilities: { untrustedWorkspaces: { supported: boolean | 'limited'; restrictedConfigurations?: string[] } };
  devDependencies: Record<string, string>;
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    views: Record<string, { id: string; type?: string; name: string }[]>;
    viewsContainers: { activitybar: { id: string; icon: string }[] };
    viewsWelcome: { view: string; contents: string }[];
    configuration: { properties: Record<string, { markdownDescription?: string; description?: string }> };
    menus: Record<string, { command: string; when?: string }[]>;
    snippets: { language: string; path: string }[];
  };
}

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('package.json contributions', () => {
  it('identifies the extension as the issue asks', () => {
    assert.equal(manifest.name, 'ml-engineer');
    assert.equal(manifest.engines.vscode, '^1.95.0');
    assert.equal(manifest.devDependencies['@types/vscode'], '1.95.0', '@types/vscode pinned to the engine');
    assert.deepEqual(manifest.categories, ['Machine Learning', 'Data Science', 'Notebooks', 'AI', 'Chat']);
    assert.ok(existsSync(join(root, manifest.icon)), 'icon file');
  });

  it('activates narrowly (never *, never on startup)', () => {
    assert.ok(manifest.activationEvents.length > 0);
    for (const event of manifest.activationEvents) {
      assert.notEqual(event, '*');
      assert.notEqual(event, 'onStartupFinished');
    }
  });

  it('contributes exactly the commands the code declares, each with the ML Engineer category', () => {
    const contributed = manifest.contributes.commands.map((c) => c.command).sort();
    assert.deepEqual(contributed, Object.values(COMMANDS).sort());
    for (const c of manifest.contributes.commands) {
      assert.equal(c.category, 'ML Engineer', c.command);
      assert.match(c.command, /^mlEngineer\.[a-z][A-Za-z]+$/);
    }
  });

  it('registers every declared command somewhere in src/', () => {
    const text = sourceFiles(join(root, 'src')).map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const [key, id] of Object.entries(COMMANDS)) {
      assert.match(text, new RegExp(`registerCommand\\([^)]*COMMANDS\\.${key}\\b`), `${id} is never registered`);
    }
  });

  it('menus name only contributed commands (or built-in ones)', () => {
    const known = new Set(manifest.contributes.commands.map((c) => c.command));
    for (const [menu, items] of Object.entries(manifest.contributes.menus)) {
      for (const item of items) assert.ok(known.has(item.command), `${menu}: ${item.command}`);
    }
  });

  it('has the ML Engineer container with Chat, Experiments, Kernels, GPUs and Deployments, and welcome text for each tree', () => {
    assert.equal(manifest.contributes.viewsContainers.activitybar[0]?.id, VIEWS.container);
    assert.ok(existsSync(join(root, manifest.contributes.viewsContainers.activitybar[0].icon)));
    const views = manifest.contributes.views[VIEWS.container] ?? [];
    assert.deepEqual(views.map((v) => v.name), ['Chat', 'Experiments', 'Kernels', 'GPUs', 'Jobs', 'Deployments']);
    assert.equal(views[0]?.type, 'webview');
    for (const tree of [VIEWS.experiments, VIEWS.kernels, VIEWS.gpus, VIEWS.deployments]) {
      const welcome = manifest.contributes.viewsWelcome.find((w) => w.view === tree);
      assert.ok(welcome && welcome.contents.length > 40, `${tree} has no welcome content`);
      for (const link of welcome.contents.matchAll(/\(command:([\w.]+)/g)) {
        assert.ok(link[1]!.startsWith('mlEngineer.') || link[1]!.startsWith('workbench.'), link[1]);
      }
    }
  });

  it('settings use the mlEngineer prefix and say what they do; risky ones are restricted in untrusted workspaces', () => {
    const settings = manifest.contributes.configuration.properties;
    for (const [key, schema] of Object.entries(settings)) {
      assert.match(key, /^mlEngineer\./);
      assert.ok((schema.markdownDescription ?? schema.description ?? '').length > 20, key);
    }
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
    for (const key of manifest.capabilities.untrustedWorkspaces.restrictedConfigurations ?? []) assert.ok(key in settings, key);
    assert.ok(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations?.includes('mlEngineer.python.path'));
  });

  it('points at the snippets file', () => {
    assert.deepEqual(manifest.contributes.snippets, [{ language: 'python', path: './snippets/python.json' }]);
  });
});
