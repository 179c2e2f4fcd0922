import * as assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkEngineSettings, DATA_ENGINE_LIMITS } from '../../src/data/engine/engineSettings';

// Settings.json can hold anything the schema's bounds would refuse: each bad value is warned about
// by name and left to the engine's default, so the engine still starts.

describe('Dataset engine settings (mlEngineer.data.*)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ml-engine-settings-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('passes good values through, and empty ones as the defaults', () => {
    assert.deepEqual(checkEngineSettings({ memoryLimitMb: 512, threads: 3, spillFolder: dir }), { options: { memoryLimitMb: 512, threads: 3, tempDir: dir }, warnings: [] });
    assert.deepEqual(checkEngineSettings({ memoryLimitMb: 1024, threads: 0, spillFolder: '' }), { options: { memoryLimitMb: 1024, threads: undefined, tempDir: undefined }, warnings: [] });
    assert.deepEqual(checkEngineSettings({}), { options: { memoryLimitMb: undefined, threads: undefined, tempDir: undefined }, warnings: [] });
  });

  it('warns about each bad value, naming the setting, and uses the default', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ memoryLimitMb: 64 }, /mlEngineer\.data\.memoryLimitMb is 64: it must be a whole number from 128 to 1048576 \(MB\)\. The data engine uses the default, 1024 MB/],
      [{ memoryLimitMb: 2_000_000 }, /memoryLimitMb is 2000000/],
      [{ memoryLimitMb: 512.5 }, /memoryLimitMb is 512\.5/],
      [{ memoryLimitMb: '1GB' }, /memoryLimitMb is "1GB"/],
      [{ threads: -1 }, /mlEngineer\.data\.threads is -1: it must be a whole number from 0 to 256 \(0: automatic\)\. The data engine uses every core, at most 8/],
      [{ threads: 1000 }, /threads is 1000/],
      [{ spillFolder: 'relative/spill' }, /spillFolder "relative\/spill" is not an absolute path\. The data engine spills to the system temp folder/],
      [{ spillFolder: join(dir, 'missing') }, /does not exist/],
      [{ spillFolder: file }, /is not a folder/],
      [{ spillFolder: 42 }, /spillFolder must be a folder path, not 42/],
    ];
    for (const [settings, warning] of cases) {
      const checked = checkEngineSettings(settings);
      assert.equal(checked.warnings.length, 1, JSON.stringify(settings));
      assert.match(checked.warnings[0] ?? '', warning);
      assert.deepEqual(checked.options, { memoryLimitMb: undefined, threads: undefined, tempDir: undefined });
    }
  });

  it('refuses a spill folder it cannot write to', function () {
    if (process.platform === 'win32' || process.getuid?.() === 0) this.skip(); // root writes anywhere
    const readOnly = join(dir, 'read-only');
    mkdirSync(readOnly);
    chmodSync(readOnly, 0o555);
    assert.match(checkEngineSettings({ spillFolder: readOnly }).warnings[0] ?? '', /cannot be written to/);
  });

  it('refuses a spill folder others may write without the sticky bit', function () {
    if (process.platform === 'win32') this.skip();
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    assert.match(checkEngineSettings({ spillFolder: shared }).warnings[0] ?? '', /writable by other users and has no sticky bit/);
    chmodSync(shared, 0o1777); // like /tmp
    assert.deepEqual(checkEngineSettings({ spillFolder: shared }).warnings, []);
    chmodSync(shared, 0o775); // umask 002: writable by the user's own group only
    assert.deepEqual(checkEngineSettings({ spillFolder: shared }).warnings, []);
  });

  it('gives package.json the same bounds as the code', () => {
    type Schema = { minimum?: number; maximum?: number; default?: unknown };
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, Schema> } } };
    const settings = manifest.contributes.configuration.properties;
    for (const key of ['memoryLimitMb', 'threads'] as const) {
      const schema = settings[`mlEngineer.data.${key}`];
      assert.ok(schema, key);
      assert.equal(schema.minimum, DATA_ENGINE_LIMITS[key].minimum, key);
      assert.equal(schema.maximum, DATA_ENGINE_LIMITS[key].maximum, key);
      assert.equal(schema.default, DATA_ENGINE_LIMITS[key].default, key);
    }
    assert.equal(settings['mlEngineer.data.spillFolder']?.default, '');
  });
});
