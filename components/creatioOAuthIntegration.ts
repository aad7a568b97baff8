import * as pulumi from "@pulumi/pulumi";
import {
  CreatioSession,
  loginToCreatio,
  postSysSettingsValues,
  querySysSettings,
  redact,
  safeUrl,
  waitForIdentityService,
} from "../lib/creatioApi";
import {
  enableFeature,
  FeatureStateRow,
  featureStateRows,
  findFeatureId,
  missingAdminUnitIds,
  OAUTH_FEATURE_CODE,
  OAUTH_SETTING_CODES,
  Queryable,
  restoreFeatureStates,
  restoreSettingRows,
  SettingSnapshot,
  snapshotSettings,
} from "../lib/creatioFeatureSql";
import {
  CreatioConnection,
  CreatioOAuthIntegrationInputs,
  databaseIdentity,
  ResolvedIntegrationInputs,
  resolveInputs,
  trimUrl,
  UNKNOWN_VALUE,
  validateInputs,
} from "../lib/creatioIntegrationInputs";

/**
 * CreatioOAuthIntegration switches a running Creatio over to the Identity Service: it enables the
 * `OAuth20Integration` feature in Creatio's database and writes the three OAuth20IdentityServer*
 * system settings through Creatio's API (which encrypts the secret), and on delete puts back what
 * it found. See docs/creatio-integration.md for exactly what it touches and how to roll back.
 *
 * create, in order, touching nothing until the step before has succeeded: log in to Creatio; wait
 * until the Identity Service issues a client_credentials token for this client; remember the
 * feature's state rows and the settings' stored values; in one database transaction enable the
 * feature (existing rows to 1, new rows for target units without one); write the settings and check
 * each `saveResult` (a refusal rolls the transaction back and puts back what was written); commit.
 *
 * The provider methods run in Pulumi's dynamic-provider process after closure serialization: they
 * build their clients inside (`require("pg")`), use only the self-contained helpers in lib/, and
 * never let a secret reach an error message or a log line (every message goes through `redact`).
 */

export type { CreatioConnection, CreatioOAuthIntegrationInputs, ResolvedIntegrationInputs } from "../lib/creatioIntegrationInputs";
export type { FeatureStateRow, SettingSnapshot } from "../lib/creatioFeatureSql";

/** The Pulumi type token of the resource (what a mock engine records). */
export const CREATIO_OAUTH_INTEGRATION_TYPE = "pulumi-nodejs:dynamic/creatio-identity:CreatioOAuthIntegration";

/** The resource's state: its resolved inputs plus what it changed in Creatio. */
export interface CreatioOAuthIntegrationOutputs extends ResolvedIntegrationInputs {
  /** `Feature.Id` of OAuth20Integration in this Creatio. */
  readonly featureId: string;
  /** SysAdminUnitId → FeatureState of OAuth20Integration, as Creatio's database has it now (refresh shows drift). */
  readonly featureStates: Record<string, number>;
  /** The state rows create (or a later update) found before changing them; delete puts these states back. */
  readonly previousFeatureStates: FeatureStateRow[];
  /** Ids of the state rows this resource inserted; delete removes them. */
  readonly insertedFeatureStateIds: string[];
  /** The setting codes written through Creatio's API. */
  readonly settingsWritten: string[];
  /** The settings' system-wide values as create found them (raw, the secret encrypted); delete puts them back. Secret. */
  readonly previousSettings: SettingSnapshot[];
}

/** Output properties that carry a secret (the client secret, the Creatio password and database URL, the old secret). */
export const CREATIO_OAUTH_INTEGRATION_SECRET_OUTPUTS = ["clientSecret", "creatio", "previousSettings"];

/** Per-call limit for Creatio's API (the readiness wait has its own, readinessTimeoutSeconds). */
const CREATIO_CALL_TIMEOUT_MS = 60000;
const SETTING_CODE_LIST = [OAUTH_SETTING_CODES.url, OAUTH_SETTING_CODES.clientId, OAUTH_SETTING_CODES.clientSecret];

