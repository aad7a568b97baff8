/**
 * CreatioOAuthIntegration's inputs: their resolved shape, validation (Pulumi `check` failures that
 * name the property and the fix, never a value) and the defaults.
 *
 * Runs inside a Pulumi dynamic provider after closure serialization: no imports, no captured state
 * beyond the constants here.
 */

/** How the provider reaches Creatio. */
export interface CreatioConnection {
  /** Creatio's base URL (without `/0`). */
  readonly url: string;
  /** An administrator, e.g. Supervisor. */
  readonly username: string;
  readonly password: string;
  /** false (default): .NET Framework Creatio, app under `{url}/0`; true: .NET 6/8 Creatio, app at `{url}`. */
  readonly netCore?: boolean;
  /** Creatio's own PostgreSQL database, as a `postgres://` URL. */
  readonly databaseConnectionString: string;
}

/** The provider's inputs, resolved. */
export interface CreatioOAuthIntegrationInputs {
  /** The URL Creatio uses to reach the Identity Service (written to OAuth20IdentityServerUrl). */
  readonly identityServerUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly creatio: CreatioConnection;
  /** The SysAdminUnit ids (roles, users) to enable OAuth20Integration for. Default: All employees. */
  readonly featureAdminUnitIds?: string[];
  /** How long to wait for the Identity Service to issue a token. Default 300. */
  readonly readinessTimeoutSeconds?: number;
  /** A CA certificate (PEM) to trust for the Identity Service's HTTPS, e.g. for a self-signed one. */
  readonly identityServerCaPem?: string;
  /**
   * The Identity Service URL as the machine running Pulumi reaches it, when that differs from the
   * one Creatio uses (e.g. Creatio reaches it by a Docker network name). Default: identityServerUrl.
   */
  readonly identityServerCheckUrl?: string;
}

/** The inputs with every default applied (what create/update/delete work with). */
export interface ResolvedIntegrationInputs {
  readonly identityServerUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly creatio: Required<CreatioConnection>;
  readonly featureAdminUnitIds: string[];
  readonly readinessTimeoutSeconds: number;
  readonly identityServerCaPem?: string;
  readonly identityServerCheckUrl?: string;
}

/** Pulumi's placeholder for a value not known yet (preview): such values are not validated. */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export const DEFAULT_READINESS_TIMEOUT_SECONDS = 300;
/** All employees: the default target of the feature. */
export const DEFAULT_FEATURE_ADMIN_UNIT_IDS: readonly string[] = ["a29a3ba5-4b0d-de11-9a51-005056c00008"];

export interface CheckFailure {
  readonly property: string;
  readonly reason: string;
}

/** `https://x/` → `https://x`: the settings and the paths built from them carry no trailing slash. */
export function trimUrl(url: string): string {
  return url.replace(/\/+$/, "");
}

