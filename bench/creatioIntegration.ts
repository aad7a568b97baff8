/**
 * The CreatioOAuthIntegration provider's create/read/delete round trip through Creatio's API (the
 * Creatio stand-in over a real PostgreSQL holding the fixture, and the Identity Service stand-in),
 * next to the seed's manual step (one raw SQL UPDATE run with `pg`) as the baseline, with the number
 * of HTTP requests each provider call makes. Called by bench/bench.ts, which starts PostgreSQL;
 * prints nothing itself.
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import * as pulumi from "@pulumi/pulumi";
import { Client } from "pg";
import { creatioOAuthIntegrationProvider as provider } from "../components/creatioOAuthIntegration";
import { SEED_ENABLE_FEATURE_SQL } from "../lib/creatio/constants";
import { loadCreatioFixture, startCreatioStandIn } from "../test/support/creatioStandIn";
import { startIdentityServiceStandIn } from "../test/support/identityServiceStandIn";

const ITERATIONS = 7;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function withClient<T>(url: string, f: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

async function timed<T>(f: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await f();
  return { ms: performance.now() - started, value };
}

/** A fingerprint of everything the provider may touch, to check each delete put it all back. */
function fingerprint(url: string): Promise<string> {
  return withClient(url, async (c) => {
    const states = await c.query(`SELECT "Id", "FeatureState" FROM "AdminUnitFeatureState" ORDER BY "Id"`);
    // As Creatio means them: a setting put back to "" through the API equals one that had no value row.
    const values = await c.query(`SELECT "SysSettingsId", "TextValue" FROM "SysSettingsValue" WHERE "TextValue" <> '' ORDER BY "SysSettingsId"`);
    return JSON.stringify([states.rows, values.rows]);
  });
}

export async function benchCreatioIntegration(adminPgUrl: string): Promise<Record<string, string | number>> {
  const name = `bench_creatio_${randomBytes(4).toString("hex")}`;
  await withClient(adminPgUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  const dbUrl = new URL(adminPgUrl);
  dbUrl.pathname = `/${name}`;
  const databaseUrl = dbUrl.toString();
  // The provider reports progress through pulumi.log and on stderr (lib/providerLog.ts); keep the
  // bench output to the figures.
  const { info, warn } = pulumi.log;
  const { error } = console;
  (pulumi.log as { info: unknown }).info = () => Promise.resolve();
  (pulumi.log as { warn: unknown }).warn = () => Promise.resolve();
  console.error = () => undefined;
  const clientId = "benchClient00001";
  const clientSecret = randomBytes(16).toString("hex");
  const password = randomBytes(12).toString("hex");
  await loadCreatioFixture(databaseUrl);
  const creatio = await startCreatioStandIn({ databaseUrl, password });
  const identity = await startIdentityServiceStandIn({ clients: [{ clientId, secret: clientSecret }] });
  try {
    const checked = await provider.check!(
      {} as any,
      {
        identityServerUrl: identity.url,
        clientId,
        clientSecret,
        creatio: { url: creatio.url, username: "Supervisor", password },
      } as any,
    );
    if (checked.failures && checked.failures.length > 0) throw new Error(`bench inputs rejected: ${JSON.stringify(checked.failures)}`);
    const original = await fingerprint(databaseUrl);
    const create: number[] = [];
    const read: number[] = [];
    const remove: number[] = [];
    const roundTrip: number[] = [];
    const calls = { create: [0, 0], read: [0, 0], delete: [0, 0] };
    /** Per round trip: the time the stand-ins spent answering (their own work on the database included). */
    const standIns: number[] = [];
    let standInMs = 0;
    const answering = (rs: ReadonlyArray<{ ms?: number }>) => rs.reduce((sum, r) => sum + (r.ms ?? 0), 0);
    const counted = async <T>(kind: keyof typeof calls, f: () => Promise<T>) => {
      const [c0, i0] = [creatio.requests.length, identity.requests.length];
      const result = await timed(f);
      calls[kind] = [creatio.requests.length - c0, identity.requests.length - i0];
      standInMs += answering(creatio.requests.slice(c0)) + answering(identity.requests.slice(i0));
      return result;
    };
    for (let i = 0; i < ITERATIONS; i++) {
      // Creatio forbids deleting OAuth resources, so delete leaves the default resource create made;
      // the bench removes it behind Creatio's back so that every create does the full set of steps.
      await withClient(databaseUrl, (db) => db.query(`DELETE FROM "OAuthResource"`));
      standInMs = 0;
      const c = await counted("create", () => provider.create(checked.inputs!));
      const r = await counted("read", () => provider.read!(c.value.id, c.value.outs));
      const d = await counted("delete", () => provider.delete!(c.value.id, r.value.props!));
      create.push(c.ms);
      read.push(r.ms);
      remove.push(d.ms);
      roundTrip.push(c.ms + r.ms + d.ms);
      standIns.push(standInMs);
      if ((await fingerprint(databaseUrl)) !== original) throw new Error("bench: delete did not put Creatio's rows back as found");
    }

    const seedWithConnect: number[] = [];
    const seedStatement: number[] = [];
    const reset = `UPDATE "AdminUnitFeatureState" SET "FeatureState" = 0 WHERE "Id" = '5e1f0c3a-0d7b-4c55-9a8e-2f6b7c8d9e01'`;
    for (let i = 0; i < ITERATIONS; i++) {
      seedWithConnect.push((await timed(() => withClient(databaseUrl, (c) => c.query(SEED_ENABLE_FEATURE_SQL)))).ms);
      await withClient(databaseUrl, async (c) => {
        await c.query(reset);
        seedStatement.push((await timed(() => c.query(SEED_ENABLE_FEATURE_SQL))).ms);
        await c.query(reset);
      });
    }
    const trip = median(roundTrip);
    const seed = median(seedWithConnect);
    const own = roundTrip.map((t, i) => t - standIns[i]);
    return {
      iterations: String(ITERATIONS),
      "provider create, median ms (login, token check, one batch of reads, one batch of feature rows, cache, settings, default resource)": median(create),
      "provider create, HTTP requests to Creatio + to the Identity Service (target: at most 10 in all)": `${calls.create[0]} + ${calls.create[1]} = ${calls.create[0] + calls.create[1]}`,
      "provider read, median ms (login, one batch: feature states, settings, default resource)": median(read),
      "provider read, HTTP requests to Creatio": String(calls.read[0]),
      "provider delete, median ms (login, settings, one batch of feature rows, cache)": median(remove),
      "provider delete, HTTP requests to Creatio": String(calls.delete[0]),
      "provider create+read+delete round trip, median ms": trip,
      "seed raw SQL UPDATE with pg incl. connect, median ms (baseline)": seed,
      "seed raw SQL UPDATE on an open connection, median ms": median(seedStatement),
      "round trip / baseline (target: at most 3)": trip / seed,
      "of the round trip, answering in the stand-ins (their SQL, sessions, the token check), median ms": median(standIns),
      "of the round trip, the provider's own (requests made, answers read, waits), median ms": median(own),
      "provider's own / baseline": median(own) / seed,
      "HTTP requests per round trip (Creatio + Identity Service)": String(calls.create[0] + calls.create[1] + calls.read[0] + calls.delete[0]),
    };
  } finally {
    pulumi.log.info = info;
    pulumi.log.warn = warn;
    console.error = error;
    await identity.stop();
    await creatio.stop();
    await withClient(adminPgUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  }
}
