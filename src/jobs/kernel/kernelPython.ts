import { UserError } from '../../common/errors';
import { SETTINGS } from '../../commandIds';
import type { EnvironmentActivation } from '../batchScript';

// `mlEngineer.jobs.kernelPython`: which Python a kernel job runs Jupyter with, on the cluster's side
// (a login node's Python is rarely the nodes' one). One value for every cluster, or one per cluster:
//   "/home/me/venvs/torch/bin/python" or "python3.11"  that Python (a path or a command on PATH)
//   "conda:torch" or "conda:/scratch/envs/torch"         that conda environment activated, its python
//   "" (or the cluster left out)                          the default: this window's Python on
//                                                         "local", python3 over SSH
// Checked strictly (it becomes a line of the job's script): a clear error, never a guess.

export interface KernelPython {
  readonly python: string;
  readonly environment?: EnvironmentActivation;
  /** Where the choice came from (".vscode/settings.json", "--python"), said where it is approved. */
  readonly from?: string;
}

/** How a kernel job's approval names its Python: the value and where it came from, else `fallback` (the default). */
export function kernelPythonText(chosen: KernelPython | undefined, fallback: string): string {
  if (!chosen) return fallback;
  const what = chosen.environment?.kind === 'conda' ? `the python of conda environment ${chosen.environment.name}` : chosen.python;
  return chosen.from ? `${what} (from ${chosen.from})` : what;
}

// Path segments may hold spaces (the script quotes them); nothing a shell would read as syntax.
const PYTHON = /^(\/[\w .+-]+)*\/python[0-9.]*$|^python[0-9.]*$/;
// A name or an absolute path; never starting with "-" (it would reach conda as an option).
const CONDA_ENV = /^\/?[\w.+][\w.+-]*(\/[\w.+-]+)*$/;

/** The Python the setting names for `cluster`; undefined: the default. A bad value is a UserError saying what to write. */
export function kernelPythonFor(setting: unknown, cluster: string): KernelPython | undefined {
  const value = typeof setting === 'object' && setting !== null && !Array.isArray(setting) ? (setting as Record<string, unknown>)[cluster] : setting;
  if (value === undefined || value === null) return undefined;
  const where = typeof setting === 'object' && setting !== null ? `${SETTINGS.jobKernelPython} ("${cluster}")` : SETTINGS.jobKernelPython;
  if (typeof value !== 'string') throw new UserError(`${where} must be a string: a Python's path, a command such as python3.11, or conda:ENV.`);
  const text = value.trim();
  if (text === '') return undefined;
  if (text.startsWith('conda:')) {
    const name = text.slice('conda:'.length);
    if (!CONDA_ENV.test(name) || name.split('/').some((part) => part === '..')) throw new UserError(`${where}: ${JSON.stringify(name)} is not a conda environment's name or absolute path (letters, digits, . _ + - and /).`);
    return { python: 'python', environment: { kind: 'conda', name } };
  }
  if (text.startsWith('~')) throw new UserError(`${where}: write ${JSON.stringify(text)} as a full path (/home/…): the job does not expand ~.`);
  if (!PYTHON.test(text) || text.split('/').some((part) => part === '..')) {
    throw new UserError(`${where}: ${JSON.stringify(text)} is not a Python: give its full path ending in python, python3 or python3.11, a command such as python3.11, or conda:ENV.`);
  }
  return { python: text };
}
