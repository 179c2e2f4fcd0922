// The SSH transport against a real OpenSSH server on a loopback port: the system ssh, a key and a
// known_hosts made here, one multiplexed login, host keys refused, connections dropped and back.
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnreachableError } from '../../src/jobs/transport/commandRunner';
import { CommandTimeoutError, SshRunner } from '../../src/jobs/transport/sshRunner';
import { SshRunners } from '../../src/jobs/transport/sshRunners';
import { alive, masterPid as masterOn, sshdMissing, startSshServer, type SshServer } from '../support/sshServer';

const HOSTILE = ['with space', "it's", '"dq"', '$(touch PWNED)', '`touch PWNED`', '; touch PWNED', 'a\nb', '$HOME', '!!', '\\', '*', '', "'; touch PWNED; echo '", '-n'];

function masterPid(runner: SshRunner, configFile: string): number | undefined {
  return masterOn(runner.controlPath!, configFile, runner.target.host);
}

/** Local ssh processes naming this runner's socket other than the master: the runs' own clients. */
function clientsOf(runner: SshRunner, master: number | undefined): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d) && Number(d) !== master)
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(`ControlPath=${runner.controlPath}`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function waitFor(what: string, test: () => boolean, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!test()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function rejectsWith(promise: Promise<unknown>, check: (error: Error) => boolean): Promise<Error> {
  let caught: Error | undefined;
  await promise.then(
    () => undefined,
    (error: unknown) => (caught = error as Error),
  );
  assert.ok(caught, 'expected a rejection');
  assert.ok(check(caught), `unexpected error: ${caught.name}: ${caught.message}`);
  return caught;
}

describe('SSH runner against a real sshd', function () {
  this.timeout(120_000);
  let server: SshServer;
  let work: string;
  const runners: SshRunner[] = [];
  const runner = (configFile = server.configFile): SshRunner => {
    const made = new SshRunner(server.alias, { configFile, connectTimeoutSeconds: 10 });
    runners.push(made);
    return made;
  };

  before(async function () {
    const missing = sshdMissing();
    if (missing) {
      console.warn(`skipped: ${missing}`);
      this.skip();
    }
    server = await startSshServer();
  });
  after(async () => {
    await server?.close();
  });
  beforeEach(() => (work = mkdtempSync(join(tmpdir(), 'mle-ssh-work-'))));
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.close()));
    rmSync(work, { recursive: true, force: true });
  });

  it('runs commands: stdout, stderr, exit codes, the working folder, a label naming the host', async () => {
    const r = runner();
    assert.equal(r.label, 'test-cluster (ssh)');
    assert.deepEqual(await r.run(['sh', '-c', 'echo out; echo err >&2']), { stdout: 'out\n', stderr: 'err\n', code: 0 });
    assert.equal((await r.run(['sh', '-c', 'exit 3'])).code, 3);
    // 255 from the command itself is a result, not "unreachable" (ssh uses 255 for its own failures).
    assert.deepEqual(await r.run(['sh', '-c', 'printf oops >&2; exit 255']), { stdout: '', stderr: 'oops', code: 255 });
    assert.equal((await r.run(['sh', '-c', 'kill -9 $$'])).code, 137);
    assert.equal((await r.run(['pwd'], { cwd: work })).stdout, `${work}\n`);
    const missing = await r.run(['pwd'], { cwd: join(work, 'no such folder') });
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no such folder/);
    const notThere = await r.run(['no-such-command-here']);
    assert.equal(notThere.code, 127);
  });

  it('passes hostile arguments through the remote shell as data, byte for byte', async () => {
    const result = await runner().run(['printf', '%s\\0', ...HOSTILE], { cwd: work });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.split('\0').slice(0, -1), HOSTILE);
    assert.deepEqual(readdirSync(work), []);
  });

  it('writes the input to stdin and closes it (a batch script for sbatch)', async () => {
    const script = `#!/bin/bash\n#SBATCH --job-name="it's $(x)"\necho 'done'\n${'x'.repeat(300_000)}\n`;
    const result = await runner().run(['cat'], { input: script });
    assert.equal(result.stdout, script);
    assert.equal((await runner().run(['wc', '-c'])).stdout.trim(), '0');
  });

  it('ten runs, and five at once on a fresh runner, cost one login each', async () => {
    const before = server.logins();
    const r = runner();
    for (let i = 0; i < 10; i++) assert.equal((await r.run(['echo', String(i)])).stdout, `${i}\n`);
    assert.equal(server.logins() - before, 1);
    const together = runner();
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => together.run(['echo', String(i)])));
    assert.deepEqual(
      results.map((x) => x.stdout),
      ['1\n', '2\n', '3\n', '4\n', '5\n'],
    );
    assert.equal(server.logins() - before, 2);
  });

  it('refuses a changed host key, naming the host and what to do, and accepts nothing', async () => {
    const wrong = join(server.dir, 'known_hosts_wrong');
    const before = readFileSync(wrong, 'utf8');
    const logins = server.logins();
    const r = runner(server.configWith('ssh_config_wrong_key', { UserKnownHostsFile: wrong }));
    const error = await rejectsWith(r.run(['echo', 'hi']), (e) => e instanceof UnreachableError);
    assert.match(error.message, /host key of test-cluster has changed/);
    assert.match(error.message, /`ssh test-cluster` once in a terminal/);
    assert.match(error.message, /ssh said:[\s\S]*Host key verification failed/);
    assert.equal(readFileSync(wrong, 'utf8'), before);
    assert.equal(server.logins(), logins);
  });

  it('refuses an unknown host key (never accept-new on its own)', async () => {
    const empty = join(server.dir, 'known_hosts_empty');
    const before = server.logins();
    const r = runner(server.configWith('ssh_config_unknown', { UserKnownHostsFile: empty }));
    const error = await rejectsWith(r.run(['echo', 'hi']), (e) => e instanceof UnreachableError);
    assert.match(error.message, /test-cluster's host key is not in your known_hosts/);
    assert.equal(readFileSync(empty, 'utf8'), '');
    assert.equal(server.logins(), before);
  });

  it('says a refused key is a login failure, and a closed port unreachable', async () => {
    const badKey = runner(server.configWith('ssh_config_bad_key', { IdentityFile: join(server.dir, 'other') }));
    const denied = await rejectsWith(badKey.run(['true']), (e) => e instanceof UnreachableError);
    assert.match(denied.message, /could not log in to test-cluster with your keys or agent/);
    assert.match(denied.message, /Permission denied/);
    const closed = new SshRunner(`127.0.0.1:1`, { configFile: '/dev/null', connectTimeoutSeconds: 5 });
    runners.push(closed);
    const refused = await rejectsWith(closed.run(['true']), (e) => e instanceof UnreachableError);
    assert.match(refused.message, /Could not reach 127.0.0.1:1 over SSH. Check that `ssh -p 1 127.0.0.1` works[\s\S]*Connection refused/);
  });

  it('comes back after the connection drops, the master is killed, or the server restarts', async () => {
    const r = runner();
    const start = server.logins();
    assert.equal((await r.run(['echo', 'one'])).stdout, 'one\n');
    const first = masterPid(r, server.configFile);
    assert.ok(first !== undefined && alive(first));

    // The network drops: the server side of the connection dies, and the master with it.
    assert.ok(server.dropConnections() > 0);
    await waitFor('the master to notice the drop', () => !alive(first));
    assert.equal((await r.run(['echo', 'two'])).stdout, 'two\n');
    assert.equal(server.logins() - start, 2);

    // The master is killed outright, leaving its socket file behind.
    const second = masterPid(r, server.configFile)!;
    process.kill(second, 'SIGKILL');
    await waitFor('the master to die', () => !alive(second));
    assert.ok(existsSync(r.controlPath!));
    assert.equal((await r.run(['echo', 'three'])).stdout, 'three\n');
    assert.equal(server.logins() - start, 3);

    // The login node goes down: runs fail as unreachable; once it is up, the next one works.
    await server.stop();
    await rejectsWith(r.run(['echo', 'down']), (e) => e instanceof UnreachableError && /test-cluster/.test(e.message));
    await server.start();
    assert.equal((await r.run(['echo', 'four'])).stdout, 'four\n');
    assert.equal((await r.run(['echo', 'five'])).stdout, 'five\n');
    assert.ok(server.logins() - start <= 5, `${server.logins() - start} logins`);
  });

  it('a timeout kills the local ssh and rejects; the master stays for the next run', async () => {
    const r = runner();
    await r.run(['true']);
    const master = masterPid(r, server.configFile);
    const logins = server.logins();
    const started = Date.now();
    await rejectsWith(r.run(['sleep', '30'], { timeoutMs: 1000 }), (e) => e instanceof CommandTimeoutError && /sleep on test-cluster did not finish in 1 s/.test(e.message));
    assert.ok(Date.now() - started < 10_000, `${Date.now() - started} ms`);
    await waitFor('the run\'s ssh to be gone', () => clientsOf(r, master).length === 0);
    assert.equal(masterPid(r, server.configFile), master);
    assert.equal((await r.run(['echo', 'after'])).stdout, 'after\n');
    assert.equal(server.logins(), logins);
  });

  it('a timeout also holds while the master is still connecting (a host that accepts and says nothing)', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket)); // accepts, never sends ssh's banner
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      const r = new SshRunner(`127.0.0.1:${port}`, { configFile: '/dev/null', connectTimeoutSeconds: 20 });
      runners.push(r);
      const started = Date.now();
      await rejectsWith(r.run(['true'], { timeoutMs: 1500 }), (e) => e instanceof CommandTimeoutError);
      assert.ok(Date.now() - started < 6000, `${Date.now() - started} ms`);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 500);
      await rejectsWith(r.run(['true'], { signal: controller.signal }), (e) => e.name === 'AbortError');
      // Closing the runner stops the login still waiting (its ssh would wait out ConnectTimeout).
      const waiting = clientsOf(r, undefined);
      assert.equal(waiting.length, 1);
      await r.close();
      await waitFor('the waiting ssh to be stopped', () => !alive(waiting[0]!));
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('an abort kills the local ssh and rejects with an AbortError, before or while it runs', async () => {
    const r = runner();
    const controller = new AbortController();
    const started = Date.now();
    const running = r.run(['sleep', '30'], { signal: controller.signal });
    setTimeout(() => controller.abort(), 1500);
    await rejectsWith(running, (e) => e.name === 'AbortError');
    assert.ok(Date.now() - started < 10_000, `${Date.now() - started} ms`);
    await waitFor('the run\'s ssh to be gone', () => clientsOf(r, masterPid(r, server.configFile)).length === 0);
    await rejectsWith(r.run(['true'], { signal: controller.signal }), (e) => e.name === 'AbortError');
    // An abort while the master is still logging in rejects that run only.
    const fresh = runner();
    const early = new AbortController();
    const aborted = fresh.run(['true'], { signal: early.signal });
    early.abort();
    await rejectsWith(aborted, (e) => e.name === 'AbortError');
    assert.equal((await fresh.run(['echo', 'ok'])).stdout, 'ok\n');
  });

  it('dispose ends the master and removes its private folder', async () => {
    const r = runner();
    await r.run(['true']);
    const master = masterPid(r, server.configFile)!;
    const folder = join(r.controlPath!, '..');
    assert.ok(alive(master));
    await r.close();
    await waitFor('the master to exit', () => !alive(master));
    assert.equal(existsSync(folder), false);
    await rejectsWith(r.run(['true']), (e) => /closed/.test(e.message));
  });

  it('runnerFor shares one connection per host between callers', async () => {
    const pool = new SshRunners({ configFile: server.configFile });
    try {
      const before = server.logins();
      const [a, b] = [pool.runnerFor(server.alias), pool.runnerFor(server.alias)];
      assert.equal(a, b);
      await Promise.all([a.run(['true']), b.run(['true'])]);
      assert.equal(server.logins() - before, 1);
    } finally {
      await pool.close();
    }
  });
});
