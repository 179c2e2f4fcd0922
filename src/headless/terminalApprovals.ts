import { createInterface } from 'node:readline';
import type { ApprovalRequest } from '../agent/agentSession';
import type { ToolRisk } from '../agent/tools/tool';

export interface TerminalIn {
  readonly isTTY?: boolean;
}

/**
 * How `ml-engineer ask` approves write and execute tools: a risk named with --allow runs without
 * asking; otherwise the terminal is asked (y/N on stderr, the answer read from stdin), and with no
 * terminal to ask (a pipe, CI) the call is refused: the model is told the user declined it.
 */
export function terminalApprover(options: {
  readonly allowed: ReadonlySet<ToolRisk>;
  readonly stdin: NodeJS.ReadableStream & TerminalIn;
  readonly err: (text: string) => void;
}): (request: ApprovalRequest, signal: AbortSignal) => Promise<boolean> {
  return async (request, signal) => {
    const risk = request.tool.risk;
    if (options.allowed.has(risk)) return true;
    const flag = `--allow ${risk}`;
    if (!options.stdin.isTTY) {
      options.err(`  refused ${request.tool.name}: no terminal to ask (${flag} allows it)\n`);
      return false;
    }
    const diff = request.change ? `\n  ${request.change.before === null ? 'creates' : 'changes'} ${request.change.path}` : '';
    return ask(options.stdin, options.err, `  ${request.confirmation}${diff}\n  Allow ${request.tool.name}? [y/N] `, signal);
  };
}

function ask(stdin: NodeJS.ReadableStream, err: (text: string) => void, question: string, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    // The question goes to stderr so a script's stdout (the answer, or --json) stays clean.
    err(question);
    const lines = createInterface({ input: stdin, terminal: false });
    let settled = false;
    const done = (answer: boolean): void => {
      // Once: closing the interface below emits 'close', which calls done again.
      if (settled) return;
      settled = true;
      resolve(answer);
      signal.removeEventListener('abort', onAbort);
      lines.close();
    };
    const onAbort = (): void => done(false);
    signal.addEventListener('abort', onAbort, { once: true });
    lines.once('line', (line) => done(/^\s*y(es)?\s*$/i.test(line)));
    lines.once('close', () => done(false));
  });
}
