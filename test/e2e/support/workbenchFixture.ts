import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startFakeMessagesApi, type FakeMessagesApi, type Script } from '../../support/fakeMessagesApi';
import { pathWithout } from '../../support/pathWithout';
import { repoRoot, startCodeServer, type CodeServer, type StartOptions } from './codeServer';
import { browserConsole, keepEvidence, launchBrowser, openWorkbench } from './workbench';

// One code-server per profile (user settings, environment, trust, keybindings) for the whole
// mocha run, and one Chromium: starting them took about a minute of each suite on 2 cores. Each
// suite still gets its own copy of the workspace and its own window (so its own extension host,
// editors and workspace storage), and reads the logs of that window only.

/** What a code-server is started with: suites whose profiles are equal share the server. */
export interface Profile extends Pick<StartOptions, 'settings' | 'env' | 'untrusted' | 'keybindings' | 'extraExtensions' | 'enableProposedApi' | 'next'> {
  /**
   * A loopback Messages API beside the server (each suite sets its own script): its URL in the
   * mlEngineer.anthropic.baseUrl setting and in ANTHROPIC_BASE_URL (after a window reload
   * code-server can start the extension host before the user's settings arrive, and the SDK then
   * reads it from the environment), and this key in ANTHROPIC_API_KEY.
   */
  readonly messagesApi?: { readonly apiKey: string };
}

export interface SuiteSetup {
  readonly profile: Profile;
  /** Copied into the suite's own workspace folder; examples/ unless said. */
  readonly workspaceSource?: string;
  /** The workspace's .vscode/settings.json: a setting only this suite needs, on a shared server. */
  readonly workspaceSettings?: Record<string, unknown>;
  /** The loopback Messages API's answers for this suite (the profile must have `messagesApi`). */
  readonly script?: Script;
  /** Writes files into the workspace before the window opens. */
  prepare?(workspace: string): void;
}

export interface SuiteWorkbench {
  /** The shared server as this suite sees it: its workspace, its window's logs. */
  readonly server: CodeServer;
  readonly page: Page;
  /** The loopback Messages API (profiles with `messagesApi`); its requests are this suite's. */
  readonly api: FakeMessagesApi | undefined;
}

/** Examples workspace, no API key: the demo profile (scripts/demo-settings.mjs) plus what the suites on it need. */
export const EXAMPLES_PROFILE: Profile = {
  settings: {
    ...demoSettings(),
    // A notebook opened here loads the kernels feature; starting a Jupyter server is kernels.e2e's.
    'mlEngineer.jupyter.autoStartLocalServer': false,
    // Model readers get 6 s (not 20): models.e2e's hostile file waits for the budget to run out.
    'mlEngineer.readers.timeLimitSeconds': 6,
    'mlEngineer.gpu.nvidiaSmiPath': join(repoRoot, 'test/fixtures/bin/replay-nvidia-smi'),
  },
  // The nvidia-smi stand-in replays a real H100 capture, as nvidia-smi would print it. It is the
  // only one, on a GPU machine too: PATH has no nvidia-smi, so a Slurm job's step (srun passes its
  // environment) says "No GPU tool" in jobs.e2e and jobsReload.e2e.
  env: { REPLAY_CAPTURE: 'linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load__query-gpu.csv', PATH: pathWithout(['nvidia-smi']) },
  // lmTools.e2e's second extension: it calls our language model tools and registers a chat model
  // through VS Code 1.100's proposed chatProvider API (finalized only in 1.104).
  extraExtensions: [join(repoRoot, 'test/fixtures/lm-test-extension')],
  enableProposedApi: ['mlengineer-test.lm-test'],
};

/**
 * The examples profile on the newer code-server (VS Code 1.104, test/e2e/install-code-server-next.sh):
 * the MCP server definition provider and the finalised LanguageModelChatProvider, so the test
 * extension registers its chat model with no --enable-proposed-api. The chat host stands in for
 * Copilot Chat's default participant (proposed defaultChatParticipant), without which code-server
 * shows no Chat view, so @ml can be asked there.
 */
export const NEXT_PROFILE: Profile = {
  settings: EXAMPLES_PROFILE.settings,
  env: EXAMPLES_PROFILE.env,
  extraExtensions: [...(EXAMPLES_PROFILE.extraExtensions ?? []), join(repoRoot, 'test/fixtures/chat-host-extension')],
  enableProposedApi: ['mlengineer-test.chat-host'],
  next: true,
};

/** Examples workspace with an API key and the loopback Messages API: the chat suites. */
export const AGENT_PROFILE: Profile = {
  settings: { 'mlEngineer.python.path': '/usr/bin/python3', 'mlEngineer.jupyter.autoStartLocalServer': false },
  messagesApi: { apiKey: 'sk-ant-e2e-agent-key-that-must-never-be-logged' },
};

