// A job's --output/--error pattern as a file name: Slurm leaves the pattern in the job record
// (squeue) and expands it only when it opens the file. Replacements as sbatch(1) "filename pattern".

export interface PatternValues {
  readonly jobId: string;
  readonly arrayJobId?: string | undefined;
  readonly arrayTaskId?: string | undefined;
  readonly name: string;
  readonly user?: string | undefined;
  readonly workDir?: string | undefined;
  readonly firstNode?: string | undefined;
}

/**
 * The file a pattern names. An empty pattern is Slurm's default: slurm-%j.out in the working
 * folder (slurm-%A_%a.out for an array task); a relative one is relative to the working folder.
 */
export function expandOutputPattern(pattern: string | undefined, v: PatternValues): string | undefined {
  const isTask = v.arrayJobId !== undefined && v.arrayTaskId !== undefined && /^\d+$/.test(v.arrayTaskId);
  const p = pattern && pattern.length > 0 ? pattern : isTask ? 'slurm-%A_%a.out' : 'slurm-%j.out';
  const expanded = p.replace(/%(\d*)([%AajJxuNnst])/g, (whole, width: string, code: string) => {
    const pad = (s: string | undefined): string => (s === undefined ? whole : width ? s.padStart(Number(width), '0') : s);
    switch (code) {
      case '%':
        return '%';
      case 'A':
        return pad(v.arrayJobId ?? v.jobId);
      case 'a':
        return pad(isTask ? v.arrayTaskId : '4294967294');
      case 'j':
      case 'J':
        return pad(v.jobId);
      case 'x':
        return v.name;
      case 'u':
        return v.user ?? whole;
      case 'N':
        return v.firstNode ?? whole;
      case 'n':
      case 't':
        return pad('0');
      default:
        return whole;
    }
  });
  if (expanded.startsWith('/') || !v.workDir) return expanded;
  return `${v.workDir.replace(/\/+$/, '')}/${expanded}`;
}
