/**
 * How long each step of an e2e file takes: printed as the step ends (`[e2e upgrade] 2b. up (V2): 6.1 s`)
 * and once more, all together, when the file is done (`printAll` in afterAll).
 */

export interface StepTimer {
  /** Runs `work`, then records and prints how long it took (also when it fails). */
  <T>(label: string, work: () => Promise<T>): Promise<T>;
  /** Prints every step's time, in order (nothing when no step ran). */
  printAll(): void;
}

/** A timer whose lines start with `[<tag>]`, e.g. `stepTimer("e2e clientSync")`. */
export function stepTimer(tag: string): StepTimer {
  const timings: Array<[string, number]> = [];
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      return await work();
    } finally {
      const ms = Date.now() - started;
      timings.push([label, ms]);
      process.stdout.write(`[${tag}] ${label}: ${seconds(ms)} s\n`);
    }
  }
  return Object.assign(timed, {
    printAll(): void {
      if (timings.length === 0) return;
      process.stdout.write(`[${tag}] timings:\n${timings.map(([label, ms]) => `  ${seconds(ms).padStart(6)} s  ${label}`).join("\n")}\n`);
    },
  });
}
