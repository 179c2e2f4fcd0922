// The demo profile's settings (scripts/demo.sh): written on first run, and on later runs any
// setting added here since is filled in, leaving what the person changed alone.
//   node scripts/demo-settings.mjs <settings.json> <python for kernels, or "">
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const [file, python = ''] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/demo-settings.mjs <settings.json> [python]');
  process.exit(2);
}

const demo = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  // The demo workspace lives inside the repository's clone: without this VS Code first asks
  // whether to open the parent folder's git repository.
  'git.openRepositoryInParentFolders': 'never',
  // Edits made while trying the demo (and the agent's proposals) stay unsaved until saved.
  'files.autoSave': 'off',
  'mlEngineer.python.path': python,
};

let current = {};
if (existsSync(file)) {
  try {
    current = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    // Comments or a typo from a hand edit: better left as it is than rewritten.
    console.error(`demo: ${file} is not plain JSON (${error.message}); left unchanged`);
    process.exit(0);
  }
}
writeFileSync(file, `${JSON.stringify({ ...demo, ...current }, null, 2)}\n`);
