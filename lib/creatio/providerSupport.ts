/**
 * What the Creatio dynamic providers share around their steps: the administrator's session with a
 * per-call limit, and progress lines through Pulumi's log with every secret redacted. Runs in the
 * dynamic-provider process: the SDK is required inside the function.
 */
import type * as pulumi from "@pulumi/pulumi";
import { redact } from "../redact";
import { connectCreatio, CreatioClient, CreatioCredentials } from "./session";

/** Per-call limit for Creatio's API (the readiness wait has its own, readinessTimeoutSeconds). */
export const CREATIO_CALL_TIMEOUT_MS = 60000;

/** Logs in to Creatio as the resource's administrator. */
export function connectAsAdministrator(i: { readonly creatio: CreatioCredentials }): Promise<CreatioClient> {
  return connectCreatio({ ...i.creatio, timeoutMs: CREATIO_CALL_TIMEOUT_MS });
}

/** A progress line or warning through Pulumi's log (the engine shows it), secrets redacted. */
export function providerLog(level: "info" | "warn", message: string, secrets: readonly string[]): void {
  const sdk: typeof pulumi = require("@pulumi/pulumi");
  void sdk.log[level](redact(message, secrets));
}
