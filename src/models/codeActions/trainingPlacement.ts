import type { Node } from '@vscode/tree-sitter-wasm';
import type { ModelSite } from './modelSites';

// Where code that exports, quantizes or serves a model goes: after the model is trained, never
// where it is built. On the parsed file (tree-sitter), in the block that holds the model's
// statement: the last statement there that trains the model (a loop that uses it, `fit`, a call
// like `train(loader, model, …)`, a trainer's fit/train, loading weights) or saves it (torch.save,
// save_file, joblib.dump, model.save, trainer.save_checkpoint …), up to where the name is bound
// again. When none does, the places that use the model are offered to choose from.

export interface InsertionPlace {
  /** 0-based line the code goes before: the line after the statement it follows. */
  readonly line: number;
  /** The indentation of that statement (its block's). */
  readonly indent: string;
  /** The statement the code follows: its first line (0-based) and that line's text, to show. */
  readonly afterLine: number;
  readonly afterText: string;
  /** An expression for one example batch that is bound at this place (`x_train[:1]`), if the script has one. */
  readonly exampleInput?: string;
}

export interface ModelCodePlan {
  readonly site: ModelSite;
  /** One place when the script shows where training ends; else the places to choose from. */
  readonly places: readonly InsertionPlace[];
  readonly sure: boolean;
  /** Why the place, in words (for the log and the choice's title). */
  readonly reason: string;
  /** Output path without extension: beside the script's own save, else `<script>_<model>`. */
  readonly stem: string;
}

const SCOPES = new Set(['function_definition', 'class_definition', 'lambda', 'module']);
const LOOPS = new Set(['for_statement', 'while_statement']);
/** Methods on the model that leave it trained (or with trained weights). */
const TRAINS_MODEL = new Set(['fit', 'partial_fit', 'fit_transform', 'fit_generator', 'train_on_batch', 'load_state_dict', 'load_weights']);
/** Methods on the model that save it, and the keyword its path may come as. */
const SAVES_MODEL = new Set(['save', 'save_pretrained', 'save_model', 'save_weights']);
const PATH_KEYWORDS = ['f', 'filename', 'filepath', 'fname', 'path', 'save_directory', 'output_dir'];
const MAX_CHOICES = 8;

export function planModelCode(root: Node, lines: readonly string[], site: ModelSite, scriptStem: string): ModelCodePlan | undefined {
  const statement = statementAt(root, site.line);
  if (!statement?.parent) return undefined;
  // A save or fit inside a loop (a checkpoint each epoch, a search over settings) is done once the loop is.
  let anchor = statement;
  if (site.kind !== 'built') {
    for (let p: Node | null = statement.parent; p && !SCOPES.has(p.type); p = p.parent) if (LOOPS.has(p.type) && isStatement(p)) anchor = p;
  }
  const statements = statementsOf(anchor.parent!);
  const m = site.model;
  const trainers = new Set<string>();
  const range: Node[] = [];
  let target: Node | undefined;
  let targetSaves: Save[] = [];
  const saves: Save[] = [];
  for (let i = statements.findIndex((s) => s.id === anchor.id); i >= 0 && i < statements.length; i++) {
    const s = statements[i]!;
    if (s.id !== anchor.id && (rebinds(s, m) || s.type === 'return_statement' || s.type === 'raise_statement')) break;
    range.push(s);
    const found = examine(s, m, trainers);
    saves.push(...found.saves);
    // The site's own statement trains or saves it when the site says so.
    const own = s.id === anchor.id && (site.kind === 'trained' || site.kind === 'saved');
    if (found.trained || found.saves.length > 0 || own) {
      target = s;
      targetSaves = found.saves;
    }
  }
  // Trained under `if __name__ == "__main__":` (or a `with`): the code goes inside, after it, so it
  // runs only where the training did (after the whole `if`, it would export untrained weights on import).
  if (target) target = innermostTraining(target, m, trainers);
  const named = [...targetSaves, ...saves].reverse().find((save) => save.path)?.path ?? site.savePath;
  const stem = named ? named.replace(/\.[A-Za-z0-9]+$/, '') : `${scriptStem ? `${scriptStem}_` : ''}${m}`;
  let scope = anchor.parent;
  while (scope && !SCOPES.has(scope.type)) scope = scope.parent;
  // Built and never trained or saved here (built in a function that returns it, trained elsewhere):
  // the statements that use it, to choose from.
  const after = target ? [target] : site.kind === 'loaded' ? [anchor] : [anchor, ...range.slice(1).filter((s) => references(s, m)), range[range.length - 1]!];
  const untilRow = Math.max(...after.map(lastRow)) + 1;
  const example = examplesIn(root, scope ?? root, site, untilRow);
  const place = (s: Node): InsertionPlace => placeAfter(lines, s, example);
  if (target) {
    const saved = targetSaves.some((save) => !save.loaded) || (target.id === anchor.id && site.kind === 'saved');
    const loaded = !saved && targetSaves.some((save) => save.loaded);
    return { site, places: [place(target)], sure: true, stem, reason: saved ? `after ${m} is saved` : loaded ? `after ${m}'s weights are loaded` : `after ${m} is trained` };
  }
  if (site.kind === 'loaded') return { site, places: [place(anchor)], sure: true, stem, reason: `after ${m} is loaded` };
  const choices = [...new Map(after.map((s) => [s.id, s])).values()];
  // The first uses and the end of the block, when there are many.
  const places = (choices.length > MAX_CHOICES ? [...choices.slice(0, MAX_CHOICES - 1), choices[choices.length - 1]!] : choices).map(place);
  return { site, places, sure: false, stem, reason: `${m} is not trained or saved after line ${site.line + 1} in the same block` };
}

