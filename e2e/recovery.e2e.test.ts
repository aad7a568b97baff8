/**
 * Recovery after a create that failed halfway, under the real Pulumi engine: CreatioOAuthIntegration
 * alone in a stack of its own, against the Creatio stand-in (on its own database) and the Identity
 * Service stand-in. Creatio stops answering right after the first feature row is written, so the
 * create cannot finish and cannot undo it either: the provider reports Pulumi's partial state. What
 * the README promises then must work: `pulumi refresh` reads the resource back (the engine loads the
 * provider from the partial state, which must hold it), and `pulumi destroy` puts Creatio back.
 */
import { randomBytes } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { CreatioOAuthIntegration } from "../components/creatioOAuthIntegration";
import { PROVIDER_KEY } from "../lib/undo";
import { createTestDatabase, query, TestDatabase } from "../test/support/pg";
import { CreatioStandIn, loadCreatioFixture, startCreatioStandIn } from "../test/support/creatioStandIn";
import { IdentityServiceStandIn, startIdentityServiceStandIn } from "../test/support/identityServiceStandIn";
import { describeWithPulumiTools } from "./support/pulumiTools";
import { isEncryptedSecret, labelsFoundIn } from "./support/stateSecrets";
import { changesOf, createInlineStack, exportWithoutSecrets, InlineStack, recorder, resourcesNamed } from "./support/inlineStack";
import { stepTimer } from "./support/timings";

const PROJECT = "creatio-identity-e2e-recovery";
const CLIENT_ID = "e2eRecoveryClnt1"; // 16 characters
const CLIENT_SECRET = randomBytes(16).toString("hex");
const CREATIO_PASSWORD = `Cr3atio-${randomBytes(8).toString("hex")}`;
const INTEGRATION = "recovery-creatio-oauth";

let creatioDb: TestDatabase;
let creatio: CreatioStandIn;
let identity: IdentityServiceStandIn;
let engine: InlineStack;
let creatioAsFound: unknown;
const timed = stepTimer("e2e recovery");

async function program(): Promise<Record<string, unknown>> {
  const integration = new CreatioOAuthIntegration(INTEGRATION, {
    identityServerUrl: identity.url,
    clientId: CLIENT_ID,
    clientSecret: pulumi.secret(CLIENT_SECRET),
    creatio: { url: creatio.url, username: "Supervisor", password: pulumi.secret(CREATIO_PASSWORD) },
    readinessTimeoutSeconds: 30,
  });
  return { complete: integration.id };
}

async function creatioRows(): Promise<unknown> {
  return {
    states: await query(creatioDb.url, `SELECT "Id"::text, "SysAdminUnitId"::text, "FeatureState" FROM "AdminUnitFeatureState" ORDER BY "Id"`),
    values: await query(creatioDb.url, `SELECT "Id"::text, "SysSettingsId"::text, "TextValue" FROM "SysSettingsValue" WHERE "TextValue" <> '' ORDER BY "Id"`),
  };
}

const integrationState = async () => resourcesNamed(await engine.stack.exportStack(), INTEGRATION);
const secrets = () => ({ "Creatio password": CREATIO_PASSWORD, "client secret": CLIENT_SECRET });

describeWithPulumiTools("recovery after a create that failed halfway, under the Pulumi engine", () => {
  beforeAll(async () => {
    await timed("set-up (database, stand-ins, workspace)", async () => {
      creatioDb = await createTestDatabase("e2e_recovery_creatio");
      await loadCreatioFixture(creatioDb.url);
      creatioAsFound = await creatioRows();
      identity = await startIdentityServiceStandIn({ clients: [{ clientId: CLIENT_ID, secret: CLIENT_SECRET }] });
      creatio = await startCreatioStandIn({ databaseUrl: creatioDb.url, password: CREATIO_PASSWORD });
      engine = await createInlineStack(PROJECT, program);
    });
  });

  afterAll(async () => {
    await Promise.allSettled([identity?.stop(), creatio?.stop()]);
    await creatioDb?.drop().catch(() => undefined);
    engine?.cleanUp();
    timed.printAll();
  });

  it("1. a create that Creatio stops answering halfway leaves a partial state with the provider in it", async () => {
    // The feature rows are written (a BatchQuery with the InsertQuery), then Creatio is gone: the cache clear after it
    // fails, and so does the undo that would delete the row again.
    creatio.options.dieAfter = (r) => !!r.items?.includes("InsertQuery AppFeatureState");
    const failing = recorder();
    await expect(timed("1. up (Creatio dies halfway)", () => engine.stack.up(failing.opts))).rejects.toThrow(/Putting Creatio back did not finish/);
    creatio.options.dieAfter = undefined;
    await creatio.revive();
    expect(await creatioRows()).not.toEqual(creatioAsFound);
    const [partial] = await integrationState();
    expect(partial.outputs.complete).toBe(false);
    expect(partial.outputs.insertedFeatureStateIds).toHaveLength(1);
    // What refresh and destroy need to load the provider, and the secrets still encrypted.
    expect(typeof partial.outputs[PROVIDER_KEY]).toBe("string");
    expect(partial.outputs[PROVIDER_KEY]).toMatch(/exports\.handler = __f\d+;/);
    const stored = await exportWithoutSecrets(engine);
    expect(isEncryptedSecret(resourcesNamed(stored, INTEGRATION)[0].outputs.creatio)).toBe(true);
    expect(labelsFoundIn(JSON.stringify(stored), secrets())).toEqual([]);
    expect(labelsFoundIn(failing.output, secrets())).toEqual([]);
  });

  it("2. refresh reads the partially created resource back", async () => {
    const rec = recorder();
    const refreshed = await timed("2. refresh", () => engine.stack.refresh(rec.opts));
    expect(refreshed.summary.result).toBe("succeeded");
    expect(changesOf(refreshed.summary.resourceChanges)).not.toHaveProperty("delete");
    const [after] = await integrationState();
    expect(after.outputs.complete).toBe(false);
    expect(labelsFoundIn(rec.output, secrets())).toEqual([]);
  });

  it("3. destroy puts Creatio back as it was found", async () => {
    const rec = recorder();
    const destroyed = await timed("3. destroy", () => engine.stack.destroy(rec.opts));
    expect(destroyed.summary.result).toBe("succeeded");
    expect(await creatioRows()).toEqual(creatioAsFound);
    expect(await integrationState()).toEqual([]);
    expect(labelsFoundIn(rec.output, secrets())).toEqual([]);
    await engine.stack.workspace.removeStack(engine.stackName);
  });
});
