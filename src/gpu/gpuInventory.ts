import { runProcess } from '../common/process';
import { numericValue, parseQueryGpuCsv, QueryGpuCsvError, textValue } from './queryGpuCsv';

export interface GpuInfo {
  readonly index: number;
  readonly name: string;
  readonly uuid: string | null;
  readonly memoryTotalMiB: number | null;
  readonly computeCapability: string | null;
}

export type GpuInventory =
  | { readonly status: 'ok'; readonly driverVersion: string | null; readonly gpus: readonly GpuInfo[] }
  /** No nvidia-smi: a machine without NVIDIA drivers. Not an error. */
  | { readonly status: 'no-nvidia-smi'; readonly message: string }
  /** nvidia-smi exists but failed (driver not loaded, timed out, unreadable output). */
  | { readonly status: 'error'; readonly message: string };

export const INVENTORY_FIELDS = ['index', 'name', 'uuid', 'driver_version', 'memory.total', 'compute_cap'] as const;

export function inventoryFromCsv(csv: string): GpuInventory {
  try {
    const rows = parseQueryGpuCsv(csv);
    const gpus = rows.map((row, i) => ({
      index: numericValue(row, 'index') ?? i,
      name: textValue(row, 'name') ?? 'unknown GPU',
      uuid: textValue(row, 'uuid'),
      memoryTotalMiB: numericValue(row, 'memory.total'),
      computeCapability: textValue(row, 'compute_cap'),
    }));
    const driverVersion = rows.length > 0 && rows[0] ? textValue(rows[0], 'driver_version') : null;
    return { status: 'ok', driverVersion, gpus };
  } catch (error) {
    if (error instanceof QueryGpuCsvError) return { status: 'error', message: `unreadable nvidia-smi output: ${error.message}` };
    throw error;
  }
}

/** Lists NVIDIA GPUs with one `nvidia-smi --query-gpu` call. */
export async function readGpuInventory(
  nvidiaSmi: string,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<GpuInventory> {
  const result = await runProcess(nvidiaSmi, [`--query-gpu=${INVENTORY_FIELDS.join(',')}`, '--format=csv'], {
    timeoutMs: options.timeoutMs ?? 10_000,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  switch (result.kind) {
    case 'not-found':
      return { status: 'no-nvidia-smi', message: `${nvidiaSmi} was not found: no NVIDIA driver on this machine, or point mlEngineer.gpu.nvidiaSmiPath (CLI: --nvidia-smi) at it` };
    case 'timed-out':
      return { status: 'error', message: `${nvidiaSmi} did not answer within ${result.timeoutMs} ms (a hung driver?)` };
    case 'cancelled':
      return { status: 'error', message: 'cancelled' };
    case 'exited':
      if (result.code !== 0) {
        // e.g. exit 9: "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver."
        const said = (result.stdout + result.stderr).trim().split('\n')[0] ?? '';
        return { status: 'error', message: `${nvidiaSmi} failed (exit ${result.code})${said ? `: ${said}` : ''}` };
      }
      return inventoryFromCsv(result.stdout);
  }
}
