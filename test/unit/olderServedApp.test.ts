import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { marksLoadTestsWithoutKey, olderAppWarning, REQUEST_LOG_TEXT } from '../../src/serving/requestLogText';

// An app folder written before load-test keys (its request log marks any request with the header as
// a load test) is recognised when Serve Locally starts it, and the user told how to get this
// version's app; this version's app and the user's own apps are left alone.

// The old middleware as apps written before keys hold it (requestLogText.ts before 9353bee).
const OLD_APP = `import os
${REQUEST_LOG_TEXT.split('\n')[0]}
_LOAD_TEST_HEADER = "x-ml-engineer-load-test".encode()


class _MarkLoadTests:
    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and any(name == _LOAD_TEST_HEADER for name, _ in scope["headers"]):
            token = _request_source.set("load_test")
`;

describe('An app of ours from before load-test keys', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mle-older-app-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("is told from this version's app and from the user's own", () => {
    assert.equal(marksLoadTestsWithoutKey(OLD_APP), true);
    assert.equal(marksLoadTestsWithoutKey(`import os\n${REQUEST_LOG_TEXT}\napp = FastAPI()\nattach_request_log(app)\n`), false);
    assert.equal(marksLoadTestsWithoutKey('from fastapi import FastAPI\napp = FastAPI()\nclass _MarkLoadTests:\n    pass\n'), false, 'not ours');
  });

  it('starting such a folder says what it does and how to get an app that checks the key; others say nothing', () => {
    mkdirSync(join(dir, 'old-fastapi', 'pkg'), { recursive: true });
    writeFileSync(join(dir, 'old-fastapi', 'app.py'), OLD_APP);
    assert.match(olderAppWarning(join(dir, 'old-fastapi'), 'app')!, /^app\.py in old-fastapi was written by an earlier ML Engineer: it logs any request carrying X-ML-Engineer-Load-Test as a load test, whatever the header's value, .* delete this folder and run Serve Locally on the model file again \(it asks before writing\)\.$/);
    writeFileSync(join(dir, 'old-fastapi', 'pkg', 'main.py'), OLD_APP);
    assert.match(olderAppWarning(join(dir, 'old-fastapi'), 'pkg.main')!, /^main\.py in old-fastapi/);
    writeFileSync(join(dir, 'old-fastapi', 'app.py'), `import os\n${REQUEST_LOG_TEXT}`);
    assert.equal(olderAppWarning(join(dir, 'old-fastapi'), 'app'), undefined);
    assert.equal(olderAppWarning(join(dir, 'missing'), 'app'), undefined);
  });
});
