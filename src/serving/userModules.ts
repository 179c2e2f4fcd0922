import { pythonString } from '../models/deploy/pythonText';

/**
 * The Python text of the apps that unpickle a model (scikit-learn, a pickled nn.Module): where the
 * model file is, and `_user_modules()`, which puts MODEL_CODE_DIR (the workspace root: the app
 * folder is deploy/<name>/) on sys.path while the pickle loads, and only then, so the user's own
 * classes import and nothing else of the workspace shadows a package afterwards. A module found
 * nowhere is named as such (serverErrors.ts gives a pip line only for known packages).
 */
export function modelPathText(modelFile: string): string {
  return `HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_PATH = os.environ.get("MODEL_PATH", os.path.join(HERE, "model", ${pythonString(modelFile)}))
MODEL_CODE_DIR = os.environ.get("MODEL_CODE_DIR", os.path.dirname(os.path.dirname(HERE)))


@contextlib.contextmanager
def _user_modules():
    sys.path.append(MODEL_CODE_DIR)
    try:
        yield
    except ModuleNotFoundError as error:
        top = (error.name or "").split(".")[0]
        if not top or os.path.exists(os.path.join(MODEL_CODE_DIR, top + ".py")) or os.path.isdir(os.path.join(MODEL_CODE_DIR, top)):
            raise
        # Said in words, not as "No module named": a module of the user's is no PyPI package to install.
        raise RuntimeError("cannot load %s: loading it needs the module %s, which is neither installed nor under MODEL_CODE_DIR (%s): move the module there or set MODEL_CODE_DIR to its folder, or install it if it is a package" % (MODEL_PATH, top, MODEL_CODE_DIR)) from None
    finally:
        sys.path.remove(MODEL_CODE_DIR)
`;
}