/** Every value that must never show in a message: passwords, secrets, connection strings. */
function secretsOf(...states: Array<Partial<CreatioOAuthIntegrationInputs> | undefined>): string[] {
  const out: string[] = [];
  for (const s of states) {
    if (!s) continue;
    if (typeof s.clientSecret === "string") out.push(s.clientSecret);
    const c = s.creatio as Partial<CreatioConnection> | undefined;
    if (c && typeof c.password === "string") out.push(c.password);
    if (c && typeof c.databaseConnectionString === "string") {
      out.push(c.databaseConnectionString);
      try {
        const u = new URL(c.databaseConnectionString);
        if (u.password) out.push(decodeURIComponent(u.password), u.password);
      } catch {
        // not a URL: the whole string is redacted above
      }
    }
  }
  return out;
}

/** Runs a step and rethrows its failure with every secret redacted from the message. */
async function guarded<T>(secrets: string[], step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new Error(redact(message, secrets));
  }
}

/** A progress line through Pulumi's log (in the provider process it goes to the engine or stdout), secrets redacted. */
function logInfo(message: string, secrets: string[]): void {
  const log = require("@pulumi/pulumi").log;
  void log.info(redact(message, secrets));
}

function logWarning(message: string, secrets: string[]): void {
  const log = require("@pulumi/pulumi").log;
  void log.warn(redact(message, secrets));
}

/** A connected node-postgres client for Creatio's database; the error names the database, not the URL. */
async function connectCreatioDatabase(connectionString: string): Promise<Queryable & { end(): Promise<void> }> {
  const { Client } = require("pg") as typeof import("pg");
  const client = new Client({ connectionString, connectionTimeoutMillis: 15000 });
  // A connection dropped while idle must not crash the provider process; the next query reports it.
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (e) {
    let which = "the database";
    try {
      which = databaseIdentity(connectionString);
    } catch {
      // keep the generic name
    }
    throw new Error(`Could not connect to Creatio's database ${which} (creatio.databaseConnectionString): ${e instanceof Error ? e.message : String(e)}`);
  }
  return client;
}

function newUuid(): string {
  return require("crypto").randomUUID();
}

function login(i: ResolvedIntegrationInputs): Promise<CreatioSession> {
  return loginToCreatio({ ...i.creatio, timeoutMs: CREATIO_CALL_TIMEOUT_MS });
}

/** Waits until the Identity Service issues a token for the client, logging what it waits for. */
async function awaitIdentityService(i: ResolvedIntegrationInputs, secrets: string[]): Promise<void> {
  const url = i.identityServerCheckUrl ?? i.identityServerUrl;
  logInfo(`checking that the Identity Service at ${safeUrl(url)} issues a token for client ${i.clientId}`, secrets);
  await waitForIdentityService({
    url,
    clientId: i.clientId,
    clientSecret: i.clientSecret,
    caPem: i.identityServerCaPem,
    timeoutMs: i.readinessTimeoutSeconds * 1000,
    onWait: (m) => logInfo(m, secrets),
  });
}

/** Looks up the feature and checks the target units and settings exist: the errors of step 3, before anything is touched. */
async function findPrerequisites(db: Queryable, i: ResolvedIntegrationInputs): Promise<{ featureId: string; snapshots: SettingSnapshot[] }> {
  const featureId = await findFeatureId(db, OAUTH_FEATURE_CODE);
  if (!featureId) {
    throw new Error(
      `Creatio's database has no feature with Code '${OAUTH_FEATURE_CODE}' in "Feature": this Creatio version does not ship the OAuth 2.0 integration ` +
        `(it needs 8.0.8 or later), or creatio.databaseConnectionString points at another database. Nothing was changed in Creatio.`,
    );
  }
  const missingUnits = await missingAdminUnitIds(db, i.featureAdminUnitIds);
  if (missingUnits.length > 0) {
    throw new Error(`featureAdminUnitIds: Creatio has no role or user (SysAdminUnit) with Id ${missingUnits.join(", ")}. Fix the ids or leave featureAdminUnitIds out for All employees. Nothing was changed in Creatio.`);
  }
  const { snapshots, missing } = await snapshotSettings(db, SETTING_CODE_LIST);
  if (missing.length > 0) {
    throw new Error(`Creatio has no system setting ${missing.join(", ")} (no row in "SysSettings"): this Creatio version does not support the Identity Service integration. Nothing was changed in Creatio.`);
  }
  return { featureId, snapshots };
}

