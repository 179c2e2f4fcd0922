// `npm test`: every check, in order, then one closing line that adds the suites up.
// A failing step does not stop the later ones (except where a later one needs its output).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const summaries = join(root, 'test-results', 'summaries');
rmSync(summaries, { recursive: true, force: true });

const run = (title, command, args, env = {}) => {
  console.log(`\n=== ${title}: ${[command, ...args].join(' ')}`);
  const started = Date.now();
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const ok = result.status === 0;
  console.log(`=== ${title}: ${ok ? 'ok' : `FAILED (exit ${result.status ?? result.signal})`} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return ok;
};
const mocha = (suite) => run(`${suite} tests`, 'npx', ['mocha', '--config', `test/${suite}/.mocharc.json`], { MOCHA_SUMMARY_FILE: join(summaries, `${suite}.json`) });

const steps = [];
if (!run('prerequisites', 'bash', ['scripts/ensure-prerequisites.sh', 'test'])) {
  console.log('\ntests: 0 passed, 1 failed');
  process.exit(1);
}
steps.push(['build', run('build', 'node', ['scripts/build.mjs', '--production'])]);
steps.push(['typecheck', run('typecheck', 'npm', ['run', '--silent', 'typecheck'])]);
steps.push(['lint', run('lint', 'npm', ['run', '--silent', 'lint'])]);
steps.push(['unit', mocha('unit')]);
steps.push(['integration', mocha('integration')]);
const packaged = run('package', 'npm', ['run', '--silent', 'package']);
steps.push(['package', packaged]);
if (packaged) steps.push(['e2e', mocha('e2e')]);

// Typecheck, lint and packaging count as one test each; the suites count their own.
const suites = ['unit', 'integration', 'e2e'];
let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];
for (const [name, ok] of steps) {
  if (suites.includes(name)) continue;
  if (ok) passed++;
  else failed++;
}
for (const suite of suites) {
  const file = join(summaries, `${suite}.json`);
  const ran = steps.find(([name]) => name === suite);
  if (!ran) continue;
  if (!existsSync(file)) {
    failed++; // the suite crashed before reporting
    continue;
  }
  const s = JSON.parse(readFileSync(file, 'utf8'));
  passed += s.passed;
  failed += s.failed;
  skipped += s.skipped;
  for (const title of s.failedTitles ?? []) failures.push(`${suite}: ${title}`);
}
// CI keeps only the tail of the output: name each failure here, where it is kept.
if (failures.length) console.log(`\nfailed:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
console.log(`\nsteps: ${steps.map(([name, ok]) => `${name} ${ok ? 'ok' : 'FAILED'}`).join(', ')}`);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(steps.every(([, ok]) => ok) ? 0 : 1);