/** The demo profile's settings, as scripts/demo.sh writes them (Debian's Python for kernels). */
function demoSettings(): Record<string, unknown> {
  const out = mkdtempSync(join(tmpdir(), 'mle-demo-settings-'));
  try {
    execFileSync(process.execPath, [join(repoRoot, 'scripts', 'demo-settings.mjs'), join(out, 'settings.json'), '/usr/bin/python3']);
    return JSON.parse(readFileSync(join(out, 'settings.json'), 'utf8')) as Record<string, unknown>;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

interface Running {
  readonly server: CodeServer;
  readonly api: FakeMessagesApi | undefined;
}

interface SharedServer {
  /** Suites declared with this profile that have not finished yet (all are declared before any runs). */
  users: number;
  running?: Promise<Running>;
}

const servers = new Map<string, SharedServer>();
let browser: Promise<Browser> | undefined;

async function start(profile: Profile): Promise<Running> {
  const { messagesApi, ...options } = profile;
  if (!messagesApi) return { server: await startCodeServer(options), api: undefined };
  const api = await startFakeMessagesApi(() => ({ kind: 'message', blocks: [{ type: 'text', text: 'no script set for this suite' }] }));
  try {
    const server = await startCodeServer({
      ...options,
      settings: { ...options.settings, 'mlEngineer.anthropic.baseUrl': api.baseURL },
      env: { ...options.env, ANTHROPIC_API_KEY: messagesApi.apiKey, ANTHROPIC_BASE_URL: api.baseURL },
    });
    return { server, api };
  } catch (error) {
    await api.close();
    throw error;
  }
}

async function stop(shared: SharedServer): Promise<void> {
  const running = await shared.running?.catch(() => undefined);
  shared.running = undefined;
  await running?.server.stop();
  await running?.api?.close();
}

/**
 * Declares the suite's workbench: before its tests, a window on a fresh copy of the workspace in
 * the code-server of its profile (started by the first suite that needs it); after each failed
 * test, the screenshot and this window's logs under test-results/; after the suite, the window
 * closed, and the server stopped when no later suite shares it. `opened` receives the workbench.
 */
export function useWorkbench(setup: SuiteSetup, opened: (workbench: SuiteWorkbench) => void | Promise<void>): void {
  const key = JSON.stringify(setup.profile);
  const shared = servers.get(key) ?? { users: 0 };
  servers.set(key, shared);
  shared.users++;
  let server: CodeServer | undefined;
  let page: Page | undefined;

  before(async function () {
    this.timeout(240_000);
    const running = await (shared.running ??= start(setup.profile));
    if (setup.script) {
      if (!running.api) throw new Error('a suite with a script needs a profile with messagesApi');
      running.api.setScript(setup.script);
      running.api.requests.length = 0;
    }
    server = running.server.forWindow(setup.workspaceSource ?? join(repoRoot, 'examples'));
    // The profile's own settings in the workspace too: code-server sometimes starts a window's
    // extension host without the user's settings, and they never arrive (CI: models.e2e's commands
    // ran PATH's Python, not the profile's mlEngineer.python.path, after kernels.e2e met the same
    // with nvidia-smi). Machine-scoped ones are ignored there; the environment carries those.
    const mirrored = Object.entries(setup.profile.settings ?? {}).filter(([key]) => key.startsWith('mlEngineer.'));
    const workspaceSettings = { ...Object.fromEntries(mirrored), ...setup.workspaceSettings };
    if (Object.keys(workspaceSettings).length > 0) {
      mkdirSync(join(server.workspace, '.vscode'), { recursive: true });
      writeFileSync(join(server.workspace, '.vscode', 'settings.json'), JSON.stringify(workspaceSettings, null, 2));
    }
    setup.prepare?.(server.workspace);
    page = await openWorkbench(await (browser ??= launchBrowser()), server);
    await opened({ server, page, api: running.api });
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed') return;
    console.log(`      evidence kept in ${await keepEvidence(this.currentTest.fullTitle(), page, server)}`);
    // CI keeps only its output: the extension's last warnings and errors go there too.
    const problems = (server?.extensionLog() ?? '').split('\n').filter((line) => /\[(warning|error)\]/.test(line));
    for (const line of problems.slice(-8)) console.log(`      log: ${line.slice(0, 300)}`);
    // And what the browser said about its webviews (service worker, loads) and its errors.
    const said = page ? browserConsole(page).filter((line) => /webview|service worker|pre\/|^error|pageerror/i.test(line)) : [];
    for (const line of said.slice(-12)) console.log(`      browser: ${line}`);
  });

  after(async function () {
    this.timeout(60_000);
    await page?.context().close();
    if (--shared.users === 0) await stop(shared);
  });
}

// Whatever is left when the run ends (a suite skipped by --grep never says it is done).
after(async function () {
  this.timeout(60_000);
  for (const shared of servers.values()) await stop(shared);
  await (await browser?.catch(() => undefined))?.close();
});
