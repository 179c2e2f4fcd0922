// npm run package [-- --target T]: the VSIX for this machine's platform (or T), carrying only that
// platform's DuckDB binding. Writes dist/ml-engineer.vsix.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bindingFor, hostTarget } from './packageTarget.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const asked = process.argv.indexOf('--target');
// glibcVersionRuntime is absent on musl (Alpine) Linux.
const musl = process.platform === 'linux' && !process.report.getReport().header.glibcVersionRuntime;
const target = asked >= 0 ? process.argv[asked + 1] : hostTarget(process.platform, process.arch, musl);
const binding = bindingFor(target);
if (!existsSync(join(root, 'node_modules', binding))) {
  console.error(`${binding} is not installed, so a ${target} VSIX would have no dataset engine: npm i --no-save --force ${binding}`);
  process.exit(1);
}
const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
const args = ['package', '--no-dependencies', '--target', target, '--readme-path', 'docs/marketplace.md', '--out', 'dist/ml-engineer.vsix'];
console.log(`packaging for ${target} with ${binding}`);
// scripts/build.mjs (vsce's prepublish) copies only this binding into dist/.
const run = spawnSync(process.execPath, [vsce, ...args], { cwd: root, stdio: 'inherit', env: { ...process.env, ML_ENGINEER_DUCKDB_BINDING: binding } });
process.exit(run.status ?? 1);
