import { pythonString } from '../models/deploy/pythonText';

/** The environment variable naming the workspace modules the user approved, with their sha256 (approvedModulesEnv). */
export const APPROVED_MODULES_ENV = 'MODEL_CODE_APPROVED';

/**
 * The Python text of the apps that unpickle a model (scikit-learn, a pickled nn.Module): where the
 * model file is, and `_user_modules()`, which puts MODEL_CODE_DIR (the workspace root: the app
 * folder is deploy/<name>/) on sys.path while the pickle loads, and only then, so the user's own
 * classes import and nothing else of the workspace shadows a package afterwards. Appended last, the
 * root never shadows an installed module; so the modules the user approved (MODEL_CODE_APPROVED,
 * set by the extension) are run by a finder ahead of sys.path instead, each from its approved file
 * and only with its approved sha256, so an installed package of the same name cannot stand in for
 * approved code, nor an edited file run unasked; a workspace module the approval does not hold
 * (imported by a name built at run time) is refused, not run from sys.path. No workspace file
 * replaces the standard library or a module already imported. A module found nowhere is named as
 * such (serverErrors.ts gives a pip line only for known packages).
 */
export function modelPathText(modelFile: string): string {
  return `HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_PATH = os.environ.get("MODEL_PATH", os.path.join(HERE, "model", ${pythonString(modelFile)}))
MODEL_CODE_DIR = os.environ.get("MODEL_CODE_DIR", os.path.dirname(os.path.dirname(HERE)))


class _ApprovedModules:
    """A meta path finder and loader for the approved workspace modules: {"root", "modules": {name: [file, sha256]}}."""

    def __init__(self, approved):
        import importlib.machinery, importlib.util
        self._machinery, self._util = importlib.machinery, importlib.util
        self.root, self.modules = approved["root"], approved["modules"]
        self.never = set(getattr(sys, "stdlib_module_names", ())) | set(sys.builtin_module_names) | set(sys.modules)
        self.tops = {name.split(".")[0] for name in self.modules} - self.never

    def _installed(self, top):
        others = [p for p in sys.path if os.path.abspath(p) != os.path.abspath(MODEL_CODE_DIR)]
        return self._machinery.PathFinder.find_spec(top, others) is not None

    def _source(self, name):
        import hashlib
        path, digest = self.modules[name]
        try:
            with open(path, "rb") as f:
                source = f.read()
        except OSError as error:
            raise RuntimeError("cannot load %s: the workspace module %s that was approved to serve it cannot be read (%s): serve the model again" % (MODEL_PATH, path, error)) from None
        if hashlib.sha256(source).hexdigest() != digest:
            raise RuntimeError("cannot load %s: the workspace module %s changed after it was approved to serve it, so it is not run: serve the model again to approve it as it is now" % (MODEL_PATH, path))
        return source

    def check(self):
        for name in self.modules:
            if name.split(".")[0] in self.tops:
                self._source(name)

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.split(".")[0]
        if top not in self.tops:
            # Any other module of the workspace the model's code imports (one its files name only at run time) is not run unasked.
            workspace = os.path.exists(os.path.join(MODEL_CODE_DIR, top + ".py")) or os.path.isdir(os.path.join(MODEL_CODE_DIR, top))
            if fullname == top and top not in self.never and workspace and not self._installed(top):
                raise ImportError("cannot load %s: it imports the workspace module %s, which the approval to serve it did not cover (added since, or imported by a name built at run time?): serve the model again, importing it with an import statement" % (MODEL_PATH, top), name=fullname)
            return None
        if fullname in self.modules:
            file = self.modules[fullname][0]
            package = [os.path.dirname(file)] if os.path.basename(file) == "__init__.py" else None
            return self._util.spec_from_file_location(fullname, file, loader=self, submodule_search_locations=package)
        if any(name.startswith(fullname + ".") for name in self.modules):
            # A folder without __init__.py: a namespace package, which any installed module of its name wins over.
            if fullname == top and self._installed(top):
                self.tops.discard(top)
                return None
            spec = self._machinery.ModuleSpec(fullname, None, is_package=True)
            spec.submodule_search_locations = [os.path.join(self.root, *fullname.split("."))]
            return spec
        raise ImportError("cannot load %s: it imports %s from the workspace, which the approval to serve it did not cover (a file added since?): serve the model again" % (MODEL_PATH, fullname), name=fullname)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        # The bytes hashed are the bytes run (no __pycache__), so nothing changed in between runs.
        name = module.__spec__.name
        exec(compile(self._source(name), self.modules[name][0], "exec", dont_inherit=True), module.__dict__)


@contextlib.contextmanager
def _user_modules():
    approved = os.environ.get("${APPROVED_MODULES_ENV}")
    finder = _ApprovedModules(__import__("json").loads(approved)) if approved else None
    if finder:
        finder.check()
        sys.meta_path.insert(0, finder)
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
        if finder:
            sys.meta_path.remove(finder)
`;
}
