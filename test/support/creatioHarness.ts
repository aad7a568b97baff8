/**
 * What the Creatio provider tests share: a fresh Creatio stand-in on its own fixture database and an
 * Identity Service stand-in per test, the inputs, read-backs of everything the providers may touch,
 * and the checks that no secret leaks into a message or a log line.
 */
import { CreatioStandIn, startCreatioStandIn } from "./creatioStandIn";
import { IdentityServiceStandIn, startIdentityServiceStandIn } from "./identityServiceStandIn";
import { createTestDatabase, query, TestDatabase } from "./pg";

export const FEATURE_ID = "f836e885-8e51-44dd-879c-37c901210874";
export const SYSADMIN_ROW_ID = "5e1f0c3a-0d7b-4c55-9a8e-2f6b7c8d9e01";
export const SUPERVISOR_ID = "7f3b869f-34f3-4f20-ab4d-7480a5fdf647";
export const INTEGRATION_USER_ID = "410006e1-ca4e-4502-a9ec-e54d922d2c00";
export const CLIENT_ID = "creatioClient0001";
export const CLIENT_SECRET = "Cl1entSecret-0123456789abcdefABCD";
export const NEW_SECRET = "R0tatedSecret-9876543210zyxwvuZYXW";
export const CREATIO_PASSWORD = "Cr3atio-Adm1n-Pa55!";
export const URL_CODE = "OAuth20IdentityServerUrl";
export const ID_CODE = "OAuth20IdentityServerClientId";
export const SECRET_CODE = "OAuth20IdentityServerClientSecret";

export interface Harness {
  db: TestDatabase;
  creatio: CreatioStandIn;
  identity: IdentityServiceStandIn;
  /** The providers' lines (lib/providerLog.ts writes them to stderr, which the engine shows). */
  stderr: jest.SpyInstance;
  /** Extra values that must never show (e.g. secrets a test generates). */
  extraSecrets: string[];
}

/** Registers beforeEach/afterEach that give every test a fresh world; returns the live handle. */
export function useCreatioWorld(): Harness {
  const h = { extraSecrets: [] } as unknown as Harness;
  beforeEach(async () => {
    h.db = await createTestDatabase("creatio", { fixture: "creatio" });
    h.creatio = await startCreatioStandIn({ databaseUrl: h.db.url, password: CREATIO_PASSWORD });
    h.identity = await startIdentityServiceStandIn({ clients: [{ clientId: CLIENT_ID, secret: CLIENT_SECRET }] });
    h.stderr = jest.spyOn(console, "error").mockImplementation(() => undefined);
    h.extraSecrets = [];
  });
  afterEach(async () => {
    for (const line of [...logged(h, "info"), ...logged(h, "warn")]) expectNoSecrets(h, line);
    h.stderr.mockRestore();
    await h.identity.stop();
    await h.creatio.stop();
    await h.db.drop();
  });
  return h;
}

/** The lines the providers wrote at one level: warnings are the lines that start with `warning: ` (without it). */
export function logged(h: Harness, level: "info" | "warn"): string[] {
  const lines = h.stderr.mock.calls.map((c) => String(c[0]));
  return level === "warn" ? lines.filter((l) => l.startsWith("warning: ")).map((l) => l.slice("warning: ".length)) : lines.filter((l) => !l.startsWith("warning: "));
}

/** Every text that must never appear in an error or a log line. */
export function forbidden(h: Harness): string[] {
  return [CLIENT_SECRET, NEW_SECRET, CREATIO_PASSWORD, encodeURIComponent(CREATIO_PASSWORD), h.db.password, ...h.extraSecrets];
}

export function expectNoSecrets(h: Harness, text: string): void {
  for (const s of forbidden(h)) expect(text).not.toContain(s);
}

/** Runs a call that must fail; returns its error after checking that its message leaks nothing. */
export async function failureOf(h: Harness, p: Promise<unknown>): Promise<Error & { id?: string; properties?: any }> {
  let error: (Error & { id?: string; properties?: any }) | undefined;
  try {
    await p;
  } catch (e) {
    error = e as Error;
  }
  if (error === undefined) throw new Error("expected the call to fail, it succeeded");
  expectNoSecrets(h, error.message);
  if (error.properties) expect(typeof error.properties).toBe("object");
  return error;
}

/** The integration's raw inputs against the harness's stand-ins. */
export function integrationInputs(h: Harness, overrides: Record<string, any> = {}, creatioOverrides: Record<string, any> = {}): Record<string, any> {
  return {
    identityServerUrl: h.identity.url,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    creatio: { url: h.creatio.url, username: "Supervisor", password: CREATIO_PASSWORD, ...creatioOverrides },
    readinessTimeoutSeconds: 20,
    ...overrides,
  };
}

/** Everything the integration may touch in Creatio, as stored: compared before/after to prove "nothing changed" or "all put back". */
export async function creatioRows(h: Harness): Promise<{ states: any[]; values: any[]; features: any[]; resources: any[] }> {
  return {
    states: await query(h.db.url, `SELECT "Id"::text, "SysAdminUnitId"::text, "FeatureId"::text, "FeatureState" FROM "AdminUnitFeatureState" ORDER BY "Id"`),
    // Values compared as Creatio means them: an empty value row and no row are the same empty setting.
    values: (
      await query(
        h.db.url,
        `SELECT s."Code", v."TextValue" FROM "SysSettingsValue" v JOIN "SysSettings" s ON s."Id" = v."SysSettingsId" WHERE v."TextValue" <> '' ORDER BY s."Code"`,
      )
    ).map((r) => ({
      ...r,
      TextValue: r.Code === SECRET_CODE ? h.creatio.decrypt(r.TextValue) : r.TextValue,
    })),
    features: await query(h.db.url, `SELECT "Id"::text, "Code", "DefaultState" FROM "Feature" ORDER BY "Id"`),
    resources: await query(h.db.url, `SELECT "Name", "IsDefault" FROM "OAuthResource" ORDER BY "Name"`),
  };
}

/** OAuth20Integration's state per unit, as stored. */
export async function oauthStates(h: Harness): Promise<Record<string, number>> {
  const rows = await query(h.db.url, `SELECT "SysAdminUnitId"::text AS unit, "FeatureState" AS state FROM "AdminUnitFeatureState" WHERE "FeatureId" = $1`, [FEATURE_ID]);
  return Object.fromEntries(rows.map((r) => [r.unit, r.state]));
}

/** Requests to Creatio matching a path suffix or DataService operation, each query of a BatchQuery counted as one. */
export function creatioCalls(h: Harness, operation: string): number {
  return h.creatio.requests
    .map((r) => (r.operation === operation || r.path.endsWith(`/${operation}`) ? 1 : (r.items ?? []).filter((i) => i === operation || i.startsWith(`${operation} `)).length))
    .reduce((a, b) => a + b, 0);
}