/** A file the model is saved to (or, `loaded`, its weights are loaded from), when its path is a plain string. */
interface Save {
  readonly path?: string;
  readonly loaded?: boolean;
}

/** The statement (a child of the module or of a block) that holds `row`, the innermost one. */
export function statementAt(root: Node, row: number): Node | undefined {
  let found: Node | undefined;
  for (let node: Node | undefined = root; node; ) {
    const child: Node | undefined = children(node).find((c) => c.startPosition.row <= row && row <= lastRow(c) && c.type !== 'comment');
    if (child && (node.type === 'module' || node.type === 'block')) found = child;
    node = child;
  }
  return found;
}

function children(node: Node): Node[] {
  return node.namedChildren.filter((c): c is Node => c !== null);
}

function isStatement(node: Node): boolean {
  return node.parent?.type === 'module' || node.parent?.type === 'block';
}

function statementsOf(block: Node): Node[] {
  return children(block).filter((c) => c.type !== 'comment');
}

/** The last row a node covers (a node ending at column 0 ends with the previous row's newline). */
function lastRow(node: Node): number {
  return node.endPosition.column === 0 && node.endPosition.row > node.startPosition.row ? node.endPosition.row - 1 : node.endPosition.row;
}

function placeAfter(lines: readonly string[], s: Node, example: (line: number) => string | undefined): InsertionPlace {
  const first = s.startPosition.row;
  const line = lastRow(s) + 1;
  const exampleInput = example(line);
  return { line, indent: /^\s*/.exec(lines[first] ?? '')![0], afterLine: first, afterText: (lines[first] ?? '').trim(), ...(exampleInput ? { exampleInput } : {}) };
}

/**
 * `node` and the nodes below it in document order, not entering functions, classes or lambdas
 * (defining one runs none of it), nor anything starting at or after `untilRow`.
 */
function* walk(node: Node, untilRow = Number.MAX_SAFE_INTEGER): Generator<Node> {
  const stack = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    yield n;
    if (n.type !== 'module' && SCOPES.has(n.type)) continue;
    stack.push(...children(n).filter((c) => c.startPosition.row < untilRow).reverse());
  }
}

/** Is `id` an identifier used as a value (not `x.name`'s attribute nor a keyword argument's name)? */
function isValueUse(id: Node): boolean {
  const parent = id.parent;
  if (parent?.type === 'attribute') return parent.childForFieldName('attribute')?.id !== id.id;
  if (parent?.type === 'keyword_argument') return parent.childForFieldName('name')?.id !== id.id;
  return true;
}

function references(node: Node, name: string): boolean {
  for (const n of walk(node)) if (n.type === 'identifier' && n.text === name && isValueUse(n)) return true;
  return false;
}

/** The variable an expression is about: `model`, `model.state_dict()`, `model.module.cpu()` → model; `model(x)` → none. */
function rootName(node: Node | null | undefined): string | undefined {
  for (let n = node; n; ) {
    if (n.type === 'identifier') return n.text;
    if (n.type === 'attribute') n = n.childForFieldName('object');
    else if (n.type === 'call') {
      const fn = n.childForFieldName('function');
      if (fn?.type !== 'attribute') return undefined;
      n = fn;
    } else return undefined;
  }
  return undefined;
}

