import assert from 'node:assert/strict';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

// dist/extension.js is what the extension host evaluates before activate() (load_ms) and runs in
// activate() (activate_ms): it must hold the activation path only, the features being bundles of
// their own loaded on first use (src/activation/, issue #21). Built here with scripts/build.mjs's
// own options, minified as `npm run package` builds it, so a static import that drags a feature,
// a tree or a package back onto the activation path fails this test instead of slowing every window.

const root = resolve(__dirname, '../..');

/**
 * Every module allowed on the activation path, and why. Adding one is a decision: say it here.
 * (src/activation/featureHost.ts is types only and never reaches the bundle.)
 */
const ACTIVATION_MODULES: Record<string, string> = {
  'src/extension.ts': 'activate(): the log, the API key context key, the stand-ins, the metrics line',
  'src/activation/features.ts': 'the stand-ins for every command and view, and the loader of dist/features/<name>.js',
  'src/activation/featureTable.ts': 'which feature owns which command and tree view',
  'src/activation/lazyProviders.ts': 'tree, webview, custom editor and code action providers that load their feature on first request',
  'src/activation/mcpServers.ts': "the MCP server provider VS Code's chat asks for (vscode.lm, 1.101+): it must be registered during activation, and builds a definition only when asked",
  'src/activation/autoLoads.ts': 'what loads without a click, after activate() returns: kernels for an open notebook, the GPU status bar item',
  'src/agent/vscode/apiKeyStore.ts': 'the "has API key" context key the Chat view and its menus read before the chat loads',
  'src/commandIds.ts': 'the ids registered',
  'src/activation/languageModelStandIns.ts': "stand-ins for Copilot's language model tools and @ml: VS Code calls them as soon as activation ends",
  'src/models/codeActions/modelSiteHint.ts': 'whether a Python document can hold a model site, before a code action request loads the models feature',
  'src/common/errors.ts': 'describeError and UserError, for a feature that fails to load',
  'src/common/heavyModules.ts': 'the activation and feature-load log lines the bench and e2e tests read',
  'src/common/lazyBundle.ts': 'requires dist/features/<name>.js',
  'src/common/vscode/commandRegistry.ts': 'registerCommand / reportError for the log command and a failed load',
};

/** Minified bytes; 11.9 KB when this was set (main had 281.6 KB before issue #21); 16.3 KB before the Jobs view (#19) added its 9 command ids and tree view (16.9 KB); 15.1 KB once each command name is written once (COMMANDS_BY_OWNER). */
const BUDGET_BYTES = 16 * 1024;

interface BuildScript {
  activationBuild: BuildOptions;
  FEATURES: Record<string, string>;
}

async function buildScript(): Promise<BuildScript> {
  const path = pathToFileURL(join(root, 'scripts/build.mjs')).href;
  return (await import(path)) as BuildScript;
}

async function bundle(options: BuildOptions): Promise<{ bytes: number; text: string; inputs: string[]; metafile: Metafile }> {
  const result = await build({ ...options, minify: true, sourcemap: false, legalComments: 'none', write: false, metafile: true, logLevel: 'silent' });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  assert.ok(js, 'no .js output');
  return { bytes: js.contents.byteLength, text: js.text, inputs: Object.keys(result.metafile.inputs).sort(), metafile: result.metafile };
}

describe('activation bundle (dist/extension.js): the activation path only', function () {
  this.timeout(60_000);
  let script: BuildScript;
  let activation: Awaited<ReturnType<typeof bundle>>;
  before(async () => {
    script = await buildScript();
    activation = await bundle(script.activationBuild);
  });

  it('contains only the modules listed for it: no feature, tree, controller, viewer, reader, agent core or package', () => {
    const extra = activation.inputs.filter((input) => !(input in ACTIVATION_MODULES));
    assert.deepEqual(extra, [], 'on the activation path now: load it from a feature bundle instead, or list it in ACTIVATION_MODULES with the reason');
    assert.equal(activation.inputs.some((input) => input.includes('node_modules')), false);
  });

  it('contains no feature entry and no heavy bundle entry', () => {
    for (const entry of Object.values(script.FEATURES)) assert.ok(!activation.inputs.includes(entry), entry);
    assert.deepEqual(activation.inputs.filter((input) => /(^|\/)lazy\//.test(input)), []);
  });

  it(`stays within ${BUDGET_BYTES} bytes minified`, () => {
    assert.ok(activation.bytes <= BUDGET_BYTES, `${activation.bytes} bytes`);
  });

  it('requires nothing at load but vscode and Node built-ins: each feature bundle by path, on first use', () => {
    const imports = Object.values(activation.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
    assert.deepEqual([...new Set(imports)].filter((path) => path !== 'vscode' && !path.startsWith('node:')), []);
  });

  it('takes the vscode API object as it is: no copy of it per importing file (`import vscode = require(...)`)', () => {
    // `import * as vscode` bundles to __toESM(require("vscode")), which defines a getter per API
    // property on a new object, in every importing file: most of load_ms before it was changed.
    const requires = activation.text.match(/require\("vscode"\)/g) ?? [];
    const direct = activation.text.match(/[\w$]=require\("vscode"\)/g) ?? [];
    assert.ok(requires.length > 0, 'the scan itself is broken: no require("vscode")');
    assert.equal(direct.length, requires.length, 'a file on the activation path imports vscode with `import * as`');
  });

  it("each feature's bundle holds no other feature's adapters: features reach each other through the activation layer", async () => {
    const features = Object.entries(script.FEATURES);
    // src/<folder>/vscode/ of each feature, by its entry's path.
    const adapterFolder = (entry: string): string => entry.slice(0, entry.indexOf('/vscode/') + '/vscode/'.length);
    for (const [name, entry] of features) {
      const { inputs } = await bundle({ ...script.activationBuild, banner: {}, footer: {}, entryPoints: { [name]: entry }, outdir: 'dist/features' });
      const others = features.filter(([other]) => other !== name).map(([, otherEntry]) => adapterFolder(otherEntry));
      assert.deepEqual(
        inputs.filter((input) => others.some((folder) => input.startsWith(folder))),
        [],
        `${name}'s bundle`,
      );
    }
  });
});
