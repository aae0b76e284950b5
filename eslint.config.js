// eslint (flat config): eslint's and typescript-eslint's recommended rules, type-aware for TypeScript
// (each file is checked with the tsconfig.json nearest to it), tuned to what this codebase does on purpose.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/', '**/node_modules/', 'benchmarks/results/', 'benchmarks/tmp/'] },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // tsc reports unused locals and parameters (noUnusedLocals, noUnusedParameters).
      '@typescript-eslint/no-unused-vars': 'off',
      // `x[i]!` marks an index known to be in range; written on purpose, checked or not.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // Methods are taken off objects as closures by design (test helpers; observer hooks are called with .call).
      '@typescript-eslint/unbound-method': 'off',
      // `any` appears only where a generic slot really takes anything (WebSocketBehavior<any>).
      '@typescript-eslint/no-explicit-any': 'off',
      // `Object.create(null)` (typed any) makes the prototype-free records that hold request data.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      // Error messages stringify unknown values on purpose (`String(value)`); templates are still checked below.
      '@typescript-eslint/no-base-to-string': 'off',
      // An async function without await is a handler's shape: it returns a promise and its throws reject it.
      '@typescript-eslint/require-await': 'off',
      // Walking a chain from `this` (`let task: Task = this`) is not the callback aliasing this rule is for.
      '@typescript-eslint/no-this-alias': 'off',
      // A caught or stored failure is passed on as it came.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // `let timer;` read by a closure before its one assignment cannot be const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // Tests read JSON and loosely typed fixtures; brevity wins there.
    files: ['packages/*/test/**/*.ts', 'examples/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/restrict-plus-operands': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
  },
  {
    // Pages the browser tests serve: they run in Chromium, not in Node.
    files: ['packages/*/test/fixtures/site/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
);
