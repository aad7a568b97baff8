/**
 * Node's default stack depth (10 frames) instead of the 100 jest's environment sets.
 *
 * @pulumi/pulumi records a stack trace for every promise it creates (debuggablePromise, for its
 * leak report), and under jest each trace is source-mapped frame by frame: at 100 frames that was
 * a quarter of a mock program run's time. Failures still show where they happened; jest raises the
 * limit itself for the stacks of its own assertion errors.
 */
Error.stackTraceLimit = 10;