function settingValues(i: ResolvedIntegrationInputs): Record<string, string> {
  return {
    [OAUTH_SETTING_CODES.url]: i.identityServerUrl,
    [OAUTH_SETTING_CODES.clientId]: i.clientId,
    [OAUTH_SETTING_CODES.clientSecret]: i.clientSecret,
  };
}

/**
 * Puts the given settings back to what `snapshots` recorded: through Creatio's API where the old
 * value can be expressed (so Creatio's settings cache holds it too), then the stored rows exactly by
 * SQL. An old SecureText value is known only encrypted, so it goes back by SQL alone and Creatio
 * keeps the cached value until its cache is cleared: that is logged as a warning.
 * Returns problems with the API part (the SQL part throws).
 */
async function putBackSettings(session: CreatioSession, db: Queryable, snapshots: readonly SettingSnapshot[], codes: readonly string[], secrets: string[]): Promise<string[]> {
  const chosen = snapshots.filter((s) => codes.includes(s.code));
  const viaApi: Record<string, string> = {};
  const sqlOnly: string[] = [];
  for (const s of chosen) {
    if (s.valueTypeName === "SecureText" && s.textValue) sqlOnly.push(s.code);
    else viaApi[s.code] = s.textValue ?? "";
  }
  const problems: string[] = [];
  if (Object.keys(viaApi).length > 0) {
    try {
      const result = await postSysSettingsValues(session, viaApi, CREATIO_CALL_TIMEOUT_MS);
      const refused = Object.keys(viaApi).filter((c) => !result[c]);
      if (refused.length > 0) problems.push(`Creatio refused to put back ${refused.join(", ")} through its API (restored in the database only)`);
    } catch (e) {
      problems.push(`putting back ${Object.keys(viaApi).join(", ")} through Creatio's API failed (${e instanceof Error ? e.message : String(e)}; restored in the database only)`);
    }
  }
  await restoreSettingRows(db, chosen);
  if (sqlOnly.length > 0 || problems.length > 0) {
    logWarning(
      `${[...sqlOnly, ...problems.length > 0 ? Object.keys(viaApi) : []].join(", ")}: the previous value is back in Creatio's database, but Creatio caches system settings: ` +
        `clear its cache (Redis) or restart Creatio for it to take effect.`,
      secrets,
    );
  }
  return problems;
}

/** SysAdminUnitId → FeatureState. */
function stateMap(rows: readonly FeatureStateRow[]): Record<string, number> {
  const map: Record<string, number> = {};
  for (const r of rows) map[r.sysAdminUnitId] = r.featureState;
  return map;
}

async function rollback(db: Queryable): Promise<void> {
  try {
    await db.query("ROLLBACK");
  } catch {
    // the connection is gone: PostgreSQL rolls back on its own
  }
}

