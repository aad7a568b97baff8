/**
 * The real-engine e2e suite: `npm run test:e2e`. Same TypeScript transform and the same one
 * PostgreSQL server per run as the unit tests (jest.config.js); the suite skips, saying why, when
 * scripts/install-pulumi-from-source.sh has not built the Pulumi CLI.
 */
module.exports = {
  rootDir: "..",
  testEnvironment: "node",
  roots: ["<rootDir>/e2e"],
  testMatch: ["**/*.e2e.test.ts"],
  transform: { "^.+\\.ts$": "ts-jest" },
  globalSetup: "<rootDir>/test/support/globalSetup.mjs",
  globalTeardown: "<rootDir>/test/support/globalTeardown.mjs",
  // Each step is bounded on its own (an engine operation by an AbortSignal, waits by their
  // timeouts); this only catches a hang. The whole run takes about 4 minutes on 2 cores.
  testTimeout: 10 * 60 * 1000,
  verbose: true,
  // One engine at a time: each e2e file runs its own stack, and two engines on 2 cores only slow each other.
  maxWorkers: 1,
};
