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
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Inject Random.' },
        { object: 'Date', property: 'now', message: 'Inject Clock.' },
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
