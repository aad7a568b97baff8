/**
 * Time as the package's waits see it: the Identity Service readiness wait and the container health
 * wait read `systemClock` when they start, so tests that check a give-up can skip the waiting
 * instead of sleeping through it (test/support/skippedWaits.ts replaces this export).
 *
 * Runs inside dynamic providers after closure serialization: no state besides this one object.
 */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
