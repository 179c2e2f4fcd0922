import { ML_PACKAGES, type PackageGroup } from '../python/pythonPackages';
import type { EnvironmentReport } from './environmentReport';

/** One labelled line of the report, shared by the CLI's text and the editor's Markdown. */
interface ReportLine {
  readonly label: string;
  readonly ok: boolean | null;
  readonly text: string;
  readonly details?: readonly string[];
}

export function reportLines(report: EnvironmentReport): ReportLine[] {
  const lines: ReportLine[] = [];
  const { node, python, packages, jupyter, gpus } = report;
  lines.push({ label: 'Node.js', ok: true, text: `${node.version} (${node.platform} ${node.arch})` });

  const tried = python.attempts.map((a) => `${a.candidate.command} (${a.candidate.source}): ${a.problem}`);
  if (python.found) {
    const p = python.interpreter;
    lines.push({
      label: 'Python',
      ok: true,
      text: `${p.version} at ${p.executable} (from ${sourceLabel(p.source)}${p.isVirtualEnv ? ', virtual environment' : ''})`,
      details: tried.map((t) => `skipped ${t}`),
    });
  } else {
    lines.push({
      label: 'Python',
      ok: false,
      text: 'no Python 3.8+ found: install Python 3, or set mlEngineer.python.path (CLI: --python)',
      details: tried,
    });
  }

  if (jupyter.status === 'ready') lines.push({ label: 'Jupyter', ok: true, text: `local kernels can start (${jupyter.server}, ${jupyter.kernel})` });
  else if (jupyter.status === 'missing') lines.push({ label: 'Jupyter', ok: false, text: `local kernels cannot start: missing ${jupyter.missing.join(' and ')} (install command below)` });
  else lines.push({ label: 'Jupyter', ok: null, text: `not checked: ${jupyter.reason}` });

  if (gpus.status === 'ok') {
    lines.push({
      label: 'GPUs',
      ok: gpus.gpus.length > 0,
      text:
        gpus.gpus.length === 0
          ? 'nvidia-smi found no GPUs'
          : `${gpus.gpus.length} NVIDIA GPU${gpus.gpus.length > 1 ? 's' : ''}${gpus.driverVersion ? `, driver ${gpus.driverVersion}` : ''}`,
      details: gpus.gpus.map(
        (g) =>
          `${g.index}: ${g.name}` +
          (g.memoryTotalMiB !== null ? `, ${(g.memoryTotalMiB / 1024).toFixed(1)} GiB` : '') +
          (g.computeCapability ? `, compute ${g.computeCapability}` : ''),
      ),
    });
  } else {
    lines.push({ label: 'GPUs', ok: gpus.status === 'no-nvidia-smi' ? null : false, text: gpus.message });
  }

  lines.push(apiKeyLine(report));

  if (packages?.ok) {
    for (const group of Object.keys(ML_PACKAGES) as PackageGroup[]) {
      const inGroup = packages.packages.filter((p) => p.group === group);
      const found = inGroup.filter((p) => p.version !== null).map((p) => `${p.name} ${p.version}`);
      lines.push({ label: `Packages: ${group}`, ok: found.length > 0 ? true : null, text: found.length > 0 ? found.join(', ') : 'none installed' });
    }
  } else if (packages) {
    lines.push({ label: 'Packages', ok: false, text: `could not be read: ${packages.problem}` });
  }
  for (const limit of report.limits) {
    lines.push({
      label: `Missing ${limit.missing.join(', ')}`,
      // A feature that still works another way is a limit, not a failure.
      ok: limit.meanwhile ? null : false,
      text: `limits ${limit.feature}${limit.meanwhile ? ` (meanwhile ${limit.meanwhile})` : ''}: install with \`${limit.install}\``,
    });
  }
  return lines;
}

function apiKeyLine({ apiKey }: EnvironmentReport): ReportLine {
  const label = 'Anthropic API key';
  if (apiKey.set) return { label, ok: true, text: apiKey.source === 'secret-storage' ? "set (in VS Code's secret storage)" : 'set (ANTHROPIC_API_KEY in the environment)' };
  if (!apiKey.checked.includes('secret-storage')) {
    return { label, ok: null, text: "ANTHROPIC_API_KEY is not set (the extension keeps its key in VS Code's secret storage, which this command cannot read)" };
  }
  return {
    label,
    ok: null,
    text: 'not set: only the chat needs one (ML Engineer: Set Anthropic API Key; keys come from console.anthropic.com); kernels, experiments, models and GPUs work without it',
  };
}

function sourceLabel(source: string): string {
  return source === 'setting' ? 'the configured path' : source === 'python-extension' ? 'the Python extension' : 'PATH';
}

const MARK = { true: '✓', false: '✗', null: '–' } as const;

export function formatReportText(report: EnvironmentReport): string {
  const lines = reportLines(report);
  const width = Math.max(...lines.map((l) => l.label.length));
  const out = ['ML Engineer environment', ''];
  for (const line of lines) {
    out.push(`${MARK[String(line.ok) as keyof typeof MARK]} ${line.label.padEnd(width)}  ${line.text}`);
    for (const detail of line.details ?? []) out.push(`  ${' '.repeat(width)}    ${detail}`);
  }
  return out.join('\n') + '\n';
}

export function formatReportMarkdown(report: EnvironmentReport): string {
  const out = ['# ML Engineer environment', '', `Checked ${report.generatedAt}.`, '', '| | What | Found |', '|---|---|---|'];
  for (const line of reportLines(report)) {
    const details = (line.details ?? []).map((d) => `<br>${escapeCell(d)}`).join('');
    out.push(`| ${MARK[String(line.ok) as keyof typeof MARK]} | ${escapeCell(line.label)} | ${escapeCell(line.text)}${details} |`);
  }
  out.push('', 'Run again: **ML Engineer: Check Environment**, or `ml-engineer doctor` in a terminal.', '');
  return out.join('\n');
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
