import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

interface Snippet {
  prefix: string | string[];
  description: string;
  body: string | string[];
}

const root = resolve(__dirname, '../..');
const snippets = JSON.parse(readFileSync(join(root, 'snippets/python.json'), 'utf8')) as Record<string, Snippet>;

/**
 * Expands a snippet body the way accepting every default would: `${1:text}` -> text (nested
 * ones too), `${1|a,b|}` -> a, `$0` -> ''. A bare `$1` has no default and is reported, since
 * the code would not run as inserted.
 */
function fill(body: string): { code: string; problems: string[] } {
  const problems: string[] = [];
  let code = body;
  // Innermost placeholders first, until none are left.
  for (let i = 0; i < 20 && /\$\{\d+:[^{}]*\}/.test(code); i++) {
    code = code.replace(/\$\{(\d+):([^{}]*)\}/g, (_m, _n: string, text: string) => text);
  }
  code = code.replace(/\$\{\d+\|([^|,]*)[^|]*\|\}/g, (_m, first: string) => first);
  code = code.replace(/\$\{?0\}?/g, '');
  for (const bare of code.match(/(?<!\\)\$(\d+|\{\d+\}|[A-Z_]+)/g) ?? []) problems.push(`placeholder ${bare} has no default`);
  return { code: code.replace(/\\\$/g, '$'), problems };
}

describe('Python snippets', () => {
  const names = Object.keys(snippets);

  it('cover what an ML engineer reaches for', () => {
    const prefixes = names.flatMap((n) => [snippets[n]!.prefix].flat());
    for (const wanted of ['torch-train', 'lightning-module', 'sk-pipeline', 'mlflow-run', 'wandb-run', 'optuna-study', 'onnx-export', 'quantize-dynamic', 'fastapi-serve']) {
      assert.ok(prefixes.includes(wanted), `no snippet with prefix ${wanted}`);
    }
    assert.equal(new Set(prefixes).size, prefixes.length, 'duplicate prefixes');
  });

  it('each has a description and placeholders whose copies agree', () => {
    for (const name of names) {
      const s = snippets[name]!;
      assert.ok(s.description.length > 20, `${name}: description`);
      const body = [s.body].flat().join('\n');
      const defaults = new Map<string, string>();
      for (const m of body.matchAll(/\$\{(\d+):([^{}]*)\}/g)) {
        const seen = defaults.get(m[1]!);
        assert.ok(seen === undefined || seen === m[2], `${name}: tab stop ${m[1]} has defaults "${seen}" and "${m[2]}"`);
        defaults.set(m[1]!, m[2]!);
      }
    }
  });

  it('every body, with its defaults filled in, compiles in Python', () => {
    const sources: Record<string, string> = {};
    for (const name of names) {
      const { code, problems } = fill([snippets[name]!.body].flat().join('\n'));
      assert.deepEqual(problems, [], name);
      sources[name] = code.replace(/\t/g, '    ');
    }
    const check = [
      'import json, sys',
      'errors = {}',
      'for name, src in json.load(sys.stdin).items():',
      '    try:',
      '        compile(src, name, "exec")',
      '    except SyntaxError as e:',
      '        errors[name] = f"line {e.lineno}: {e.msg}: {(e.text or \'\').strip()}"',
      'print(json.dumps(errors))',
    ].join('\n');
    const result = spawnSync('python3', ['-c', check], { input: JSON.stringify(sources), encoding: 'utf8', timeout: 30_000 });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), {});
  });

  it('the filler itself catches a broken snippet', () => {
    const broken = fill('def f(:\n\treturn ${1:x}$0');
    const result = spawnSync('python3', ['-c', 'import sys; compile(sys.stdin.read(), "s", "exec")'], { input: broken.code, encoding: 'utf8' });
    assert.notEqual(result.status, 0);
    assert.deepEqual(fill('x = $1').problems, ['placeholder $1 has no default']);
  });
});