async function createIntegration(raw: Record<string, any>): Promise<pulumi.dynamic.CreateResult> {
  const i = resolveInputs(raw);
  const secrets = secretsOf(i);
  return guarded(secrets, async () => {
    // 1. Log in first: a wrong password fails fast, before any waiting.
    const session = await login(i);
    // 2. The Identity Service must issue a token for this very client before Creatio is pointed at it.
    await awaitIdentityService(i, secrets);
    const db = await connectCreatioDatabase(i.creatio.databaseConnectionString);
    try {
      // 3. Remember what is there.
      const { featureId, snapshots } = await findPrerequisites(db, i);
      const previousFeatureStates = await featureStateRows(db, featureId);
      // 4. Enable the feature, inside a transaction that stays open until the settings are saved.
      await db.query("BEGIN");
      await db.query("SET LOCAL lock_timeout = '30s'");
      let written: string[] = [];
      let insertedIds: string[];
      try {
        ({ insertedIds } = await enableFeature(db, featureId, i.featureAdminUnitIds, newUuid));
        // 5. The settings, through Creatio's API (it encrypts the SecureText secret).
        await writeSettings(session, i, (codes) => (written = codes));
        // 6. Commit.
        await db.query("COMMIT");
      } catch (e) {
        await rollback(db);
        const problems = written.length > 0 ? await putBackSettings(session, db, snapshots, written, secrets) : [];
        const putBack = written.length > 0 ? `${written.join(", ")} put back` : "no setting had been written";
        const tail = problems.length > 0 ? ` Not everything went back cleanly: ${problems.join("; ")}.` : "";
        throw new Error(`${e instanceof Error ? e.message : String(e)} Rolled back: the ${OAUTH_FEATURE_CODE} feature states are unchanged and ${putBack}.${tail}`);
      }
      const now = await featureStateRows(db, featureId);
      logInfo(
        `Creatio now uses the Identity Service at ${safeUrl(i.identityServerUrl)}: ${OAUTH_FEATURE_CODE} enabled, ${SETTING_CODE_LIST.join(", ")} written. ` +
          `Creatio caches feature states: restart Creatio or clear its Redis cache for the feature to take effect.`,
        secrets,
      );
      const outs: CreatioOAuthIntegrationOutputs = {
        ...i,
        featureId,
        featureStates: stateMap(now),
        previousFeatureStates,
        insertedFeatureStateIds: insertedIds,
        settingsWritten: [...SETTING_CODE_LIST],
        previousSettings: snapshots,
      };
      return { id: `${OAUTH_FEATURE_CODE}@${databaseIdentity(i.creatio.databaseConnectionString)}`, outs };
    } finally {
      await db.end().catch(() => undefined);
    }
  });
}

async function readIntegration(id: string, props: Record<string, any>): Promise<pulumi.dynamic.ReadResult> {
  if (!props || !props.creatio) {
    throw new Error("CreatioOAuthIntegration cannot be imported: it has to create its own record of what it changed. Create it with pulumi up instead.");
  }
  const state = props as CreatioOAuthIntegrationOutputs;
  const secrets = secretsOf(state);
  return guarded(secrets, async () => {
    const session = await login(state);
    const db = await connectCreatioDatabase(state.creatio.databaseConnectionString);
    let featureStates: Record<string, number> = {};
    try {
      const featureId = (await findFeatureId(db, OAUTH_FEATURE_CODE)) ?? state.featureId;
      featureStates = stateMap(await featureStateRows(db, featureId));
    } finally {
      await db.end().catch(() => undefined);
    }
    const current = await querySysSettings(session, [OAUTH_SETTING_CODES.url, OAUTH_SETTING_CODES.clientId], CREATIO_CALL_TIMEOUT_MS);
    // Not reported: keep what we know. Reported empty: that is drift, and the next update rewrites it.
    const asText = (v: unknown, known: string) => (v === undefined ? known : v === null ? "" : String(v));
    return {
      id,
      props: {
        ...props,
        identityServerUrl: asText(current[OAUTH_SETTING_CODES.url], state.identityServerUrl),
        clientId: asText(current[OAUTH_SETTING_CODES.clientId], state.clientId),
        featureStates,
      },
    };
  });
}

