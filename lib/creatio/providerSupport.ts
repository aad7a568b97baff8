/**
 * What the Creatio dynamic providers share around their steps: the administrator's session with a
 * per-call limit, and progress lines (lib/providerLog.ts: the provider's stderr, which the engine
 * shows) with every secret redacted. Runs in the dynamic-provider process.
 */
import { connectCreatio, CreatioClient, CreatioCredentials } from "./session";

export { providerLog } from "../providerLog";

/** What a step did, and its error when it failed: the provider undoes or records what `did` says. */
export interface StepResult<T> {
  readonly did: T;
  readonly error?: Error;
}

/** Per-call limit for Creatio's API (the readiness wait has its own, readinessTimeoutSeconds). */
export const CREATIO_CALL_TIMEOUT_MS = 60000;

/** Logs in to Creatio as the resource's administrator. */
export function connectAsAdministrator(i: { readonly creatio: CreatioCredentials }): Promise<CreatioClient> {
  return connectCreatio({ ...i.creatio, timeoutMs: CREATIO_CALL_TIMEOUT_MS });
}