/** A plain string literal's text (no f-string, bytes or escapes), else undefined. */
function stringValue(node: Node | undefined): string | undefined {
  if (node?.type !== 'string') return undefined;
  const parts = children(node);
  const start = parts.find((p) => p.type === 'string_start')?.text ?? '';
  if (/[fFbB]/.test(start) || parts.some((p) => p.type === 'interpolation' || p.type === 'escape_sequence')) return undefined;
  const content = parts.filter((p) => p.type === 'string_content').map((p) => p.text).join('');
  return content && !content.includes('\n') ? content : undefined;
}

interface CallParts {
  readonly fn: Node;
  readonly positional: Node[];
  readonly keywords: Map<string, Node>;
}

function callParts(call: Node): CallParts | undefined {
  const fn = call.childForFieldName('function');
  const args = call.childForFieldName('arguments');
  if (!fn) return undefined;
  const positional: Node[] = [];
  const keywords = new Map<string, Node>();
  for (const a of args?.type === 'argument_list' ? children(args) : []) {
    if (a.type === 'keyword_argument') {
      const name = a.childForFieldName('name')?.text;
      const value = a.childForFieldName('value');
      if (name && value) keywords.set(name, value);
    } else if (a.type !== 'comment') positional.push(a);
  }
  return { fn, positional, keywords };
}

function pathArgument(parts: CallParts, index: number): Save {
  const node = parts.positional[index] ?? PATH_KEYWORDS.map((k) => parts.keywords.get(k)).find(Boolean);
  const path = stringValue(node);
  return path ? { path } : {};
}

/** Does the statement train the model, and where does it save it? `trainers` collects what fits it. */
function examine(statement: Node, m: string, trainers: Set<string>): { trained: boolean; saves: Save[] } {
  let trained = false;
  const saves: Save[] = [];
  for (const n of walk(statement)) {
    if (LOOPS.has(n.type) && references(n, m)) trained = true;
    else if (n.type === 'assignment') {
      // trainer = Trainer(model=model, …): what it trains is the model (Hugging Face, Lightning's own).
      const left = n.childForFieldName('left');
      const right = n.childForFieldName('right');
      const parts = right?.type === 'call' ? callParts(right) : undefined;
      if (left?.type === 'identifier' && parts && /Trainer$/.test(parts.fn.text) && takes(parts, m)) trainers.add(left.text);
    } else if (n.type === 'call') {
      const parts = callParts(n);
      if (!parts) continue;
      const method = parts.fn.type === 'attribute' ? parts.fn.childForFieldName('attribute')?.text : undefined;
      const receiver = parts.fn.type === 'attribute' ? parts.fn.childForFieldName('object') : undefined;
      const onModel = receiver !== undefined && rootName(receiver) === m;
      const onTrainer = receiver?.type === 'identifier' && trainers.has(receiver.text);
      const callee = method ?? parts.fn.text;
      if (/(^|\.)(save|save_file|save_model|dump)$/.test(parts.fn.text) && rootName(parts.positional[0]) === m) saves.push(pathArgument(parts, 1));
      else if (onModel && method && SAVES_MODEL.has(method)) saves.push(pathArgument(parts, 0));
      else if (onTrainer && (method === 'save_checkpoint' || method === 'save_model')) saves.push(pathArgument(parts, 0));
      else if (onModel && method && TRAINS_MODEL.has(method)) {
        trained = true;
        // model.load_state_dict(torch.load("model.pth")): the weights' file names the exports.
        const loaded = parts.positional[0]?.type === 'call' ? callParts(parts.positional[0]) : undefined;
        if (loaded && /(^|\.)(load|load_file)$/.test(loaded.fn.text)) saves.push({ ...pathArgument(loaded, 0), loaded: true });
      } else if (onTrainer && (method === 'fit' || method === 'train')) trained = true;
      else if (/^(fit|train)/i.test(callee) && takes(parts, m)) {
        // trainer.fit(model, …) (Lightning), train(loader, model, loss_fn, optimizer) (the PyTorch tutorial).
        trained = true;
        if (receiver?.type === 'identifier') trainers.add(receiver.text);
      }
    }
  }
  return { trained, saves };
}

/** In an `if` without other branches or a `with` that trains or saves the model, the last statement inside that does, recursively. */
function innermostTraining(statement: Node, m: string, trainers: Set<string>): Node {
  for (let s = statement; ; ) {
    const body = s.type === 'if_statement' && !s.childForFieldName('alternative') ? s.childForFieldName('consequence') : s.type === 'with_statement' ? s.childForFieldName('body') : null;
    const last = body
      ? statementsOf(body)
          .filter((c) => {
            const found = examine(c, m, trainers);
            return found.trained || found.saves.length > 0;
          })
          .pop()
      : undefined;
    if (!last) return s;
    s = last;
  }
}

