import { pythonString } from '../models/deploy/pythonText';

/**
 * The Python text of the apps that unpickle a model (scikit-learn, a pickled nn.Module): where the
 * model file is, and `_user_modules()`, which puts MODEL_CODE_DIR (the workspace root: the app
 * folder is deploy/<name>/) on sys.path while the pickle loads, and only then, so the user's own
 * classes import and nothing else of the workspace shadows a package afterwards.
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
    finally:
        sys.path.remove(MODEL_CODE_DIR)
`;
}
