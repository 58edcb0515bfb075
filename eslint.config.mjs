// ESLint flat config: typescript-eslint's recommended rules, plus the layer boundaries of docs/design.md.
// Arrows point one way: api -> services -> db; worker -> services, db; deploy reads only the ecosystem
// file. An import that points back up fails `npm run lint`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** `no-restricted-imports` patterns: relative imports (any depth) that reach `dirs` under src/. */
function forbid(dirs, message) {
  return dirs.map((dir) => ({ regex: `^(\\./|(\\.\\./)+)(src/)?${dir}(/|$)`, message }));
}

const ENTRY_POINTS = ['bootstrap', 'lifecycle', 'server', 'worker\\.ts', 'standalone', 'metrics'];

function boundary(files, patterns) {
  return { files, rules: { 'no-restricted-imports': ['error', { patterns }] } };
}

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', 'node_modules/**', 'data/**', 'bench/results/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // `typeof import('x')` types a module that is required lazily on purpose.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      'no-constant-condition': ['error', { checkLoops: false }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    // The service logs through Bunyan (src/log.ts). Tests and tools may print (measurements for CI).
    files: ['src/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    languageOptions: { globals: { ...globals.node, ...globals.mocha } },
    // Tests and the benchmark read arbitrary JSON bodies and reports: `any` is the honest type there.
    rules: { '@typescript-eslint/no-unused-expressions': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
  // Layer boundaries (docs/design.md "Layers").
  boundary(
    ['src/api/**/*.ts'],
    [
      ...forbid(['db/queries'], 'The API reaches the database only through src/services: add a service method.'),
      ...forbid(['worker'], 'The API must not import the worker (src/worker): go through src/services.'),
    ],
  ),
  boundary(
    ['src/services/**/*.ts'],
    [
      ...forbid(['api'], 'Services take typed input and know nothing of HTTP or microversions: parse in src/api, pass plain values.'),
      ...forbid(['worker'], 'Services must not import the worker: put the contract in src/services (operation-payloads.ts) and let the worker import it.'),
      ...forbid(ENTRY_POINTS, 'Services must not import entry points or wiring.'),
    ],
  ),
  boundary(
    ['src/worker/**/*.ts'],
    [...forbid(['api'], 'The worker must not import the API layer.'), ...forbid(ENTRY_POINTS, 'The worker must not import entry points or wiring.')],
  ),
  boundary(
    ['src/db/**/*.ts'],
    [...forbid(['api', 'services', 'worker', ...ENTRY_POINTS], 'src/db is the bottom layer: it must not import anything above it.')],
  ),
  boundary(
    ['src/errors.ts', 'src/config.ts', 'src/log.ts', 'src/context.ts'],
    [...forbid(['api', 'services', 'worker', 'db', ...ENTRY_POINTS], 'Foundation modules (errors, config, log, context) import nothing above them.')],
  ),
  boundary(['deploy/**/*.ts'], [...forbid(['src'], 'deploy/ reads only the ecosystem file (deploy/lib/ecosystem.ts), never the service code.')]),
);