function takes(parts: CallParts, m: string): boolean {
  return [...parts.positional, ...parts.keywords.values()].some((a) => a.type === 'identifier' && a.text === m);
}

/** `m = …` that does not use m (`model = model.to(device)` keeps the model), or `del m`. */
function rebinds(statement: Node, m: string): boolean {
  if (statement.type === 'delete_statement') return references(statement, m);
  const assignment = statement.type === 'expression_statement' ? statement.firstNamedChild : null;
  if (assignment?.type !== 'assignment') return false;
  const left = assignment.childForFieldName('left');
  const right = assignment.childForFieldName('right');
  return left !== null && targets(left).includes(m) && !(right && references(right, m));
}

/** Names an assignment target binds: `a`, `a, (b, c)`, `[a, b]`; not `a.b` or `a[0]`. */
function targets(left: Node): string[] {
  if (left.type === 'identifier') return [left.text];
  if (['pattern_list', 'tuple_pattern', 'list_pattern', 'tuple', 'list', 'parenthesized_expression', 'list_splat_pattern', 'as_pattern_target'].includes(left.type)) return children(left).flatMap(targets);
  return [];
}

/** Names bound in `scope` (not in functions inside it) and the row of their first binding, with the value of a plain `name = value`; not loop variables (unbound if the loop never ran). */
function bindings(scope: Node, untilRow: number): Map<string, { row: number; value?: Node }> {
  const bound = new Map<string, { row: number; value?: Node }>();
  const bind = (name: string, row: number, value?: Node): void => {
    if (!bound.has(name)) bound.set(name, { row, ...(value ? { value } : {}) });
  };
  const body = scope.type === 'module' ? scope : scope.childForFieldName('body');
  if (scope.type === 'function_definition') {
    for (const p of children(scope.childForFieldName('parameters') ?? scope)) {
      const name = p.type === 'identifier' ? p : p.type === 'typed_parameter' ? p.firstNamedChild : p.childForFieldName('name');
      if (name?.type === 'identifier') bind(name.text, -1);
    }
  }
  for (const n of body ? walk(body, untilRow) : []) {
    if (n.type === 'assignment') {
      const left = n.childForFieldName('left');
      const right = n.childForFieldName('right') ?? undefined;
      for (const name of left ? targets(left) : []) bind(name, n.startPosition.row, left?.type === 'identifier' ? right : undefined);
    } else if (n.type === 'as_pattern_target') for (const name of targets(n)) bind(name, n.startPosition.row);
  }
  return bound;
}

/**
 * One example batch for the code at a line of `scope`: a tensor the model is called with there,
 * fit's features, or a DataLoader's first batch, whichever is bound at that line. Found once per
 * plan (a walk of the scope up to the last place), then looked up per place.
 */
function examplesIn(root: Node, scope: Node, site: ModelSite, untilRow: number): (line: number) => string | undefined {
  const local = bindings(scope, untilRow);
  const global = scope.type === 'module' ? undefined : bindings(root, untilRow);
  const boundAt = (name: string, line: number): { value?: Node } | undefined => {
    const b = local.get(name);
    return b && b.row < line ? b : global?.get(name);
  };
  const m = site.model;
  const fitting = site.framework === 'sklearn' || site.framework === 'keras';
  // model(x_val), model(x[idx]) or model.fit(X_train, …): the variables, in the order the scope uses them.
  const inputs = fitting && site.exampleInput ? [site.exampleInput] : [];
  const body = scope.type === 'module' ? scope : scope.childForFieldName('body');
  for (const n of body ? walk(body, untilRow) : []) {
    if (n.type !== 'call') continue;
    const fn = n.childForFieldName('function');
    if (fn?.text !== (fitting ? `${m}.fit` : m)) continue;
    const name = baseName(callParts(n)?.positional[0]);
    if (name) inputs.push(name);
  }
  const loaders = fitting ? [] : [...(global ?? []), ...local].filter(([, b]) => b.value?.type === 'call' && /(^|\.)DataLoader$/.test(b.value.childForFieldName('function')?.text ?? ''));
  return (line) => {
    const input = inputs.find((name) => boundAt(name, line));
    if (input) return `${input}[:1]`;
    const loader = loaders.find(([name]) => boundAt(name, line));
    return loader ? `next(iter(${loader[0]}))[0][:1]` : undefined;
  };
}

/** `x` for `x` or `x[...]`: a variable, not an expression. */
function baseName(node: Node | undefined): string | undefined {
  if (node?.type === 'identifier') return node.text;
  if (node?.type === 'subscript') return baseName(node.childForFieldName('value') ?? undefined);
  return undefined;
}
