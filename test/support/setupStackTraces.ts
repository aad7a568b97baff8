/**
 * Cheaper stack traces for @pulumi/pulumi's promise bookkeeping, the same traces for everything else.
 *
 * @pulumi/pulumi records a stack trace for every promise it creates (debuggablePromise), and under
 * jest every trace goes through source-map-support, which maps each frame back to TypeScript. In a
 * mock program run that was a tenth of the CPU time of `npm test`. The SDK prints those traces only
 * in its promise-leak report with PULUMI_DEBUG_PROMISE_LEAKS set, so they are left out unless it is
 * set, and then formatted the way Node does without source maps; any other error keeps jest's
 * mapped trace. Node's default depth (10 frames) replaces the 100 jest sets; jest raises it itself
 * for its assertion errors.
 *
 * A setupFilesAfterEnv file: jest installs source-map-support after setupFiles, so this runs later.
 */
Error.stackTraceLimit = 10;

const mapped = Error.prepareStackTrace?.bind(Error);
if (mapped) {
  Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]) => {
    const origin = frames[0]?.getFileName() ?? "";
    if (origin.endsWith("/@pulumi/pulumi/runtime/debuggable.js")) {
      if (!process.env.PULUMI_DEBUG_PROMISE_LEAKS) return `${String(error)} (stack left out: set PULUMI_DEBUG_PROMISE_LEAKS to keep it)`;
      return `${String(error)}\n${frames.map((f) => `    at ${f.getFunctionName() ?? "<anonymous>"} (${f.getFileName()}:${f.getLineNumber()}:${f.getColumnNumber()})`).join("\n")}`;
    }
    return mapped(error, frames);
  };
}
