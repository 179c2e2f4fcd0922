import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Writes through a temporary file beside the target and a rename over it, so a crash or a
 * full disk never leaves half a file; the temporary file is removed on failure and the
 * target keeps its mode, unless `mode` is given: then the file gets that mode from its
 * creation on (private files are never readable by others, not even for a moment).
 */
export async function writeFileAtomic(path: string, text: string, options: { mode?: number } = {}): Promise<void> {
  await fs.mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await fs.writeFile(temp, text, { encoding: 'utf8', ...(options.mode !== undefined ? { mode: options.mode } : {}) });
    const mode = options.mode ?? (await fs.stat(path).catch(() => undefined))?.mode;
    if (mode !== undefined) await fs.chmod(temp, mode);
    await fs.rename(temp, path);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}