/** JSON with sorted keys, for comparing input values. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v as object).sort().filter((k) => (v as any)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical((v as any)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "undefined";
}

const INPUT_KEYS = ["identityServerUrl", "clientId", "clientSecret", "creatio", "featureAdminUnitIds", "readinessTimeoutSeconds", "identityServerCaPem", "identityServerCheckUrl"];

async function diffIntegration(_id: string, olds: Record<string, any>, news: Record<string, any>): Promise<pulumi.dynamic.DiffResult> {
  const replaces: string[] = [];
  const oldCreatio = olds.creatio ?? {};
  const newCreatio = news.creatio;
  if (newCreatio && newCreatio !== UNKNOWN_VALUE) {
    const urlChanged = typeof newCreatio.url === "string" && newCreatio.url !== UNKNOWN_VALUE && typeof oldCreatio.url === "string" && trimUrl(newCreatio.url) !== trimUrl(oldCreatio.url);
    let databaseChanged = false;
    const nd = newCreatio.databaseConnectionString;
    if (typeof nd === "string" && nd !== UNKNOWN_VALUE && typeof oldCreatio.databaseConnectionString === "string") {
      try {
        // Same host, port and database with other credentials is the same Creatio: an update, not a replacement.
        databaseChanged = databaseIdentity(nd) !== databaseIdentity(oldCreatio.databaseConnectionString);
      } catch {
        databaseChanged = nd !== oldCreatio.databaseConnectionString;
      }
    }
    if (urlChanged || databaseChanged) replaces.push("creatio");
  }
  const changedKeys = INPUT_KEYS.filter((k) => canonical(olds[k]) !== canonical(news[k]));
  // Drift seen by read: a state row someone switched off again is switched back on by an update.
  const drifted = Object.values((olds.featureStates ?? {}) as Record<string, number>).some((s) => s !== 1) ||
    (Array.isArray(news.featureAdminUnitIds) && olds.featureStates && news.featureAdminUnitIds.some((u: string) => u !== UNKNOWN_VALUE && olds.featureStates[u] !== 1));
  return {
    changes: changedKeys.length > 0 || !!drifted || replaces.length > 0,
    replaces,
    // Restore the old Creatio before touching the new one: if both are in fact the same database
    // (another host name for it), create-before-delete would record the enabled state as "found"
    // and the old delete would then switch the feature off.
    deleteBeforeReplace: replaces.length > 0,
  };
}

async function updateIntegration(_id: string, olds: Record<string, any>, news: Record<string, any>): Promise<pulumi.dynamic.UpdateResult> {
  const i = resolveInputs(news);
  const before = olds as CreatioOAuthIntegrationOutputs;
  const secrets = secretsOf(i, before);
  return guarded(secrets, async () => {
    const session = await login(i);
    await awaitIdentityService(i, secrets);
    const db = await connectCreatioDatabase(i.creatio.databaseConnectionString);
    try {
      const { featureId } = await findPrerequisites(db, i);
      const rowsNow = await featureStateRows(db, featureId);
      const previous = before.previousFeatureStates ?? [];
      const insertedBefore = before.insertedFeatureStateIds ?? [];
      const known = new Set([...previous.map((r) => r.id), ...insertedBefore]);
      const targets = new Set(i.featureAdminUnitIds);
      // Rows this resource inserted for units no longer targeted go away now.
      const dropped = rowsNow.filter((r) => insertedBefore.includes(r.id) && !targets.has(r.sysAdminUnitId)).map((r) => r.id);
      await db.query("BEGIN");
      await db.query("SET LOCAL lock_timeout = '30s'");
      let written: string[] = [];
      let insertedIds: string[];
      try {
        await restoreFeatureStates(db, [], dropped);
        ({ insertedIds } = await enableFeature(db, featureId, i.featureAdminUnitIds, newUuid));
        await writeSettings(session, i, (codes) => (written = codes));
        await db.query("COMMIT");
      } catch (e) {
        await rollback(db);
        // The values before this update are known in plain text (the old secret is ours): put them back through the API.
        let tail = "";
        if (written.length > 0) {
          const oldValues = settingValues({ ...i, identityServerUrl: before.identityServerUrl, clientId: before.clientId, clientSecret: before.clientSecret });
          const back: Record<string, string> = {};
          for (const c of written) back[c] = oldValues[c];
          try {
            const r = await postSysSettingsValues(session, back, CREATIO_CALL_TIMEOUT_MS);
            const notBack = written.filter((c) => !r[c]);
            if (notBack.length > 0) tail = ` Creatio refused to put back ${notBack.join(", ")}: set them by hand in System settings.`;
          } catch (e2) {
            tail = ` Putting back ${written.join(", ")} failed (${e2 instanceof Error ? e2.message : String(e2)}): set them by hand in System settings.`;
          }
        }
        const putBack = written.length > 0 ? `${written.join(", ")} put back to the values before this update` : "no setting had been written";
        throw new Error(`${e instanceof Error ? e.message : String(e)} Rolled back: the ${OAUTH_FEATURE_CODE} feature states are unchanged and ${putBack}.${tail}`);
      }
      // Rows found now that create never saw, and that this update switched on, are remembered too.
      const newlyFound = rowsNow.filter((r) => !known.has(r.id));
      const now = await featureStateRows(db, featureId);
      logInfo(`Creatio's OAuth 2.0 settings rewritten for the Identity Service at ${safeUrl(i.identityServerUrl)}`, secrets);
      const outs: CreatioOAuthIntegrationOutputs = {
        ...i,
        featureId,
        featureStates: stateMap(now),
        previousFeatureStates: [...previous, ...newlyFound],
        insertedFeatureStateIds: [...insertedBefore.filter((id) => !dropped.includes(id)), ...insertedIds],
        settingsWritten: [...SETTING_CODE_LIST],
        previousSettings: before.previousSettings ?? [],
      };
      return { outs };
    } finally {
      await db.end().catch(() => undefined);
    }
  });
}

async function deleteIntegration(_id: string, props: Record<string, any>): Promise<void> {
  const state = props as CreatioOAuthIntegrationOutputs;
  const secrets = secretsOf(state);
  await guarded(secrets, async () => {
    const session = await login(state);
    const db = await connectCreatioDatabase(state.creatio.databaseConnectionString);
    try {
      await db.query("BEGIN");
      await db.query("SET LOCAL lock_timeout = '30s'");
      try {
        await restoreFeatureStates(db, state.previousFeatureStates ?? [], state.insertedFeatureStateIds ?? []);
        const problems = await putBackSettings(session, db, state.previousSettings ?? [], SETTING_CODE_LIST, secrets);
        await db.query("COMMIT");
        if (problems.length > 0) logWarning(problems.join("; "), secrets);
      } catch (e) {
        await rollback(db);
        throw new Error(
          `Could not put Creatio back as it was: ${e instanceof Error ? e.message : String(e)}. ` +
            `The feature states were left as they were (rolled back); some settings may already be put back. Run the destroy again once the cause is fixed.`,
        );
      }
      logInfo(
        `Creatio put back as found: ${OAUTH_FEATURE_CODE} states and ${SETTING_CODE_LIST.join(", ")} restored. ` +
          `Creatio caches feature states: restart Creatio or clear its Redis cache for this to take effect.`,
        secrets,
      );
    } finally {
      await db.end().catch(() => undefined);
    }
  });
}

/**
 * Writes the three settings through Creatio's API and fails naming any it refused. `onWritten`
 * learns which settings may now hold the new value (all three when the call itself failed, since
 * what was saved is then unknown), so the caller can put them back.
 */
