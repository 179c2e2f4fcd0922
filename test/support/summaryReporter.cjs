// Mocha's spec reporter, plus a JSON summary for scripts/test-all.mjs to add up across suites.
// The file is named by MOCHA_SUMMARY_FILE; without it this is the plain spec reporter.
const Mocha = require('mocha');
const { writeFileSync, mkdirSync } = require('node:fs');
const { dirname } = require('node:path');

/**
 * The message's first line; for a fast-check property also its seed and counterexample, which the
 * end of a long CI log must keep: they are all it takes to replay the failure.
 */
function firstLines(message) {
  const lines = message.split('\n');
  const replay = lines.filter((l) => /^\{ seed: /.test(l) || /^Counterexample: /.test(l)).map((l) => l.slice(0, 1500));
  return [lines[0].slice(0, 300), ...replay].join('\n    ');
}

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const failedTitles = [];
    runner.on('fail', (test, err) => failedTitles.push(`${test.fullTitle()}: ${firstLines(String(err && err.message))}`));
    runner.once('end', () => {
      const file = process.env.MOCHA_SUMMARY_FILE;
      if (!file) return;
      const { passes, failures, pending } = runner.stats;
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify({ passed: passes, failed: failures, skipped: pending, failedTitles }));
    });
  }
}

module.exports = SummaryReporter;
