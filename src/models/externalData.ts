import { lstatSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, win32 } from 'node:path';
import { ModelFormatError } from './fileWindow';

// An ONNX tensor's data may live in another file, named by a `location` the model file itself
// gives: a hostile model names `../.env`, `/home/me/.ssh/id_rsa` or a symbolic link, and whatever
// reads it (onnxruntime, Deploy's copy, Optimize's inlining, Python's onnx.load) would read that
// file and write it into a deployment image or an optimized copy. One rule for all of them: the
// file must be inside the model's folder, reached without symbolic links, named without an
// absolute path or "..", "/" and "\" both counting as separators (Windows reads either).

/** The checked file for one `location` of the model at `modelPath`; throws ModelFormatError saying why not. */
export function externalDataFile(modelPath: string, location: string): string {
  const refuse = (why: string): never => {
    throw new ModelFormatError(`external data "${location}" of ${basename(modelPath)} ${why}: only files inside the model's folder are read (no absolute paths, "..", or symbolic links)`);
  };
  if (location === '' || location.includes('\0')) refuse('is not a file name');
  if (isAbsolute(location) || win32.isAbsolute(location) || /^[A-Za-z]:/.test(location)) refuse('is an absolute path');
  const parts = location.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) refuse('climbs out of the folder with ".."');
  if (parts.length === 0) refuse('is not a file name');
  const folder = dirname(modelPath);
  let path = folder;
  for (const part of parts) {
    path = join(path, part);
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (!stat) refuse('is missing');
    else if (stat.isSymbolicLink()) refuse(`goes through a symbolic link (${relative(folder, path)})`);
  }
  if (!lstatSync(path).isFile()) refuse('is not a file');
  // The folder may itself be reached through a link (a workspace on another disk): compare real paths.
  const inside = relative(realpathSync(folder), realpathSync(path));
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) refuse('resolves outside the folder');
  return path;
}

/** externalDataFile for each location; the first refused one throws. */
export function externalDataFiles(modelPath: string, locations: readonly string[] = []): string[] {
  return locations.map((location) => externalDataFile(modelPath, location));
}

/** Each location's file size, null where the file is missing or the rule above refuses it (nothing is read). */
export function externalDataSizes(modelPath: string, locations: readonly string[]): (number | null)[] {
  return locations.map((location) => {
    try {
      return statSync(externalDataFile(modelPath, location)).size;
    } catch {
      return null;
    }
  });
}

/**
 * The same rule in Python, for jobs where Python's onnx reads the model (onnx.load follows every
 * tensor's location, in node attributes and subgraphs too, with only a weak check of its own):
 * `check_external_data(path)` exits with {"error": ...} on the first location it refuses.
 * Needs JOB_PRELUDE (json, os, sys).
 */
export const PYTHON_EXTERNAL_DATA_CHECK = `
def check_external_data(model_path):
    import re
    import onnx
    model = onnx.load(model_path, load_external_data=False)
    folder = os.path.dirname(os.path.abspath(model_path))
    name = os.path.basename(model_path)

    def graph_tensors(graph):
        for t in graph.initializer:
            yield t
        for s in graph.sparse_initializer:
            yield s.values
            yield s.indices
        for node in graph.node:
            yield from node_tensors(node)

    def node_tensors(node):
        for a in node.attribute:
            if a.HasField("t"):
                yield a.t
            yield from a.tensors
            if a.HasField("sparse_tensor"):
                yield a.sparse_tensor.values
                yield a.sparse_tensor.indices
            for s in a.sparse_tensors:
                yield s.values
                yield s.indices
            if a.HasField("g"):
                yield from graph_tensors(a.g)
            for g in a.graphs:
                yield from graph_tensors(g)

    def tensors():
        yield from graph_tensors(model.graph)
        for f in model.functions:
            for node in f.node:
                yield from node_tensors(node)

    def refuse(location, why):
        print(json.dumps({"error": "external data \\"%s\\" of %s %s: only files inside the model's folder are read (no absolute paths, \\"..\\", or symbolic links)" % (location, name, why)}))
        sys.exit(0)

    for t in tensors():
        if t.data_location != onnx.TensorProto.EXTERNAL and not len(t.external_data):
            continue
        location = next((e.value for e in t.external_data if e.key == "location"), "")
        if location == "" or "\\0" in location:
            refuse(location, "is not a file name")
        if os.path.isabs(location) or location[:1] in ("/", "\\\\") or re.match(r"^[A-Za-z]:", location):
            refuse(location, "is an absolute path")
        parts = [p for p in re.split(r"[\\\\/]+", location) if p not in ("", ".")]
        if ".." in parts:
            refuse(location, "climbs out of the folder with \\"..\\"")
        path = folder
        for part in parts:
            path = os.path.join(path, part)
            if os.path.islink(path):
                refuse(location, "goes through a symbolic link (%s)" % os.path.relpath(path, folder))
            if not os.path.lexists(path):
                refuse(location, "is missing")
        real = os.path.relpath(os.path.realpath(path), os.path.realpath(folder))
        if real == "." or real.startswith("..") or os.path.isabs(real):
            refuse(location, "resolves outside the folder")
`;
