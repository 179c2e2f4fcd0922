import * as assert from 'node:assert/strict';
import { isUserError } from '../../src/common/errors';
import { parseSshTarget, sshTargetArgs, terminalCommand } from '../../src/jobs/transport/sshTarget';

describe('SSH targets (a ~/.ssh/config Host, user@host, user@host:port)', () => {
  it('reads the forms users type', () => {
    assert.deepEqual(parseSshTarget('gpu-login'), { host: 'gpu-login', text: 'gpu-login' });
    assert.deepEqual(parseSshTarget(' alice@login.hpc.example.org '), { host: 'login.hpc.example.org', user: 'alice', text: 'alice@login.hpc.example.org' });
    assert.deepEqual(parseSshTarget('alice@10.0.0.5:2222'), { host: '10.0.0.5', user: 'alice', port: 2222, text: 'alice@10.0.0.5:2222' });
    assert.deepEqual(parseSshTarget('login:22'), { host: 'login', port: 22, text: 'login:22' });
    assert.deepEqual(parseSshTarget('me@corp.example@login'), { host: 'login', user: 'me@corp.example', text: 'me@corp.example@login' });
    assert.deepEqual(parseSshTarget('[::1]:2200'), { host: '::1', port: 2200, text: '[::1]:2200' });
    assert.deepEqual(parseSshTarget('bob@fe80::1'), { host: 'fe80::1', user: 'bob', text: 'bob@fe80::1' });
  });

  it('refuses what ssh would read as an option or split, with a message saying what to type', () => {
    for (const bad of ['', '  ', '-oProxyCommand=touch /tmp/x', 'alice@-oProxyCommand=x', '-l@host', 'host name', 'host\nother', "ho'st", 'host:', 'host:abc', 'host:0', 'host:70000', 'alice@', '@host', 'a@[::1]:x']) {
      assert.throws(
        () => parseSshTarget(bad),
        (error: unknown) => isUserError(error) && /is not an SSH host .*user@host:port/.test(error.message),
        JSON.stringify(bad),
      );
    }
  });

  it('gives ssh -l and -p only when typed (else the config decides), and the host after --', () => {
    assert.deepEqual(sshTargetArgs(parseSshTarget('gpu-login')), ['--', 'gpu-login']);
    assert.deepEqual(sshTargetArgs(parseSshTarget('alice@h:2222')), ['-l', 'alice', '-p', '2222', '--', 'h']);
  });

  it('says the terminal command for each form (host:port is not ssh syntax)', () => {
    assert.equal(terminalCommand(parseSshTarget('gpu-login')), 'ssh gpu-login');
    assert.equal(terminalCommand(parseSshTarget('alice@10.0.0.5:2222')), 'ssh -p 2222 alice@10.0.0.5');
    assert.equal(terminalCommand(parseSshTarget('[::1]:2200')), 'ssh -p 2200 [::1]');
  });
});
