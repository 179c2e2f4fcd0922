import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REMOTE_EXIT_255_MARKER, remoteCommandLine, remoteScript, shellQuote, takeExit255Marker } from '../../src/jobs/transport/sshRemoteCommand';

/** Arguments an attacker (or an unlucky file name) could put in a job name, a path or a script. */
const HOSTILE = [
  'plain',
  'with space',
  "it's",
  "'",
  "''",
  '"double"',
  '$(touch PWNED)',
  '`touch PWNED`',
  '; touch PWNED',
  '&& touch PWNED',
  '| touch PWNED',
  'line1\nline2',
  '\n',
  '$HOME',
  '${HOME}',
  '!!',
  '!$',
  '\\',
  'back\\slash\\n',
  '*',
  '~',
  '-n',
  '--',
  '',
  '#not a comment',
  'tab\there',
  'ünïcødé ✓',
  "'; touch PWNED; echo '",
  '%s%n',
];

// Login shells a cluster account may have: sshd hands the remote command line to one of these.
const SHELLS = ['/bin/sh', '/usr/bin/bash', '/usr/bin/dash', '/usr/bin/zsh', '/usr/bin/tcsh', '/usr/bin/fish'];

describe('SSH remote command line', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mle-sshq-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('single-quotes each argument, an embedded quote as \'\\\'\'', () => {
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
    assert.equal(shellQuote(''), `''`);
    assert.equal(shellQuote('$(x)'), `'$(x)'`);
  });

  it('the wrapper holds only letters, digits, base64 and fixed words, so no login shell reads the arguments', () => {
    const line = remoteCommandLine(HOSTILE, '/tmp/x y');
    assert.match(line, /^exec sh -c 'script="\$\(echo [A-Za-z0-9+/=]+ \| base64 -d\)" && eval "\$script"'$/);
  });

  it('fails, not succeeds silently, on a host without base64', () => {
    const bin = join(dir, 'bin');
    spawnSync('mkdir', [bin]);
    spawnSync('ln', ['-s', '/bin/sh', join(bin, 'sh')]);
    const result = spawnSync('/bin/sh', ['-c', remoteCommandLine(['scancel', '123'])], { env: { PATH: bin }, encoding: 'utf8' });
    assert.equal(result.status, 127);
    assert.match(result.stderr, /base64: not found/);
  });

  for (const shell of SHELLS) {
    it(`passes hostile arguments through ${shell} as the login shell, byte for byte, running nothing`, function () {
      if (!existsSync(shell)) this.skip(); // zsh, tcsh and fish are optional here; bash and dash always run
      // sshd runs `$SHELL -c LINE`; printf prints each argument NUL-terminated.
      const result = spawnSync(shell, ['-c', remoteCommandLine(['printf', '%s\\0', ...HOSTILE], dir)], { cwd: dir, encoding: 'utf8' });
      assert.equal(result.stderr, '');
      assert.equal(result.status, 0);
      assert.deepEqual(result.stdout.split('\0').slice(0, -1), HOSTILE);
      assert.equal(existsSync(join(dir, 'PWNED')), false);
    });
  }

  it('runs in the working folder, even one named like an option or with quotes in it', () => {
    const odd = join(dir, "-n it's $(x)");
    spawnSync('mkdir', ['--', odd]);
    const result = spawnSync('bash', ['-c', remoteCommandLine(['pwd'], odd)], { encoding: 'utf8' });
    assert.equal(result.stdout, `${odd}\n`);
    const missing = spawnSync('bash', ['-c', remoteCommandLine(['pwd'], join(dir, 'nope'))], { encoding: 'utf8' });
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /nope/);
  });

  it('passes stdin to the command and keeps its exit code; 255 is marked as the command\'s own', () => {
    const cat = spawnSync('bash', ['-c', remoteCommandLine(['sh', '-c', 'cat; exit 3'])], { input: 'line one\n$(no)\n', encoding: 'utf8' });
    assert.equal(cat.stdout, 'line one\n$(no)\n');
    assert.equal(cat.status, 3);
    const own = spawnSync('bash', ['-c', remoteCommandLine(['sh', '-c', 'printf oops >&2; exit 255'])], { encoding: 'utf8' });
    assert.equal(own.status, 255);
    assert.equal(own.stderr, `oops${REMOTE_EXIT_255_MARKER}\n`);
    assert.deepEqual(takeExit255Marker(own.stderr), { stderr: 'oops', marked: true });
    assert.deepEqual(takeExit255Marker('ssh: connect to host x port 22: Connection refused\n'), { stderr: 'ssh: connect to host x port 22: Connection refused\n', marked: false });
  });

  it('a command killed by a signal ends with 128+n, not the 255 ssh would report', () => {
    const killed = spawnSync('bash', ['-c', remoteCommandLine(['sh', '-c', 'kill -9 $$'])], { encoding: 'utf8' });
    assert.equal(killed.status, 137);
  });

  it('refuses an empty argv', () => {
    assert.throws(() => remoteScript([]), /no command/);
  });
});
