// Lint: typescript-eslint's type-aware recommended rules, plus the habits from docs/architecture.md.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const NAMED_EXPORTS = { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' };
// Ids VS Code, package.json or stored data know us by are declared once in src/commandIds.ts;
// tests and package.json spell them out, as they must.
const DECLARED_IDS = 'Use the id declared in src/commandIds.ts (COMMANDS, VIEWS, CONTEXT_KEYS, SETTINGS, STORAGE_KEYS ...), or declare it there.';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.vscode-test/**', 'test-results/**', 'bench/results/**', '.scratch/**', 'examples/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // A forgotten promise in an extension host is a silent failure.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', NAMED_EXPORTS],
      eqeqeq: ['error', 'smart'],
      // `import vscode = require('vscode')` on the activation path: `import * as` makes the bundle
      // copy the whole API object into a namespace per importing file (esbuild's __toESM), ~1 ms each.
      '@typescript-eslint/no-require-imports': ['error', { allow: ['^vscode$'] }],
    },
  },
  {
    files: ['src/**/*.ts', 'media/**/*.ts'],
    ignores: ['src/commandIds.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        NAMED_EXPORTS,
        { selector: 'Literal[value=/^mlEngineer\\./]', message: DECLARED_IDS },
        { selector: 'TemplateLiteral > TemplateElement:first-child[value.raw=/^mlEngineer\\./]', message: DECLARED_IDS },
      ],
    },
  },
  {
    // Plain JavaScript (build scripts, the benchmark's baseline extension): no type information.
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
    rules: { ...tseslint.configs.disableTypeChecked.rules, 'no-restricted-syntax': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['media/**/*.ts'],
    languageOptions: { parserOptions: { project: ['media/tsconfig.json'], projectService: false } },
  },
);
