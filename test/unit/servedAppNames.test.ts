import * as assert from 'node:assert/strict';
import { posix } from 'node:path';
import { uniqueServerName, type RunningServer } from '../../src/serving/agentServers';

// Two served apps whose folders share a name (models/a/api, models/b/api) get different names,
// and a name once given is kept. Only the name rule here; servedAppNames.test.ts in integration
// starts two real apps.

const served = (name: string, appDir: string, module = 'app') => ({ name, server: { options: { appDir, module } } }) as unknown as RunningServer;
const inWorkspace = (dir: string) => posix.relative('/ws', dir);

describe('Served apps: unique, stable names', () => {
  it('the folder name while it is free; a second folder of that name: its path in the workspace', () => {
    assert.equal(uniqueServerName({ appDir: '/ws/models/a/api', module: 'app' }, [], inWorkspace), 'api');
    const first = served('api', '/ws/models/a/api');
    assert.equal(uniqueServerName({ appDir: '/ws/models/b/api', module: 'app' }, [first], inWorkspace), 'models/b/api');
    // The same app again (a restart, a second serve_locally) keeps its name.
    assert.equal(uniqueServerName({ appDir: '/ws/models/a/api', module: 'app' }, [first, served('models/b/api', '/ws/models/b/api')], inWorkspace), 'api');
  });

  it('outside the workspace: parent/name; still taken: numbered', () => {
    const taken = [served('api', '/ws/api'), served('b/api', '/elsewhere/b/api')];
    assert.equal(uniqueServerName({ appDir: '/tmp/x/api', module: 'app' }, taken, inWorkspace), 'x/api');
    assert.equal(uniqueServerName({ appDir: '/other/b/api', module: 'app' }, taken, inWorkspace), 'b/api (2)');
    assert.equal(uniqueServerName({ appDir: '/other/b/api', module: 'app' }, [...taken, served('b/api (2)', '/third/b/api')], inWorkspace), 'b/api (3)');
    assert.equal(uniqueServerName({ appDir: '/tmp/x/api', module: 'app' }, taken), 'x/api');
  });
});
