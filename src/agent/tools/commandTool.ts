import * as z from 'zod/mini';
import { runProcess } from '../../common/process';
import { defineTool } from './tool';

const OUTPUT_BUDGET = 8000;

export const runCommandTool = defineTool({
  name: 'run_command',
  description:
    'Run a shell command (bash) in the workspace folder and return its exit code and output (head and tail if long). ' +
    'For quick checks: tests, pip list, git status, a short script. Not for long training runs. The user approves each command.',
  input: z.object({
    command: z.string().check(z.minLength(1)),
    timeout_seconds: z.optional(z.int().check(z.minimum(1), z.maximum(600))),
  }),
  risk: 'execute',
  confirmation: (input) => `Run: ${visibleText(input.command)}`,
  // "Allow for this chat" covers this exact command again (a test rerun), never a different one.
  approvalScope: (input) => Promise.resolve(input.command),
  async run(input, { files }, signal) {
    const cwd = files.roots[0]?.path;
    const timeoutMs = (input.timeout_seconds ?? 120) * 1000;
    const result = await runProcess('bash', ['-c', input.command], { timeoutMs, signal, ...(cwd ? { cwd } : {}), maxOutputBytes: 1024 * 1024 });
    switch (result.kind) {
      case 'not-found':
        return { content: `bash is not available: ${result.message}`, isError: true, summary: 'bash not found' };
      case 'cancelled':
        return { content: 'The command was cancelled by the user.', isError: true, summary: 'Cancelled' };
      case 'timed-out':
        return { content: `Timed out after ${timeoutMs / 1000} s and was killed.\n${budget(result.stdout + result.stderr)}`, isError: true, summary: `Timed out after ${timeoutMs / 1000} s` };
      case 'exited': {
        const output = budget([result.stdout, result.stderr ? `[stderr]\n${result.stderr}` : ''].filter(Boolean).join('\n'));
        return { content: `exit code ${result.code}\n${output}`, isError: result.code !== 0, summary: `Exit ${result.code} in ${(result.durationMs / 1000).toFixed(1)} s` };
      }
    }
  },
});

/** Head and tail of long output: the end of a log usually says what happened. */
export function budget(text: string, chars = OUTPUT_BUDGET): string {
  if (text.length <= chars) return text;
  const head = Math.floor(chars * 0.3);
  return `${text.slice(0, head)}\n[… ${text.length - chars} characters cut …]\n${text.slice(-(chars - head))}`;
}

/**
 * Text as an approval card shows it: characters that hide or reorder what is shown (control
 * characters but newline and tab, bidirectional overrides and isolates, zero-width characters)
 * written as \u{...}, so the command the user reads is the command that runs.
 */
export function visibleText(text: string): string {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g, (c) => `\\u{${c.codePointAt(0)!.toString(16).toUpperCase()}}`);
}
