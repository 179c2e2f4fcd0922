import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { ApprovalRequest } from '../../src/agent/agentSession';
import { createFileTool, proposeEditTool } from '../../src/agent/tools/editTools';
import { runCommandTool } from '../../src/agent/tools/commandTool';
import { terminalApprover } from '../../src/headless/terminalApprovals';

// ml-engineer ask's approvals: --allow'ed kinds run, a terminal is asked, no terminal refuses.

function request(tool: ApprovalRequest['tool'], confirmation: string): ApprovalRequest {
  return { callId: 'c1', tool, input: {}, confirmation };
}

function terminal(): PassThrough & { isTTY: boolean } {
  return Object.assign(new PassThrough(), { isTTY: true });
}

describe('terminalApprover (ml-engineer ask)', () => {
  const signal = new AbortController().signal;

  it('runs the kinds --allow names without asking', async () => {
    let said = '';
    const approve = terminalApprover({ allowed: new Set(['read', 'write']), stdin: terminal(), err: (t) => (said += t) });
    assert.equal(await approve(request(createFileTool, 'Create a.txt'), signal), true);
    assert.equal(said, '');
  });

  it('asks the terminal otherwise: y runs, anything else declines', async () => {
    for (const [answer, expected] of [['y\n', true], ['yes\n', true], ['n\n', false], ['\n', false], ['maybe\n', false]] as const) {
      let said = '';
      const stdin = terminal();
      const approve = terminalApprover({ allowed: new Set(['read']), stdin, err: (t) => (said += t) });
      const pending = approve({ ...request(proposeEditTool, 'Edit train.py'), change: { path: 'train.py', absolutePath: '/w/train.py', before: 'a', after: 'b' } }, signal);
      stdin.write(answer);
      assert.equal(await pending, expected, answer);
      assert.match(said, /Edit train\.py\n {2}changes train\.py\n {2}Allow propose_edit\? \[y\/N\] $/);
    }
  });

  it('refuses when there is no terminal to ask, saying which flag allows it', async () => {
    let said = '';
    const approve = terminalApprover({ allowed: new Set(['read', 'write']), stdin: new PassThrough(), err: (t) => (said += t) });
    assert.equal(await approve(request(runCommandTool, 'Run ls'), signal), false);
    assert.match(said, /refused run_command: no terminal to ask \(--allow execute allows it\)/);
  });

  it('a cancelled run stops waiting for the answer', async () => {
    const controller = new AbortController();
    const approve = terminalApprover({ allowed: new Set(['read']), stdin: terminal(), err: () => undefined });
    const pending = approve(request(runCommandTool, 'Run ls'), controller.signal);
    controller.abort();
    assert.equal(await pending, false);
  });
});
