// Where Python code holds a model we can export or quantize: `torch.save(model…)`, a PyTorch module
// built from a class defined as nn.Module, `X.from_pretrained(…)`, and scikit-learn / Keras `.fit(`.
// Found by patterns on the current line plus the file's imports: no Python parser, and a miss only
// means no action is offered.

export type Framework = 'pytorch' | 'transformers' | 'sklearn' | 'keras';

export interface ModelSite {
  readonly framework: Framework;
  /** The variable holding the model, as the user named it. */
  readonly model: string;
  /** 0-based line of the statement, and the last line of it (a call can span lines). */
  readonly line: number;
  readonly endLine: number;
  readonly indent: string;
  /** Where the code saves the model (torch.save's path), to name the export beside it. */
  readonly savePath?: string;
  /** The features the model is fitted on or called with (`X_train`), for an example input. */
  readonly exampleInput?: string;
  /** How the file imports torch (`torch`, or nothing: the snippet imports it). */
  readonly torchImported: boolean;
}

const IDENT = '[A-Za-z_][A-Za-z0-9_]*';
const DOTTED = `${IDENT}(?:\\.${IDENT})*`;

/** The last line of the statement starting at `line`: brackets balanced, strings skipped. */
export function statementEnd(lines: readonly string[], line: number): number {
  let depth = 0;
  for (let i = line; i < lines.length && i < line + 200; i++) {
    const text = lines[i]!.replace(/(["'])(?:\\.|(?!\1).)*\1/g, '""').replace(/#.*$/, '');
    for (const ch of text) {
      if (ch === '(' || ch === '[' || ch === '{') depth++;
      else if (ch === ')' || ch === ']' || ch === '}') depth--;
    }
    if (depth <= 0 && !text.trimEnd().endsWith('\\')) return i;
  }
  return line;
}

/** Names of classes in the file that subclass nn.Module / torch.nn.Module (or a LightningModule). */
function moduleClasses(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(new RegExp(`^\\s*class\\s+(${IDENT})\\s*\\(([^)]*)\\)`, 'gm'))) {
    if (/\b(nn\.Module|Module|LightningModule)\b/.test(m[2]!)) out.add(m[1]!);
  }
  return out;
}

/** The first simple argument the model is called with (`model(x_val)` → `x_val`). */
function calledWith(text: string, model: string): string | undefined {
  const m = new RegExp(`\\b${model}\\((${DOTTED})(?:\\[[^\\]]*\\])?\\)`).exec(text);
  return m?.[1];
}

export function findModelSite(text: string, line: number): ModelSite | undefined {
  const lines = text.split(/\r?\n/);
  const current = lines[line];
  if (current === undefined || /^\s*#/.test(current)) return undefined;
  const indent = /^\s*/.exec(current)![0];
  const torchImported = /^\s*import\s+torch\b/m.test(text);
  const base = { line, endLine: statementEnd(lines, line), indent, torchImported };

  const save = new RegExp(`\\btorch\\.save\\(\\s*(${IDENT})(?:\\.state_dict\\(\\))?\\s*,\\s*(?:(["'])([^"']+)\\2)?`).exec(current);
  if (save) {
    const model = save[1]!;
    return withExample({ ...base, framework: 'pytorch', model, ...(save[3] ? { savePath: save[3] } : {}) }, text);
  }
  const pretrained = new RegExp(`^\\s*(${IDENT})\\s*=\\s*(${DOTTED})\\.from_pretrained\\(`).exec(current);
  if (pretrained) return { ...base, framework: 'transformers', model: pretrained[1]! };
  const built = new RegExp(`^\\s*(${IDENT})\\s*=\\s*(${IDENT})\\(`).exec(current);
  if (built && moduleClasses(text).has(built[2]!)) return withExample({ ...base, framework: 'pytorch', model: built[1]! }, text);
  // The whole statement: `clf.fit(` often puts its arguments on the next lines.
  const statement = lines.slice(line, base.endLine + 1).join(' ');
  const fit = new RegExp(`^\\s*(?:${IDENT}\\s*=\\s*)?(${IDENT})\\.fit\\(\\s*(${DOTTED})?`).exec(statement);
  if (fit) {
    const model = fit[1]!;
    const keras = /^\s*(?:import|from)\s+(?:tensorflow|keras|tf_keras)\b/m.test(text);
    const sklearn = /^\s*(?:import|from)\s+(?:sklearn|xgboost|lightgbm)\b/m.test(text);
    // A Keras model is built by Sequential/Model/keras.…; otherwise with sklearn imported it is an estimator.
    const builtBy = new RegExp(`^\\s*${model}\\s*=\\s*([\\w.]+)`, 'm').exec(text)?.[1] ?? '';
    const framework: Framework | undefined = keras && (/Sequential|Model|keras/.test(builtBy) || !sklearn) ? 'keras' : sklearn ? 'sklearn' : undefined;
    if (!framework) return undefined;
    return { ...base, framework, model, ...(fit[2] ? { exampleInput: fit[2] } : {}) };
  }
  return undefined;
}

function withExample(site: ModelSite, text: string): ModelSite {
  const input = calledWith(text, site.model);
  return input ? { ...site, exampleInput: input } : site;
}
