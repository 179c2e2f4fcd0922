import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serverEnvironment } from '../../src/kernels/localServer';
import { checkServerProcess, isOurServerCommand, listeningInodes, netstatListeners } from '../../src/kernels/serverProcess';

const fixtures = join(__dirname, '..', 'fixtures');

describe('is the recorded local server still ours (core)', () => {
  it('finds the listening socket of a port in a real /proc/net/tcp, not connections to it', () => {
    const table = readFileSync(join(fixtures, 'proc', 'net-tcp'), 'utf8');
    assert.deepEqual(listeningInodes(table, 0xb441), ['218977']);
    assert.deepEqual(listeningInodes(table, 2024), ['1113']);
    assert.deepEqual(listeningInodes(table, 0x82a6), [], 'an established connection is not a listener');
    assert.deepEqual(listeningInodes(table, 8888), []);
    assert.deepEqual(listeningInodes('', 8888), []);
  });

  it('knows the command line launchLocalServer starts, with spaces in the config path (macOS)', () => {
    const ours = '/usr/bin/python3 -m jupyter_server --no-browser --config=/home/me/.vscode-server/data/User/globalStorage/mlengineer.ml-engineer/jupyter/jupyter_nodelay_config.py --ServerApp.ip=127.0.0.1';
    assert.equal(isOurServerCommand(ours), true);
    assert.equal(isOurServerCommand('/opt/py/bin/python -m notebook --config=/Users/me/Library/Application Support/Code/User/globalStorage/x/jupyter/jupyter_nodelay_config.py --NotebookApp.port=8890'), true);
    assert.equal(isOurServerCommand('/usr/bin/python3 -m jupyter_server --no-browser --ServerApp.port=8888'), false, 'a server someone else started');
    assert.equal(isOurServerCommand('/usr/bin/python3 -m http.server 8888 --config=jupyter_nodelay_config.py'), false);
    assert.equal(isOurServerCommand('sleep 100'), false);
  });

  it('reads which pid listens on a port from netstat -ano (Windows)', () => {
    const output = [
      '',
      'Active Connections',
      '',
      '  Proto  Local Address          Foreign Address        State           PID',
      '  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1036',
      '  TCP    127.0.0.1:8888         0.0.0.0:0              LISTENING       23456',
      '  TCP    127.0.0.1:8888         127.0.0.1:50123        ESTABLISHED     23456',
      '  TCP    127.0.0.1:50123        127.0.0.1:8888         ESTABLISHED     999',
      '  TCP    127.0.0.1:18888        0.0.0.0:0              LISTENING       777',
    ].join('\r\n');
    assert.deepEqual(netstatListeners(output, 8888), [23456]);
    assert.deepEqual(netstatListeners(output, 888), []);
  });

  it('refuses records that point elsewhere or name no live process, before anything is sent', async () => {
    assert.deepEqual(await checkServerProcess({ pid: process.pid, baseUrl: 'http://192.0.2.1:8888/' }), { ok: false, reason: 'http://192.0.2.1:8888/ is not a local server\'s address' });
    assert.equal((await checkServerProcess({ pid: 0, baseUrl: 'http://127.0.0.1:8888/' })).ok, false);
    assert.equal((await checkServerProcess({ pid: process.pid, baseUrl: 'not a url' })).ok, false, 'a damaged record');
    const gone = await checkServerProcess({ pid: 2 ** 22 + 12345, baseUrl: 'http://127.0.0.1:8888/' });
    assert.deepEqual(gone, { ok: false, reason: `process ${2 ** 22 + 12345} is gone` });
    // This test process is alive, but no Jupyter server.
    const notJupyter = await checkServerProcess({ pid: process.pid, baseUrl: 'http://127.0.0.1:8888/' });
    assert.equal(notJupyter.ok, false);
    assert.match(!notJupyter.ok ? notJupyter.reason : '', /is not a Jupyter server we started/);
  });

  it('gives the server our token and no other server\'s, whatever the environment had', () => {
    const env = serverEnvironment({ PATH: '/usr/bin', JUPYTER_TOKEN: 'someone-elses', JUPYTERHUB_API_TOKEN: 'hub', JPY_API_TOKEN: 'hub-old', HOME: '/home/me' }, 'ours');
    assert.deepEqual(env, { PATH: '/usr/bin', HOME: '/home/me', JUPYTER_TOKEN: 'ours' });
  });
});
