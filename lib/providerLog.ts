/**
 * How the dynamic providers tell the user something: a line on the provider process's stderr. The
 * engine reads a plugin's stderr and shows every line in the output of `preview`, `up`, `refresh`
 * and `destroy` (as diagnostics of the stack). `pulumi.log` is not reliable there: in the
 * dynamic-provider process its messages reached the engine's output from a create but not from a
 * delete (e2e/engine.e2e.test.ts checks both). Warnings start with `warning:`; every secret given
 * is redacted. Runs in the dynamic-provider process.
 */
import { redact } from "./redact";

export function providerLog(level: "info" | "warn", message: string, secrets: readonly string[] = []): void {
  console.error(`${level === "warn" ? "warning: " : ""}${redact(message, secrets)}`);
}
