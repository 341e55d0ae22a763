// Two projects: fast unit tests beside the code, and end-to-end suites under test/ that run the
// real pipeline (Kafka broker, router process, provider-sim). SWC transpiles (with decorator
// metadata for NestJS); type checking is `npm run typecheck`, run by `npm test`.
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2023',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
    module: { type: 'commonjs' },
  },
];
const moduleNameMapper = {
  '^@switchyard/core$': '<rootDir>/libs/core/src/index.ts',
  '^@switchyard/core/(.*)$': '<rootDir>/libs/core/src/$1',
  '^@switchyard/contracts$': '<rootDir>/libs/contracts/src/index.ts',
  '^@switchyard/providers$': '<rootDir>/libs/providers/src/index.ts',
  '^@switchyard/telemetry$': '<rootDir>/libs/telemetry/src/index.ts',
};
const common = { transform: { '^.+\\.ts$': swc }, moduleNameMapper, testEnvironment: 'node' };

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts', '<rootDir>/bench/**/*.spec.ts', '<rootDir>/scripts/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/timeouts.ts'],
    },
  ],
};
