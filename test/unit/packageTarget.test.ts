import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bindingFor, hostTarget, TARGETS } from '../../scripts/packageTarget.mjs';

// npm run package builds the VSIX for the machine it runs on: a VSIX labelled linux-x64 holding a
// macOS binary of DuckDB would install on Linux and fail at the first dataset.
describe('package target', () => {
  it('names the target of each platform DuckDB ships a binding for', () => {
    assert.equal(hostTarget('linux', 'x64', false), 'linux-x64');
    assert.equal(hostTarget('linux', 'x64', true), 'alpine-x64');
    assert.equal(hostTarget('linux', 'arm64', true), 'alpine-arm64');
    assert.equal(hostTarget('darwin', 'arm64', false), 'darwin-arm64');
    assert.equal(hostTarget('win32', 'x64', false), 'win32-x64');
    assert.equal(bindingFor('alpine-x64'), '@duckdb/node-bindings-linux-x64-musl');
    assert.equal(bindingFor('darwin-arm64'), '@duckdb/node-bindings-darwin-arm64');
  });

  it('refuses a platform without a binding, naming the ones there are', () => {
    assert.throws(() => hostTarget('linux', 'ia32', false), /no binding for linux-ia32: package for one of linux-x64, .*win32-arm64/);
    assert.throws(() => bindingFor('web'), /unknown target "web"/);
  });

  it('covers every binding @duckdb/node-bindings ships, and nothing else', () => {
    const manifest = JSON.parse(readFileSync(join(__dirname, '../../node_modules/@duckdb/node-bindings/package.json'), 'utf8')) as { optionalDependencies: Record<string, string> };
    assert.deepEqual(Object.values(TARGETS).sort(), Object.keys(manifest.optionalDependencies).sort());
  });
});
