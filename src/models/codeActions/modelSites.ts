// Which model a line of Python is about: `torch.save(model…)` and the other saves, a PyTorch module
// built from a class defined as nn.Module, a Keras or scikit-learn model built, `X.from_pretrained(…)`,
// a `.fit(` (scikit-learn, Keras, a Lightning trainer). Found by patterns on the statement under the
// cursor plus facts about the file (its imports and classes), computed once per document version:
// this runs on every cursor move. Where the inserted code goes is `trainingPlacement.ts`'s job,
// on the parsed file.

export type Framework = 'pytorch' | 'transformers' | 'sklearn' | 'keras';

/** What the statement does with the model: builds it, trains it, saves it, or loads trained weights. */
export type SiteKind = 'built' | 'trained' | 'saved' | 'loaded';

export interface ModelSite {
  readonly framework: Framework;
  readonly kind: SiteKind;
  /** The variable holding the model, as the user named it. */
  readonly model: string;
  /** 0-based line of the statement, and the last line of it (a call can span lines). */
  readonly line: number;
  readonly endLine: number;
  readonly indent: string;
  /** Where the statement saves the model (a plain string path), to name the exports beside it. */
  readonly savePath?: string;
  /** The features the model is fitted on (`X_train`), for an example input. */
  readonly exampleInput?: string;
  /** Whether the file imports torch (else the snippet does). */
  readonly torchImported: boolean;
}

/** What the whole file says, once per version: its lines, imports and nn.Module classes. */
export interface ScriptFacts {
  readonly lines: readonly string[];
  readonly torchImported: boolean;
  readonly keras: boolean;
  readonly sklearn: boolean;
  readonly lightning: boolean;
  /** Classes defined in the file that subclass nn.Module / torch.nn.Module / a LightningModule. */
  readonly moduleClasses: ReadonlySet<string>;
  /** Estimator classes (and make_pipeline) imported from scikit-learn, XGBoost or LightGBM. */
  readonly estimators: ReadonlySet<string>;
  /** Models a Lightning trainer fits: `trainer.fit(model, …)` → trainer → model (trainers built by `…Trainer(`). */
  readonly fittedBy: ReadonlyMap<string, string>;
  readonly text: string;
}

const IDENT = '[A-Za-z_][A-Za-z0-9_]*';
const DOTTED = `${IDENT}(?:\\.${IDENT})*`;
/** A plain string literal (no f-string): its content in group `path`. */
const PATH = `[rR]?(?<q>["'])(?<path>[^"'{}\\n]+)\\k<q>`;

