import { UserError } from '../common/errors';

// Why a served app stopped before it answered, in words, from what Python and uvicorn printed.

/** pip's name for a module an app imports, where they differ. */
const PIP_NAMES: Readonly<Record<string, string>> = { sklearn: 'scikit-learn', yaml: 'pyyaml', PIL: 'pillow', cv2: 'opencv-python' };

/** Modules of packages the generated apps and common pickles import: a pickle's missing module gets a pip line only for these. */
const KNOWN_PACKAGES: ReadonlySet<string> = new Set([...Object.keys(PIP_NAMES), 'fastapi', 'uvicorn', 'pydantic', 'starlette', 'joblib', 'numpy', 'pandas', 'scipy',
  'torch', 'torchvision', 'onnx', 'onnxruntime', 'xgboost', 'lightgbm', 'catboost', 'statsmodels', 'transformers', 'tritonclient', 'pyarrow', 'skl2onnx', 'cloudpickle', 'dill']);

export function installLine(python: string, modules: readonly string[]): string {
  const quoted = /\s/.test(python) ? `"${python}"` : python;
  return `${quoted} -m pip install ${modules.map((m) => PIP_NAMES[m] ?? m).join(' ')}`;
}

export function serverFailure(options: { python: string; appDir: string; module: string }, port: number, output: string, spawnError?: string): UserError {
  if (spawnError) return new UserError(`Python could not be started to serve ${options.appDir}: ${spawnError}. Set mlEngineer.python.path.`);
  const nowhere = /RuntimeError: cannot load .*?: loading it needs the module (\w+), which is neither installed nor under MODEL_CODE_DIR \(([^)\n]*)\)/.exec(output);
  const missing = nowhere?.[1] ?? /No module named '([^'.]+)/.exec(output)?.[1];
  if (missing && missing !== options.module) {
    // An app's own import (or a known package) gets pip's line, as Python's advice would; a module the
    // pickle names that is neither installed nor under the workspace root is likely the user's own.
    if (!nowhere || KNOWN_PACKAGES.has(missing)) {
      return new UserError(`The app needs the Python package "${missing}", which ${options.python} does not have. Install it with:\n${installLine(options.python, [missing])}`);
    }
    // Likely a module of the user's in another folder: a pip line could install an unrelated package of that name.
    const root = nowhere ? ` (${nowhere[2]})` : '';
    return new UserError(`The app needs the Python module "${missing}", which is neither under the workspace root${root} nor installed in ${options.python}. If it is your own module, put ${missing}.py at the workspace root (or set MODEL_CODE_DIR to its folder) and serve again; if it is a package, install it.`);
  }
  if (/address already in use|Errno 98|Errno 48|WinError 10048/i.test(output)) {
    return new UserError(`Port ${port} on 127.0.0.1 is in use by another program: stop it, or set mlEngineer.serving.port to 0 (any free port).`);
  }
  if (/Could not import module|Attribute "app" not found/.test(output)) {
    return new UserError(`uvicorn could not find the app: ${options.module}.py in ${options.appDir} must define \`app = FastAPI(...)\`.`);
  }
  const lines = output.trim().split('\n').filter((l) => l.trim());
  const error = [...lines].reverse().find((l) => /^\w+(\.\w+)*(Error|Exception)\b/.test(l.trim())) ?? lines.at(-1) ?? 'no output';
  return new UserError(`The app in ${options.appDir} stopped before it answered: ${error.trim()}`);
}
