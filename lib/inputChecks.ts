/**
 * Input checks shared by the dynamic providers' `check` (Pulumi check failures that name the
 * property and the fix, never a value). Unknown values (preview) pass unchecked.
 */
import { DEFAULTS } from "./defaults";
import { httpUrlProblem } from "./validators";
import { isUnknownValue } from "./unknownValues";

export interface CheckFailure {
  readonly property: string;
  readonly reason: string;
}

/** Whether a value is Pulumi's placeholder for "not known until the resources it depends on exist". */
export function isUnknown(v: unknown): boolean {
  return isUnknownValue(v);
}

/** `https://x/` → `https://x`: settings and paths built from URLs carry no trailing slash. */
export function trimUrl(url: string): string {
  return url.replace(/\/+$/, "");
}

/** Collects failures; each helper returns the normalized value when it is valid and known. */
export function inputChecker() {
  const failures: CheckFailure[] = [];
  const fail = (property: string, reason: string) => void failures.push({ property, reason });

  /** An http(s) base URL without credentials, query or fragment; returned without a trailing slash. */
  const httpUrl = (property: string, value: unknown, example: string, required = true): string | undefined => {
    if (isUnknown(value) || (!required && value === undefined)) return undefined;
    if (typeof value !== "string" || value.trim() === "") {
      fail(property, `${property} is required: an http:// or https:// URL such as ${example}`);
      return undefined;
    }
    const problem = httpUrlProblem(value, "base");
    if (!problem) return trimUrl(value);
    fail(property, `${property} ${problem}, e.g. ${example}`);
    return undefined;
  };

  /** A non-empty string without surrounding white space. */
  const text = (property: string, value: unknown, what: string, required = true): string | undefined => {
    if (isUnknown(value) || (!required && value === undefined)) return undefined;
    if (typeof value !== "string" || value === "") fail(property, `${property} is required: ${what}`);
    else if (value.trim() !== value) fail(property, `${property} has leading or trailing white space; remove it`);
    else return value;
    return undefined;
  };

  /** A boolean, or the default when absent. */
  const flag = (property: string, value: unknown, fallback: boolean, what: string): boolean | undefined => {
    if (value === undefined) return fallback;
    if (isUnknown(value)) return undefined;
    if (typeof value !== "boolean") {
      fail(property, `${property} must be true or false: ${what}`);
      return undefined;
    }
    return value;
  };

  /** Seconds between 1 and a day, or the default when absent. */
  const seconds = (property: string, value: unknown, fallback: number): number | undefined => {
    if (value === undefined) return fallback;
    if (isUnknown(value)) return undefined;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 1 || value > 86400) {
      fail(property, `${property} must be a number of seconds between 1 and 86400 (default ${fallback})`);
      return undefined;
    }
    return value;
  };

  /** A PEM CA certificate used for https:// only. */
  const caPem = (property: string, value: unknown, checkedUrl: unknown): void => {
    if (value === undefined || isUnknown(value)) return;
    if (typeof value !== "string" || !value.includes("-----BEGIN CERTIFICATE-----")) {
      fail(property, `${property} must be a PEM certificate (-----BEGIN CERTIFICATE-----...), the CA that signed the Identity Service's HTTPS certificate`);
    } else if (typeof checkedUrl === "string" && !isUnknown(checkedUrl) && checkedUrl.startsWith("http://")) {
      fail(property, `${property} is only used for https://: the Identity Service URL is http://; drop ${property} or use the https:// URL`);
    }
  };

  return { failures, fail, httpUrl, text, flag, seconds, caPem };
}

export type InputChecker = ReturnType<typeof inputChecker>;

/**
 * Checks `creatio: { url, username, password, netCore? }` and returns it normalized (url trimmed,
 * netCore defaulted). `databaseConnectionString` is refused: the integration no longer needs it.
 */
export function checkCreatioConnection(c: InputChecker, creatio: unknown): Record<string, unknown> | undefined {
  if (isUnknown(creatio)) return undefined;
  if (typeof creatio !== "object" || creatio === null || Array.isArray(creatio)) {
    c.fail("creatio", "creatio is required: { url, username, password, netCore? }");
    return undefined;
  }
  const raw = creatio as Record<string, unknown>;
  const out: Record<string, unknown> = { ...raw };
  const url = c.httpUrl("creatio.url", raw.url, "https://creatio.example.com");
  if (url !== undefined) {
    if (/\/0$/.test(url)) c.fail("creatio.url", "creatio.url is Creatio's base URL: drop the trailing /0 (set creatio.netCore instead)");
    else out.url = url;
  }
  c.text("creatio.username", raw.username, "a Creatio administrator's user name, e.g. Supervisor");
  if (!isUnknown(raw.password) && (typeof raw.password !== "string" || raw.password === "")) c.fail("creatio.password", "creatio.password is required: that user's password");
  const netCore = c.flag("creatio.netCore", raw.netCore, DEFAULTS.creatioNetCore, "true for .NET 6/8 Creatio, false for .NET Framework Creatio (app under /0)");
  if (netCore !== undefined) out.netCore = netCore;
  if (raw.databaseConnectionString !== undefined) {
    c.fail("creatio.databaseConnectionString", "creatio.databaseConnectionString is no longer used: Creatio is changed through its API only; remove it");
  }
  return out;
}

/** A provider's inputs validated and defaulted: the check failures thrown as one error (create/update may run without a check, e.g. in tests). */
export function resolveWith<T>(validate: (raw: Record<string, any>) => { inputs: Record<string, any>; failures: CheckFailure[] }, raw: Record<string, any>): T {
  const { inputs, failures } = validate(raw);
  if (failures.length > 0) throw new Error(failures.map((f) => f.reason).join("; "));
  return inputs as T;
}

/** A dynamic provider's `check` from its validation. */
export function checkWith<T>(validate: (raw: Record<string, any>) => { inputs: Record<string, any>; failures: CheckFailure[] }) {
  return async (_olds: T, news: T): Promise<{ inputs: T; failures: CheckFailure[] }> => {
    const { inputs, failures } = validate((news ?? {}) as Record<string, any>);
    return { inputs: inputs as T, failures };
  };
}
