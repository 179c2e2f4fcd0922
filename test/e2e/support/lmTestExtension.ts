import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CodeServer } from './codeServer';

// test/fixtures/lm-test-extension, as the language-model suites (lmTools on 1.100, lmSurfacesNext
// on 1.104) drive it: it starts on onStartupFinished, and answers each palette command by writing a
// JSON file into the workspace.

/** Waits until the test extension has started: the palette lists its commands from then on. */
export async function lmTestExtensionStarted(server: CodeServer, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!server.extensionHostLog().includes('_doActivateExtension mlengineer-test.lm-test')) {
    if (Date.now() > deadline) throw new Error('the test extension did not start');
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The JSON the test extension wrote to `file` (waited for, then removed so the next answer is fresh). */
export async function lmTestAnswer<T>(server: CodeServer, file: string, timeoutMs = 60_000): Promise<T> {
  const path = join(server.workspace, file);
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`the test extension wrote no ${file}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const value = JSON.parse(readFileSync(path, 'utf8')) as T;
  rmSync(path);
  return value;
}
