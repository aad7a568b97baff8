/**
 * Runs a test step with the package's waits skipping ahead instead of sleeping: lib/clock.ts's
 * systemClock is replaced, for the step only, by a clock that moves forward by each sleep at once
 * (and by real time in between). For steps that check a give-up (a service that never gets ready,
 * a container that stays unhealthy): the wait still runs its attempts, requests and deadline, in
 * milliseconds. Not for steps that wait for something to happen after real time has passed.
 */
import * as clock from "../../lib/clock";

export async function withSkippedWaits<T>(step: () => Promise<T>): Promise<{ result: T; skippedMs: number }> {
  let skippedMs = 0;
  const replaced = jest.replaceProperty(clock, "systemClock", {
    now: () => Date.now() + skippedMs,
    sleep: async (ms: number) => {
      skippedMs += ms;
      // Let the other side (stand-ins, sockets) run between attempts.
      await new Promise((resolve) => setImmediate(resolve));
    },
  });
  try {
    return { result: await step(), skippedMs };
  } finally {
    replaced.restore();
  }
}
