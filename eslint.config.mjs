// Typed lint: promises must be handled, switches over unions must be exhaustive, and libs/core
// stays framework-free (docs/architecture.md: core imports nothing).
import tseslint from 'typescript-eslint';

const frameworkImports = {
  patterns: [
    { group: ['@nestjs/*'], message: 'libs/core is framework-free: no NestJS.' },
    { group: ['kafkajs', 'kafkajs/*'], message: 'libs/core is framework-free: no Kafka client.' },
    { group: ['@opentelemetry/*'], message: 'libs/core emits RouterEvents; telemetry subscribes.' },
    { group: ['openai', 'openai/*', '@anthropic-ai/*'], message: 'Provider SDKs live in libs/providers.' },
    { group: ['ioredis', 'express', 'prom-client'], message: 'libs/core depends on ports only.' },
    { group: ['@switchyard/*'], message: 'libs/core depends on nothing else in the repo.' },
  ],
};

const schedule = 'libs/core schedules through the Clock port (clock.sleep, or a timer driven by the Clock).';
const readTime = 'libs/core reads time from the Clock port (clock.now()).';
const coreTimers = [...['setTimeout', 'setInterval', 'setImmediate'].map((name) => ({ name, message: schedule })), { name: 'performance', message: readTime }];
const coreClockProperties = [
  { object: 'Math', property: 'random', message: 'Inject Random.' },
  { object: 'Date', property: 'now', message: readTime },
  { object: 'performance', property: 'now', message: readTime },
  ...coreTimers.map(({ name, message }) => ({ object: 'globalThis', property: name, message })),
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['libs/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', frameworkImports],
    },
  },
  {
    // Core reads time and randomness through the Clock and Random ports only, so tests and the
    // policy benchmark can run it on a virtual clock with seeded draws. Tests and testing helpers
    // drive those ports and may use the real ones.
    files: ['libs/core/src/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/spec-support.ts', 'libs/core/src/testing/**', 'libs/core/src/**/testing/**'],
    rules: {
      'no-restricted-globals': ['error', ...coreTimers],
      'no-restricted-properties': ['error', ...coreClockProperties],
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'new Date() reads the wall clock: inject Clock and pass clock.now().' },
        { selector: "CallExpression[callee.name='Date']", message: 'Date() reads the wall clock: inject Clock.' },
      ],
    },
  },
  {
    // Libraries emit through the OpenTelemetry API only; the SDK belongs to the application.
    files: ['libs/**/*.ts'],
    ignores: ['libs/core/**/*.ts', '**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@opentelemetry/sdk-*', '@opentelemetry/exporter-*'], message: 'libs use @opentelemetry/api only; start the SDK in apps/router.' }] },
      ],
    },
  },
);
