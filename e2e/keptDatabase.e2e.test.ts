/**
 * The `up` after a `pulumi destroy` that kept the database, under the real Pulumi engine: what it
 * says, and that databaseTakeBack lets it on. KeptDatabaseCheck alone in a stack of its own (server
 * mode), against the real test PostgreSQL holding a role and a database as a destroyed stack leaves
 * them, with another password than this stack's. The PostgreSQL and Docker providers cannot run on
 * these machines, so the import of the role and database that follows the check in a real stack is
 * not part of this run (docs/e2e.md says what is proven where).
 *
 * Then container mode on the real Docker engine (.ci/run starts it): a kept volume no container
 * uses, KeptDatabaseCheck, and ContainerDatabasePassword running its command in a container by
 * `docker exec`. No postgres image can be pulled here, so that container is the busybox test image
 * with a `psql` that records its arguments and its standard input; the same command against a real
 * psql and server is in test/keptDatabase.test.ts.
 */
import { randomBytes } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { Client } from "pg";
import { KeptDatabaseCheck } from "../components/keptDatabaseCheck";
import { ContainerDatabasePassword } from "../components/containerDatabasePassword";
import { DockerEngine, execInContainer } from "../lib/dockerEngine";
import { connectRealDocker, RealDockerHost, realDockerHost, TEST_IMAGE } from "../test/support/realDocker";
import { adminUrl } from "../test/support/pg";
import { describeWhenBuilt, describeWithPulumiTools, pulumiToolsProblem } from "./support/pulumiTools";
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

const docker = realDockerHost("socket");
const VOLUME = `creatio-identity-e2e-kept-${HEX}`;
const DB_CONTAINER = `creatio-identity-e2e-kept-db-${HEX}`;
const CONTAINER_PASSWORD = `pw${randomBytes(12).toString("hex")}`;
/** A psql that records what it was given, in the busybox test image (which has no psql). */
const PSQL_STAND_IN = [
  "/bin/busybox mkdir -p /tmp/bin",
  'printf "%s\\n" "#!/bin/sh" "echo \\"\\$*\\" > /tmp/psql-args" "/bin/busybox cat > /tmp/psql-stdin" > /tmp/bin/psql',
  "/bin/busybox chmod +x /tmp/bin/psql",
  "exec sleep 600",
].join(" && ");

let containerEngine: InlineStack;
let dockerEngine: DockerEngine;
let containerId = "";
let containerTakeBack = false;

async function containerProgram(): Promise<Record<string, unknown>> {
  const host = docker as RealDockerHost;
  const check = new KeptDatabaseCheck("kept-volume-check", { volumeName: VOLUME, dockerHost: host.dockerHost, takeBack: containerTakeBack });
  // As in IdentityDatabase: only with databaseTakeBack, and after the check (there through the volume and the container).
  if (containerTakeBack) new ContainerDatabasePassword("password-set", { containerName: DB_CONTAINER, containerId, dockerHost: host.dockerHost }, { dependsOn: check });
  return { tookBack: check.tookBack };
}

/** The file the psql stand-in wrote, or "" when it has not run. */
async function recorded(file: string): Promise<string> {
  const r = await execInContainer(dockerEngine, DB_CONTAINER, ["sh", "-c", `/bin/busybox cat ${file} 2>/dev/null || true`]);
  return r.output;
}