async function writeSettings(session: Parameters<typeof postSysSettingsValues>[0], i: ResolvedIntegrationInputs, onWritten: (codes: string[]) => void): Promise<void> {
  let saveResult: Record<string, boolean>;
  try {
    saveResult = await postSysSettingsValues(session, settingValues(i), CREATIO_CALL_TIMEOUT_MS);
  } catch (e) {
    onWritten([...SETTING_CODE_LIST]);
    throw e;
  }
  onWritten(SETTING_CODE_LIST.filter((c) => saveResult[c]));
  const refused = SETTING_CODE_LIST.filter((c) => !saveResult[c]);
  if (refused.length > 0) {
    throw new Error(
      `Creatio refused to save the system setting ${refused.join(", ")} (PostSysSettingsValues saveResult false). ` +
        `Check in Creatio's System settings that it exists and that user "${i.creatio.username}" may change it.`,
    );
  }
}

/**
 * The dynamic provider. Its methods only call the functions above and the self-contained helpers in
 * lib/, so `pulumi.runtime.serializeFunction` can carry it to the provider process.
 */
export const creatioOAuthIntegrationProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: any, news: any): Promise<pulumi.dynamic.CheckResult> {
    const { inputs, failures } = validateInputs(news ?? {});
    return { inputs, failures };
  },
  diff: diffIntegration,
  create: createIntegration,
  read: readIntegration,
  update: updateIntegration,
  delete: deleteIntegration,
};

