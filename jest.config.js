/** Unit and integration tests: `npm test`. The real-engine e2e suite lives in e2e/ and has its own config. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": "ts-jest" },
  // One real PostgreSQL server for the whole run; each suite makes its own database on it.
  globalSetup: "<rootDir>/test/support/globalSetup.mjs",
  globalTeardown: "<rootDir>/test/support/globalTeardown.mjs",
  testTimeout: 60000,
};