describeWhenBuilt(
  "a kept Docker volume and the password step, under the Pulumi engine and a real Docker engine",
  pulumiToolsProblem() ?? ("problem" in docker ? `no real Docker engine: ${docker.problem}` : undefined),
  () => {
    beforeAll(async () => {
      await timed("set-up (kept volume, container, workspace)", async () => {
        dockerEngine = await connectRealDocker(docker as RealDockerHost);
        await dockerEngine.docker.createVolume({ Name: VOLUME });
        const container = await dockerEngine.docker.createContainer({
          name: DB_CONTAINER,
          Image: TEST_IMAGE,
          Cmd: ["sh", "-c", PSQL_STAND_IN],
          Env: ["PATH=/tmp/bin:/bin", "POSTGRES_USER=e2e_user", "POSTGRES_DB=e2e_db", `POSTGRES_PASSWORD=${CONTAINER_PASSWORD}`],
          HostConfig: { NetworkMode: "none", Init: true },
        });
        await container.start();
        containerId = container.id;
        for (let i = 0; i < 50 && (await execInContainer(dockerEngine, DB_CONTAINER, ["test", "-x", "/tmp/bin/psql"])).exitCode !== 0; i++)
          await new Promise((r) => setTimeout(r, 100));
        containerEngine = await createInlineStack(`${PROJECT}-container`, containerProgram);
      });
    }, 180000);

    afterAll(async () => {
      if (containerEngine) {
        await containerEngine.stack.destroy().catch(() => undefined);
        await containerEngine.stack.workspace.removeStack(containerEngine.stackName).catch(() => undefined);
        containerEngine.cleanUp();
      }
      if (dockerEngine) {
        await dockerEngine.docker
          .getContainer(DB_CONTAINER)
          .remove({ force: true })
          .catch(() => undefined);
        await dockerEngine.docker
          .getVolume(VOLUME)
          .remove()
          .catch(() => undefined);
        dockerEngine.close();
      }
    }, 180000);

    test("1. up stops at the kept volume, naming docker volume rm and databaseTakeBack", async () => {
      const rec = recorder();
      const failed = await timed("container 1. up (refused)", () =>
        containerEngine.stack.up(rec.opts).then(
          () => undefined,
          (e: Error) => e,
        ),
      );
      expect(failed).toBeInstanceOf(Error);
      const said = `${rec.output}\n${diagnosticsOf(rec.events)}`;
      expect(said).toContain(`already has the volume "${VOLUME}", which no container uses`);
      expect(said).toContain(`docker volume rm ${VOLUME}`);
      expect(said).toContain("pulumi config set databaseTakeBack true");
    }, 240000);

    test("2. with databaseTakeBack: the check takes the volume, and the password step runs psql in the container with the container's own password on its stdin", async () => {
      containerTakeBack = true;
      const rec = recorder();
      const result = await timed("container 2. up (takeBack)", () => containerEngine.stack.up(rec.opts));
      expect(changesOf(result.summary.resourceChanges)).toEqual({ create: 2 });
      expect(diagnosticsOf(rec.events)).toContain(`warning: Taking back the Docker volume "${VOLUME}"`);
      expect(await recorded("/tmp/psql-args")).toBe("-v ON_ERROR_STOP=1 --no-psqlrc -q -U e2e_user -d e2e_db");
      expect(await recorded("/tmp/psql-stdin")).toBe(`ALTER ROLE CURRENT_USER WITH PASSWORD '${CONTAINER_PASSWORD}';`);
      // The password was the container's: neither the engine's output nor the state has it.
      expect(labelsFoundIn(`${rec.output}\n${diagnosticsOf(rec.events)}`, { "container password": CONTAINER_PASSWORD })).toEqual([]);
      expect(labelsFoundIn(JSON.stringify(await exportWithoutSecrets(containerEngine)), { "container password": CONTAINER_PASSWORD })).toEqual([]);
    }, 240000);

    test("3. a second up with nothing changed plans nothing and runs nothing in the container", async () => {
      await execInContainer(dockerEngine, DB_CONTAINER, ["/bin/busybox", "rm", "-f", "/tmp/psql-stdin"]);
      const result = await timed("container 3. up (unchanged)", () => containerEngine.stack.up(recorder().opts));
      expect(changesOf(result.summary.resourceChanges)).toEqual({});
      expect(await recorded("/tmp/psql-stdin")).toBe("");
    }, 240000);
  },
);