/** The connection to Creatio, as resource arguments. */
export interface CreatioConnectionArgs {
  /** Creatio's base URL, without `/0`. */
  readonly url: pulumi.Input<string>;
  /** A Creatio administrator, e.g. Supervisor. */
  readonly username: pulumi.Input<string>;
  /** That user's password (pass a secret). */
  readonly password: pulumi.Input<string>;
  /** false (default): .NET Framework Creatio, app under `{url}/0`; true: .NET 6/8 Creatio. */
  readonly netCore?: pulumi.Input<boolean>;
  /** Creatio's own PostgreSQL database as a `postgres://` URL (pass a secret). */
  readonly databaseConnectionString: pulumi.Input<string>;
}

export interface CreatioOAuthIntegrationArgs {
  /** The URL Creatio uses to reach the Identity Service (written to OAuth20IdentityServerUrl). */
  readonly identityServerUrl: pulumi.Input<string>;
  /** The Identity Service client Creatio uses (OAuth20IdentityServerClientId). */
  readonly clientId: pulumi.Input<string>;
  /** That client's secret (OAuth20IdentityServerClientSecret; pass a secret). */
  readonly clientSecret: pulumi.Input<string>;
  /** How to reach Creatio: its API for the settings, its database for the feature. */
  readonly creatio: pulumi.Input<CreatioConnectionArgs>;
  /** SysAdminUnit ids (roles or users) to enable OAuth20Integration for. Default: All employees. */
  readonly featureAdminUnitIds?: pulumi.Input<pulumi.Input<string>[]>;
  /** How long to wait for the Identity Service to issue a token. Default 300. */
  readonly readinessTimeoutSeconds?: pulumi.Input<number>;
  /** CA certificate (PEM) to trust for the Identity Service's HTTPS, e.g. a self-signed one. */
  readonly identityServerCaPem?: pulumi.Input<string>;
  /** The Identity Service URL as the machine running Pulumi reaches it, if not identityServerUrl. */
  readonly identityServerCheckUrl?: pulumi.Input<string>;
}

/**
 * Enables Creatio's OAuth20Integration feature and points Creatio's OAuth20IdentityServer* settings
 * at the Identity Service; `pulumi destroy` puts back what it found. Make it depend on the Identity
 * Service container (`dependsOn`): it waits for a token anyway, but not forever.
 */
export class CreatioOAuthIntegration extends pulumi.dynamic.Resource {
  public readonly identityServerUrl!: pulumi.Output<string>;
  public readonly clientId!: pulumi.Output<string>;
  public readonly featureId!: pulumi.Output<string>;
  public readonly featureStates!: pulumi.Output<Record<string, number>>;
  public readonly previousFeatureStates!: pulumi.Output<FeatureStateRow[]>;
  public readonly insertedFeatureStateIds!: pulumi.Output<string[]>;
  public readonly settingsWritten!: pulumi.Output<string[]>;

  constructor(name: string, args: CreatioOAuthIntegrationArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      creatioOAuthIntegrationProvider,
      name,
      {
        ...args,
        featureId: undefined,
        featureStates: undefined,
        previousFeatureStates: undefined,
        insertedFeatureStateIds: undefined,
        settingsWritten: undefined,
        previousSettings: undefined,
      },
      { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...CREATIO_OAUTH_INTEGRATION_SECRET_OUTPUTS] },
      "creatio-identity",
      "CreatioOAuthIntegration",
    );
  }
}