export function scriptFacts(text: string): ScriptFacts {
  const imports = (pattern: string): boolean => new RegExp(`^\\s*(?:import|from)\\s+(?:${pattern})\\b`, 'm').test(text);
  const moduleClasses = new Set<string>();
  for (const m of text.matchAll(new RegExp(`^\\s*class\\s+(${IDENT})\\s*\\(([^)]*)\\)`, 'gm'))) {
    if (/\b(nn\.Module|Module|LightningModule)\b/.test(m[2]!)) moduleClasses.add(m[1]!);
  }
  // `from sklearn.ensemble import RandomForestClassifier, (…)`: classes, and the pipeline makers.
  // Data loaders, splitters and metrics are functions or, in model_selection, classes not ending in CV.
  const estimators = new Set<string>();
  for (const m of text.matchAll(/^\s*from\s+(sklearn(?:\.[\w.]+)?|xgboost|lightgbm)\s+import\s+\(?([^)#\n]*(?:\n[^)#\n]*)*?)\)?\s*$/gm)) {
    if (/^sklearn\.(datasets|metrics|preprocessing\.data)\b/.test(m[1]!)) continue;
    for (const part of m[2]!.split(',')) {
      const name = part.trim().split(/\s+as\s+/).pop()!.trim();
      if (!new RegExp(`^${IDENT}$`).test(name)) continue;
      const modelSelection = m[1] === 'sklearn.model_selection';
      if ((/^[A-Z]/.test(name) && (!modelSelection || /CV$/.test(name))) || /^make_(pipeline|union|column_transformer)$/.test(name)) estimators.add(name);
    }
  }
  const fittedBy = new Map<string, string>();
  for (const m of text.matchAll(new RegExp(`^\\s*(${IDENT})\\.fit\\(\\s*(?:model\\s*=\\s*)?(${IDENT})\\b`, 'gm'))) {
    if (new RegExp(`^\\s*${m[1]}\\s*=\\s*[\\w.]*Trainer\\(`, 'm').test(text)) fittedBy.set(m[1]!, m[2]!);
  }
  return {
    lines: text.split(/\r?\n/),
    torchImported: /^\s*import\s+torch\b/m.test(text),
    keras: imports('tensorflow|keras|tf_keras'),
    sklearn: imports('sklearn|xgboost|lightgbm'),
    lightning: imports('lightning|pytorch_lightning'),
    moduleClasses,
    estimators,
    fittedBy,
    text,
  };
}

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

/** Cheap enough for every cursor move: a regex over the statement on `line` and the facts. */
export function findModelSite(facts: ScriptFacts, line: number): ModelSite | undefined {
  const current = facts.lines[line];
  if (current === undefined || /^\s*(#|$)/.test(current)) return undefined;
  const indent = /^\s*/.exec(current)![0];
  const endLine = statementEnd(facts.lines, line);
  const statement = facts.lines.slice(line, endLine + 1).join(' ');
  const base = { line, endLine, indent, torchImported: facts.torchImported };
  const site = (framework: Framework, kind: SiteKind, model: string, extra: { savePath?: string; exampleInput?: string } = {}): ModelSite => ({
    ...base,
    framework,
    kind,
    model,
    ...(extra.savePath ? { savePath: extra.savePath } : {}),
    ...(extra.exampleInput ? { exampleInput: extra.exampleInput } : {}),
  });
  const path = (m: RegExpExecArray): { savePath?: string } => (m.groups?.path ? { savePath: m.groups.path } : {});

  // Saves: torch.save(model[.state_dict()], "path"), safetensors' save_file / save_model.
  const torchSave = new RegExp(`\\b(?:torch\\.save|save_file|save_model)\\(\\s*(${IDENT})(?:\\.${IDENT}(?:\\(\\))?)*\\s*,\\s*(?:${PATH})?`).exec(statement);
  if (torchSave && (facts.torchImported || /\btorch\b/.test(statement))) return site('pytorch', 'saved', torchSave[1]!, path(torchSave));
  if (facts.lightning) {
    const checkpoint = new RegExp(`^\\s*(${IDENT})\\.save_checkpoint\\(\\s*(?:${PATH})?`).exec(statement);
    const fitted = checkpoint && facts.fittedBy.get(checkpoint[1]!);
    if (checkpoint && fitted) return site('pytorch', 'saved', fitted, path(checkpoint));
    const fit = new RegExp(`^\\s*(${IDENT})\\.fit\\(\\s*(?:model\\s*=\\s*)?(${IDENT})\\b`).exec(statement);
    if (fit && facts.fittedBy.get(fit[1]!) === fit[2]) return site('pytorch', 'trained', fit[2]!);
  }
  const pretrained = new RegExp(`^\\s*(${IDENT})\\s*=\\s*(${DOTTED})\\.from_pretrained\\(`).exec(statement);
  if (pretrained) return site('transformers', 'loaded', pretrained[1]!);
  const built = new RegExp(`^\\s*(${IDENT})\\s*(?::\\s*[\\w.\\[\\]]+\\s*)?=\\s*(${DOTTED})\\(`).exec(statement);
  if (built) {
    const model = built[1]!;
    const callee = built[2]!;
    if (facts.moduleClasses.has(callee)) return site('pytorch', 'built', model);
    if (facts.keras && /^(?:(?:tf\.)?keras\.)?(?:models\.)?(Sequential|Model)$/.test(callee)) return site('keras', 'built', model);
    if (facts.sklearn && (facts.estimators.has(callee) || /^sklearn\.[\w.]+\.[A-Z]\w*$/.test(callee))) return site('sklearn', 'built', model);
  }
  // scikit-learn / Keras `.fit(`: the whole statement, since its arguments often go on the next lines.
  const fit = new RegExp(`^\\s*(?:${IDENT}\\s*=\\s*)?(${IDENT})\\.fit\\(\\s*(${DOTTED})?`).exec(statement);
  const framework = fit ? fitFramework(facts, fit[1]!) : undefined;
  if (fit && framework) return site(framework, 'trained', fit[1]!, fit[2] ? { exampleInput: fit[2] } : {});
  // joblib.dump(pipe, "path") / pickle.dump; Keras model.save("path").
  const dump = new RegExp(`^\\s*(?:joblib|pickle|cloudpickle|skops\\.io)\\.dump\\(\\s*(${IDENT})\\s*,\\s*(?:${PATH})?`).exec(statement);
  if (dump && facts.sklearn) return site('sklearn', 'saved', dump[1]!, path(dump));
  const save = new RegExp(`^\\s*(${IDENT})\\.save\\(\\s*(?:${PATH})?`).exec(statement);
  if (save && facts.keras && fitFramework(facts, save[1]!) === 'keras') return site('keras', 'saved', save[1]!, path(save));
  return undefined;
}

/** The framework of a model fitted with `.fit(`: Keras when built by Sequential/Model/keras.…, else scikit-learn. */
function fitFramework(facts: ScriptFacts, model: string): Framework | undefined {
  const builtBy = new RegExp(`^\\s*${model}\\s*=\\s*([\\w.]+)`, 'm').exec(facts.text)?.[1] ?? '';
  if (facts.keras && (/Sequential|Model|keras/.test(builtBy) || !facts.sklearn)) return 'keras';
  return facts.sklearn ? 'sklearn' : undefined;
}
