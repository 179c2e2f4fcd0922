import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCli } from '../../src/cli/runCli';
import { VIEW_TYPES } from '../../src/commandIds';
import { SUBCOMMANDS } from '../../src/cli/subcommands';
import { FORMAT_NAMES, type ModelFormat } from '../../src/models/modelInfo';

// The CLI's help names every model format `ml-engineer inspect` reads, and every file type the
// model viewer opens, so no one has to guess whether their file is one.
const root = resolve(__dirname, '../..');

async function help(argv: string[]): Promise<string> {
  let out = '';
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (out += t), env: {}, cwd: root }, { version: 'test', subcommands: SUBCOMMANDS, signal: new AbortController().signal });
  assert.equal(code, 0, out);
  return out;
}

const formats = (Object.keys(FORMAT_NAMES) as ModelFormat[]).filter((f) => f !== 'unknown').map((f) => FORMAT_NAMES[f]);

describe('ml-engineer help lists the model formats', () => {
  it('in the command list', async () => {
    const line = (await help(['--help'])).split('\n').find((l) => /^\s+inspect\s/.test(l));
    assert.ok(line, 'inspect is listed');
    assert.ok(formats.length >= 6, `formats: ${formats.join(', ')}`);
    for (const name of formats) assert.ok(line.includes(name), `${name} missing from: ${line}`);
  });

  it("in inspect's own help, with the extensions the model viewer opens", async () => {
    const text = await help(['inspect', '--help']);
    for (const name of formats) assert.match(text, new RegExp(`^  ${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +\\S`, 'm'), `${name} has no line of its own`);
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { contributes: { customEditors: { viewType: string; selector: { filenamePattern: string }[] }[] } };
    const extensions = manifest.contributes.customEditors.filter((e) => e.viewType === VIEW_TYPES.modelViewer).flatMap((e) => e.selector.map((s) => s.filenamePattern.replace('*', '')));
    assert.ok(extensions.length >= 9);
    for (const ext of extensions) assert.match(text, new RegExp(`\\${ext}\\b`), `${ext} (opened by the model viewer) is not in inspect --help`);
  });
});
