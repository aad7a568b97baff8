/** Unit and integration tests: `npm test`. The real-engine e2e suite lives in e2e/ and has its own config. */
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
  },
  runtime: "<rootDir>/test/support/scriptCacheRuntime.js",
  setupFilesAfterEnv: ["<rootDir>/test/support/setupStackTraces.ts"],
  // Jest's default on 2 cores is one worker. The tests wait on PostgreSQL, HTTP stand-ins and child
  // processes often enough that more workers than cores keep the cores busy: on 2 cores, three
  // workers took 67-78 s (69 s median of three runs) where two took 74-80 s.
  maxWorkers: "150%",
  testTimeout: 60000,
};
