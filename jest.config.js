/** Unit and integration tests: `npm test`. The real-engine e2e suite lives in e2e/ and has its own config. */
const { availableParallelism } = require("node:os");

module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": "ts-jest" },
  // One real PostgreSQL server for the whole run; each suite makes its own database on it.
  globalSetup: "<rootDir>/test/support/globalSetup.mjs",
  globalTeardown: "<rootDir>/test/support/globalTeardown.mjs",
  // Modules @pulumi/pulumi loads eagerly and these tests never use, loaded on first use instead:
  // see test/support/lazy/lazyModule.js.
  moduleNameMapper: {
    "^@npmcli/arborist$": "<rootDir>/test/support/lazy/arborist.js",
    "^normalize-package-data$": "<rootDir>/test/support/lazy/normalizePackageData.js",
    "^typescript$": "<rootDir>/test/support/lazy/typescript.js",
  },
  runtime: "<rootDir>/test/support/scriptCacheRuntime.js",
  setupFilesAfterEnv: ["<rootDir>/test/support/setupStackTraces.ts"],
  // One and a half workers per core (3 on 2 cores; jest's default there is 1). The tests wait on
  // PostgreSQL, HTTP stand-ins and child processes (the policy pack, serialized providers) for about
  // half of each worker's time, so one worker per core leaves the cores idle: on 2 cores, 3 workers
  // took 33-37 s where 2 took 36-43 s, and still won with another process competing for the CPU.
  // A number, not "150%": jest reads a percentage over 100 as that many workers (150).
  maxWorkers: Math.round(availableParallelism() * 1.5),
  testTimeout: 60000,
};
