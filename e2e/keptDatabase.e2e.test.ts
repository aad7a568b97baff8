/**
 * The `up` after a `pulumi destroy` that kept the database, under the real Pulumi engine: what it
 * says, and that databaseTakeBack lets it on. KeptDatabaseCheck alone in a stack of its own (server
 * mode), against the real test PostgreSQL holding a role and a database as a destroyed stack leaves
 * them, with another password than this stack's. The PostgreSQL and Docker providers cannot run on
 * these machines, so the import of the role and database that follows the check in a real stack is
 * not part of this run (docs/e2e.md says what is proven where).
 */
import { randomBytes } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { Client } from "pg";
import { KeptDatabaseCheck } from "../components/keptDatabaseCheck";
import { adminUrl } from "../test/support/pg";
import { describeWithPulumiTools } from "./support/pulumiTools";
import { changesOf, createInlineStack, diagnosticsOf, exportWithoutSecrets, InlineStack, recorder, resourcesNamed } from "./support/inlineStack";
import { labelsFoundIn } from "./support/stateSecrets";
import { stepTimer } from "./support/timings";

const PROJECT = "creatio-identity-e2e-kept-database";
const HEX = randomBytes(4).toString("hex");
const ROLE = `kept_role_${HEX}`;
const DATABASE = `kept_db_${HEX}`;
const OLD_PASSWORD = `old${randomBytes(12).toString("hex")}`;
const NEW_PASSWORD = `new${randomBytes(12).toString("hex")}`;
const CHECK = "kept-database-check";

let engine: InlineStack;
/** What the next `up` runs with: the stack's `databaseTakeBack`. */
let takeBack = false;
const timed = stepTimer("e2e kept database");

async function program(): Promise<Record<string, unknown>> {
  const admin = new URL(adminUrl());
  const check = new KeptDatabaseCheck(CHECK, {
    server: { host: admin.hostname, port: Number(admin.port), adminUsername: decodeURIComponent(admin.username), sslMode: "disable", databaseName: DATABASE, username: ROLE },
    adminPassword: pulumi.secret(decodeURIComponent(admin.password)),
    password: pulumi.secret(NEW_PASSWORD),
    takeBack,
  });
  return { tookBack: check.tookBack };
}

async function asAdmin(sql: string): Promise<void> {
  const c = new Client({ connectionString: adminUrl() });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

const secrets = () => ({ "old password": OLD_PASSWORD, "new password": NEW_PASSWORD, "admin password": decodeURIComponent(new URL(adminUrl()).password) });

describeWithPulumiTools("an up after a destroy that kept the database, under the Pulumi engine", () => {
  beforeAll(async () => {
    await timed("set-up (kept role and database, workspace)", async () => {
      await asAdmin(`CREATE ROLE "${ROLE}" LOGIN PASSWORD '${OLD_PASSWORD}'`);
      await asAdmin(`CREATE DATABASE "${DATABASE}" OWNER "${ROLE}"`);
      engine = await createInlineStack(PROJECT, program);
    });
  }, 180000);

  afterAll(async () => {
    if (engine) {
      await engine.stack.destroy().catch(() => undefined);
      await engine.stack.workspace.removeStack(engine.stackName).catch(() => undefined);
      engine.cleanUp();
    }
    await asAdmin(`DROP DATABASE IF EXISTS "${DATABASE}"`);
    await asAdmin(`DROP ROLE IF EXISTS "${ROLE}"`);
  }, 180000);

  test("1. up stops, and the engine's output names what it found and the ways on, without a password", async () => {
    const rec = recorder();
    const failed = await timed("1. up (refused)", () =>
      engine.stack.up(rec.opts).then(
        () => undefined,
        (e: Error) => e,
      ),
    );
    expect(failed).toBeInstanceOf(Error);
    const said = `${rec.output}\n${diagnosticsOf(rec.events)}`;
    expect(said).toContain(`already has the role "${ROLE}" and the database "${DATABASE}", and this stack's password does not open the role`);
    expect(said).toContain("pulumi config set databaseTakeBack true");
    expect(said).toContain(`DROP DATABASE "${DATABASE}"; DROP ROLE "${ROLE}";`);
    expect(labelsFoundIn(said, secrets())).toEqual([]);
    // Nothing recorded: the next up runs the check again.
    expect(resourcesNamed(await engine.stack.exportStack(), CHECK)).toEqual([]);
  }, 240000);

  test("2. with databaseTakeBack the up goes on, says once that it takes them back, and records what", async () => {
    takeBack = true;
    const rec = recorder();
    const result = await timed("2. up (takeBack)", () => engine.stack.up(rec.opts));
    // The stack itself was recorded by the refused up; the check is the one new resource.
    expect(changesOf(result.summary.resourceChanges)).toEqual({ create: 1 });
    expect(diagnosticsOf(rec.events)).toMatch(
      new RegExp(`warning: Taking back the role "${ROLE}" and the database "${DATABASE}" on .*\`pulumi config rm databaseTakeBack\` is safe`),
    );
    expect(result.outputs.tookBack.value).toMatch(new RegExp(`^the role "${ROLE}" and the database "${DATABASE}" on `));
    const state = await exportWithoutSecrets(engine);
    expect(labelsFoundIn(JSON.stringify(state), secrets())).toEqual([]);
  }, 240000);

  test("3. databaseTakeBack removed: the change is recorded, nothing is checked or said again", async () => {
    takeBack = false;
    const rec = recorder();
    const result = await timed("3. up (takeBack removed)", () => engine.stack.up(rec.opts));
    expect(changesOf(result.summary.resourceChanges)).toEqual({ update: 1 });
    expect(diagnosticsOf(rec.events)).not.toContain("Taking back");
    expect(result.outputs.tookBack.value).toMatch(/^the role /);
  }, 240000);
});
