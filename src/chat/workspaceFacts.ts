import { join } from 'node:path';
import { frameworksIn, type WorkspaceFacts } from '../agent/systemPrompt';
import { walkFiles } from '../agent/tools/fileWalker';
import { readRegularFile } from '../common/regularFile';
import { readGpuInventory } from '../gpu/gpuInventory';
import { resolvePython, type PythonCandidate } from '../python/pythonInterpreter';

const DEPENDENCY_FILES = ['requirements.txt', 'requirements-dev.txt', 'pyproject.toml', 'environment.yml', 'setup.cfg', 'Pipfile'];

/**
 * What the system prompt says about the workspace; each probe has a short timeout and may find
 * nothing. It lives with the chat, which brings the features together (GPUs, Python), so the
 * agent core imports no feature.
 */
export async function gatherWorkspaceFacts(
  roots: readonly { name: string; path: string }[],
  options: { pythonCandidates: readonly PythonCandidate[]; nvidiaSmi: string; signal?: AbortSignal },
): Promise<WorkspaceFacts> {
  const texts: string[] = [];
  for (const root of roots) {
    for (const name of DEPENDENCY_FILES) {
      // The first 200 KB, of a regular file only: a FIFO by one of these names would hold the chat's start forever.
      const text = await readRegularFile(join(root.path, name), 200_000, { cut: true }).then((b) => b.toString('utf8'), () => undefined);
      if (text) texts.push(text);
    }
  }
  const signal = options.signal ? { signal: options.signal } : {};
  const [python, gpus, notebooks] = await Promise.all([
    resolvePython(options.pythonCandidates, { timeoutMs: 5000, ...signal }),
    readGpuInventory(options.nvidiaSmi, { timeoutMs: 5000, ...signal }),
    Promise.all(roots.map((r) => walkFiles(r.path, { limit: 5000 }))).then((all) => all.flatMap((w) => w.files).filter((f) => f.path.endsWith('.ipynb')).length),
  ]);
  return {
    folders: roots.map((r) => r.name),
    frameworks: frameworksIn(texts),
    ...(python.found ? { python: `${python.interpreter.version} (${python.interpreter.executable})` } : {}),
    ...(gpus.status === 'ok' ? { gpus: gpus.gpus.map((g) => `${g.name}${g.memoryTotalMiB ? ` ${(g.memoryTotalMiB / 1024).toFixed(0)} GiB` : ''}`) } : gpus.status === 'no-nvidia-smi' ? { gpus: [] } : {}),
    notebooks,
  };
}
