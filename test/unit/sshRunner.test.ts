import * as assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { SshRunner } from '../../src/jobs/transport/sshRunner';
import { SshRunners } from '../../src/jobs/transport/sshRunners';

/** The value of each `-o Name=value` in an ssh argv. */
function options(args: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  args.forEach((a, i) => {
    if (a === '-o') {
      const [name, ...value] = args[i + 1]!.split('=');
      found.set(name!, value.join('='));
    }
  });
  return found;
}

describe('SSH runner arguments', () => {
  it('on Linux and macOS: one master per host in a private folder, batch mode, host keys as the config says', async () => {
    const runner = new SshRunner('alice@login:2222', { platform: 'linux', configFile: '/cfg' });
    try {
      const args = runner.argsFor('REMOTE');
      const o = options(args);
      assert.equal(o.get('BatchMode'), 'yes');
      assert.equal(o.get('ControlMaster'), 'auto');
      assert.equal(o.get('ControlPersist'), '300');
      assert.equal(o.has('StrictHostKeyChecking'), false);
      assert.equal(o.has('UserKnownHostsFile'), false);
      assert.equal(o.get('ClearAllForwardings'), 'yes');
      assert.ok(args.includes('-a') && args.includes('-x'));
      const path = o.get('ControlPath')!;
      assert.equal(path, runner.controlPath);
      assert.ok(path.length <= 86, path);
      assert.equal(statSync(path.slice(0, -2)).mode & 0o777, 0o700);
      assert.deepEqual(args.slice(0, 3), ['-F', '/cfg', '-T']);
      assert.deepEqual(args.slice(-7), ['-l', 'alice', '-p', '2222', '--', 'login', 'REMOTE']);
    } finally {
      await runner.close();
    }
  });

  it('on Windows, whose OpenSSH has no ControlMaster: one login per command, no control options', () => {
    const runner = new SshRunner('gpu-login', { platform: 'win32' });
    const args = runner.argsFor('REMOTE');
    assert.equal(runner.multiplexed, false);
    assert.equal(runner.controlPath, undefined);
    assert.deepEqual(
      args.filter((a) => /^Control/.test(a)),
      [],
    );
    assert.deepEqual(args, ['-T', '-a', '-x', '-o', 'ClearAllForwardings=yes', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=15', '-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=3', '--', 'gpu-login', 'REMOTE']);
    runner.dispose();
  });

  it('shares one runner per host and refuses a bad one', async () => {
    const runners = new SshRunners({ platform: 'linux' });
    assert.equal(runners.runnerFor('gpu-login'), runners.runnerFor(' gpu-login '));
    assert.notEqual(runners.runnerFor('gpu-login'), runners.runnerFor('other'));
    assert.equal(runners.runnerFor('alice@h:22').label, 'alice@h:22 (ssh)');
    assert.throws(() => runners.runnerFor('-oProxyCommand=x'), /not an SSH host/);
    const first = runners.runnerFor('gpu-login');
    first.dispose();
    const again = runners.runnerFor('gpu-login');
    assert.notEqual(again, first, 'a disposed runner is replaced, not handed out closed');
    assert.equal(runners.runnerFor('gpu-login'), again);
    await runners.close();
  });
});