/** `host:port/database` of a postgres:// URL: which database it is, without the credentials. */
export function databaseIdentity(connectionString: string): string {
  const u = new URL(connectionString);
  const db = decodeURIComponent(u.pathname.replace(/^\//, ""));
  const host = u.hostname.toLowerCase() || (u.searchParams.get("host") ?? "").toLowerCase();
  return `${host}:${u.port || "5432"}/${db}`;
}

/**
 * Check failures for raw inputs plus the normalized inputs (URLs without a trailing slash, unit ids
 * lower-cased, defaults filled in). Unknown values (preview) pass unchecked and unchanged.
 */
export function validateInputs(raw: Record<string, any>): { inputs: Record<string, any>; failures: CheckFailure[] } {
  const failures: CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  const unknown = (v: unknown) => v === UNKNOWN_VALUE;
  const inputs: Record<string, any> = { ...raw };

  const httpUrl = (property: string, value: unknown, example: string): string | undefined => {
    if (unknown(value)) return undefined;
    if (typeof value !== "string" || value.trim() === "") {
      fail(property, `${property} is required: an http:// or https:// URL such as ${example}`);
      return undefined;
    }
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      fail(property, `${property} is not a valid URL; give an http:// or https:// URL such as ${example}`);
      return undefined;
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") fail(property, `${property} must start with http:// or https://, e.g. ${example}`);
    else if (u.username || u.password) fail(property, `${property} must not contain a user name or password`);
    else if (u.search || u.hash) fail(property, `${property} must not have a query or fragment: give the base URL, e.g. ${example}`);
    else return trimUrl(value);
    return undefined;
  };
  const text = (property: string, value: unknown, what: string): void => {
    if (unknown(value)) return;
    if (typeof value !== "string" || value === "") fail(property, `${property} is required: ${what}`);
    else if (value.trim() !== value) fail(property, `${property} has leading or trailing white space; remove it`);
  };

  const isUrl = httpUrl("identityServerUrl", raw.identityServerUrl, "https://identity.example.com");
  if (isUrl !== undefined) inputs.identityServerUrl = isUrl;
  if (raw.identityServerCheckUrl !== undefined) {
    const checkUrl = httpUrl("identityServerCheckUrl", raw.identityServerCheckUrl, "https://localhost:5443");
    if (checkUrl !== undefined) inputs.identityServerCheckUrl = checkUrl;
  }
  text("clientId", raw.clientId, "the Identity Service client id Creatio uses (the ClientId in its Clients setting)");
  text("clientSecret", raw.clientSecret, "that client's secret (the Secrets entry in the Clients setting)");

  const creatio = raw.creatio;
  if (unknown(creatio)) {
    // nothing to check yet
  } else if (typeof creatio !== "object" || creatio === null || Array.isArray(creatio)) {
    fail("creatio", "creatio is required: { url, username, password, netCore?, databaseConnectionString }");
  } else {
    const c: Record<string, any> = { ...creatio };
    const cUrl = httpUrl("creatio.url", creatio.url, "https://creatio.example.com");
    if (cUrl !== undefined) {
      if (/\/0$/.test(cUrl)) fail("creatio.url", "creatio.url is Creatio's base URL: drop the trailing /0 (set creatio.netCore instead)");
      else c.url = cUrl;
    }
    text("creatio.username", creatio.username, "a Creatio administrator's user name, e.g. Supervisor");
    if (!unknown(creatio.password) && (typeof creatio.password !== "string" || creatio.password === "")) {
      fail("creatio.password", "creatio.password is required: that user's password");
    }
    if (creatio.netCore === undefined) c.netCore = false;
    else if (!unknown(creatio.netCore) && typeof creatio.netCore !== "boolean") {
      fail("creatio.netCore", "creatio.netCore must be true (.NET 6/8 Creatio) or false (.NET Framework Creatio, app under /0)");
    }
    const db = creatio.databaseConnectionString;
    if (!unknown(db)) {
      const example = "postgres://user:password@host:5432/creatio";
      if (typeof db !== "string" || db === "") {
        fail("creatio.databaseConnectionString", `creatio.databaseConnectionString is required: Creatio's PostgreSQL database as a URL such as ${example}`);
      } else {
        let ok = false;
        try {
          const u = new URL(db);
          ok = (u.protocol === "postgres:" || u.protocol === "postgresql:") && u.pathname.length > 1 && (u.hostname !== "" || u.searchParams.has("host"));
        } catch {
          ok = false;
        }
        // The value is never echoed: it holds a password.
        if (!ok) fail("creatio.databaseConnectionString", `creatio.databaseConnectionString must be a postgres:// URL with a host and a database, such as ${example} (the value is not shown: it holds a password)`);
      }
    }
    inputs.creatio = c;
  }

  const units = raw.featureAdminUnitIds;
  if (units === undefined) inputs.featureAdminUnitIds = [...DEFAULT_FEATURE_ADMIN_UNIT_IDS];
  else if (!unknown(units)) {
    const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    if (!Array.isArray(units) || units.length === 0) {
      fail("featureAdminUnitIds", "featureAdminUnitIds must be a non-empty list of SysAdminUnit ids (roles or users); leave it out for All employees");
    } else {
      const bad = units.filter((u: unknown) => !unknown(u) && (typeof u !== "string" || !guid.test(u)));
      if (bad.length > 0) fail("featureAdminUnitIds", `featureAdminUnitIds must hold SysAdminUnit ids (GUIDs such as a29a3ba5-4b0d-de11-9a51-005056c00008); not GUIDs: ${bad.map((b: unknown) => JSON.stringify(b)).join(", ")}`);
      else inputs.featureAdminUnitIds = [...new Set(units.map((u: string) => (unknown(u) ? u : u.toLowerCase())))];
    }
  }

  const timeout = raw.readinessTimeoutSeconds;
  if (timeout === undefined) inputs.readinessTimeoutSeconds = DEFAULT_READINESS_TIMEOUT_SECONDS;
  else if (!unknown(timeout) && (typeof timeout !== "number" || !Number.isFinite(timeout) || timeout <= 0 || timeout > 86400)) {
    fail("readinessTimeoutSeconds", "readinessTimeoutSeconds must be a number of seconds between 1 and 86400 (default 300)");
  }

  const ca = raw.identityServerCaPem;
  if (ca !== undefined && !unknown(ca)) {
    if (typeof ca !== "string" || !ca.includes("-----BEGIN CERTIFICATE-----")) {
      fail("identityServerCaPem", "identityServerCaPem must be a PEM certificate (-----BEGIN CERTIFICATE-----...), the CA that signed the Identity Service's HTTPS certificate");
    } else {
      const checked = inputs.identityServerCheckUrl ?? inputs.identityServerUrl;
      if (typeof checked === "string" && !unknown(checked) && checked.startsWith("http://")) {
        fail("identityServerCaPem", "identityServerCaPem is only used for https://: the Identity Service URL is http://; drop identityServerCaPem or use the https:// URL");
      }
    }
  }
  return { inputs, failures };
}

/** The inputs with defaults applied; throws the first check failure (create/update may run without a check, e.g. in tests). */
export function resolveInputs(raw: Record<string, any>): ResolvedIntegrationInputs {
  const { inputs, failures } = validateInputs(raw);
  if (failures.length > 0) throw new Error(failures.map((f) => f.reason).join("; "));
  return inputs as ResolvedIntegrationInputs;
}
