// Entry of dist/lazy/codeActions.js: the Python parser (tree-sitter in WebAssembly; scripts/build.mjs
// copies its two .wasm files beside this bundle) and where the code actions put their code. Required
// the first time the cursor rests on a model's line in a Python file; never at activation.
export { PythonSyntax } from '../codeActions/pythonSyntax';
export { planModelCode } from '../codeActions/trainingPlacement';
