/**
 * Cheaper stack traces for @pulumi/pulumi's own bookkeeping, the same traces for everything else.
 *
 * Under jest every trace goes through source-map-support, which maps each frame back to its source
 * (reading and parsing the source maps of the SDK's own files too). The SDK takes two traces that
 * no test reads, and they were a large part of the CPU time of `npm test`:
 * - debuggablePromise records one for every promise it creates. The SDK prints them only in its
 *   promise-leak report with PULUMI_DEBUG_PROMISE_LEAKS set, so they are left out unless it is set.
 * - Resource.callsites takes a trace of unlimited depth in every resource's constructor, for the
 *   source position it sends the engine (which the mocks ignore). It gets the trace as Node prints
 *   it without source maps: the same frames, positions in the code jest runs.
 * Any other error keeps jest's mapped trace. Node's default depth (10 frames) replaces the 100 jest
 * sets; jest raises it itself for its assertion errors.
 *
 * A setupFilesAfterEnv file: jest installs source-map-support after setupFiles, so this runs later.
 */
Error.stackTraceLimit = 10;

/** A trace as Node formats it without source maps (V8's CallSite#toString, which @types/node leaves out). */
function unmapped(error: Error, frames: NodeJS.CallSite[]): string {
  return `${String(error)}${frames.map((frame) => `\n    at ${(frame as { toString(): string }).toString()}`).join("")}`;
}

const mapped = Error.prepareStackTrace?.bind(Error);
if (mapped) {
  Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]) => {
    const origin = frames[0]?.getFileName() ?? "";
    if (origin.endsWith("/@pulumi/pulumi/runtime/debuggable.js")) {
      if (!process.env.PULUMI_DEBUG_PROMISE_LEAKS) return `${String(error)} (stack left out: set PULUMI_DEBUG_PROMISE_LEAKS to keep it)`;
      return unmapped(error, frames);
    }
    if (origin.endsWith("/@pulumi/pulumi/resource.js") && frames[0].getFunctionName() === "callsites") return unmapped(error, frames);
    return mapped(error, frames);
  };
}
