import { join } from 'node:path';
import { Language, Parser, type Tree } from '@vscode/tree-sitter-wasm';

// Python parsed by tree-sitter's Python grammar in WebAssembly (@vscode/tree-sitter-wasm: the
// runtime and grammar VS Code itself ships, prebuilt, no install scripts): a concrete syntax tree
// with error recovery, so a file mid-edit still has its blocks. Code actions ask for a tree on
// cursor moves, so a tree is parsed once per document version and the last few are kept.

/** Files longer than this are not parsed (a code action is not worth a long parse). */
const MAX_CHARS = 2_000_000;
/** A parse that runs longer than this gives up (a pathological file; about 40 ms per 3,600 lines here). */
const PARSE_BUDGET_MS = 1_000;
const KEPT_TREES = 4;

let loading: Promise<Language> | undefined;

/** Loads the runtime and the grammar once per process, from `wasmDir` (tree-sitter.wasm, tree-sitter-python.wasm). */
function loadPython(wasmDir: string): Promise<Language> {
  loading ??= Parser.init({ locateFile: (file) => join(wasmDir, file) }).then(() => Language.load(join(wasmDir, 'tree-sitter-python.wasm')));
  // A failed load (a missing file) is retried on the next call rather than remembered.
  loading.catch(() => (loading = undefined));
  return loading;
}

export class PythonSyntax {
  private readonly trees = new Map<string, { version: number; tree: Tree }>();

  private constructor(private readonly parser: Parser) {}

  static async load(wasmDir: string): Promise<PythonSyntax> {
    const language = await loadPython(wasmDir);
    return new PythonSyntax(new Parser().setLanguage(language));
  }

  /**
   * The tree of a document's text at `version`, parsed on the first call for that version and
   * kept (with the last few documents'); undefined for a file too long to parse in the budget.
   * The tree belongs to this cache: use it before the next call, never delete it.
   */
  tree(key: string, version: number, text: string): Tree | undefined {
    const kept = this.trees.get(key);
    if (kept?.version === version) {
      // Most recently used last, so the oldest is dropped first.
      this.trees.delete(key);
      this.trees.set(key, kept);
      return kept.tree;
    }
    this.forget(key);
    if (text.length > MAX_CHARS) return undefined;
    const deadline = performance.now() + PARSE_BUDGET_MS;
    const tree = this.parser.parse(text, null, { progressCallback: () => performance.now() > deadline });
    this.parser.reset();
    if (!tree) return undefined;
    this.trees.set(key, { version, tree });
    for (const [oldest] of this.trees) {
      if (this.trees.size <= KEPT_TREES) break;
      this.forget(oldest);
    }
    return tree;
  }

  /** Drops a document's tree (closed, or replaced). */
  forget(key: string): void {
    this.trees.get(key)?.tree.delete();
    this.trees.delete(key);
  }

  dispose(): void {
    for (const key of [...this.trees.keys()]) this.forget(key);
    this.parser.delete();
  }
}
