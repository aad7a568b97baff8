// `npm test`: the type check (`tsc --noEmit -p .`, the whole package) and the tests (jest) side by
// side; it fails when either fails. Run one after the other, the type check's 4-5 s (2 cores) came
// on top of jest's run, while jest leaves a core idle as it starts (PostgreSQL's initdb) and at its
// end. The type check's output is held back and printed after jest's, so the two never interleave.
// Arguments go to jest: `npm test -- test/pfx.test.ts`.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** Runs a package's CLI with this Node; resolves to its exit code and, when `capture`, its output. */
function run(cli, args, capture) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [require.resolve(cli), ...args], { stdio: capture ? ["ignore", "pipe", "pipe"] : "inherit" });
    let output = "";
    if (capture) {
      child.stdout.on("data", (d) => (output += d));
      child.stderr.on("data", (d) => (output += d));
    }
    child.on("error", (e) => resolve({ code: 1, output: `${output}${e.message}\n`, seconds: 0 }));
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output, seconds: (Date.now() - started) / 1000 }));
  });
}

const typeCheck = run("typescript/bin/tsc", ["--noEmit", "-p", "."], true);
const tests = await run("jest/bin/jest", process.argv.slice(2), false);
const types = await typeCheck;
if (types.code === 0) {
  process.stdout.write(`Type check (tsc --noEmit -p .): no errors, ${types.seconds.toFixed(1)} s\n`);
} else {
  process.stdout.write(`${types.output}Type check (tsc --noEmit -p .) FAILED (exit code ${types.code})\n`);
}
process.exit(tests.code !== 0 ? tests.code : types.code);
