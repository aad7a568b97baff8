/**
 * An `up` after a `pulumi destroy` that kept the database (databaseRetainOnDelete): the decision
 * (lib/keptDatabase.ts), the check's provider against the real test PostgreSQL server (roles and
 * databases made as a destroyed stack leaves them) and against real Docker engines (a volume no
 * container uses), and the password step: the exec through the Docker Engine API, and its SQL run
 * by psql against the real server.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { ContainerFindings, CONTAINER_PASSWORD_COMMAND, decideKeptDatabase, ServerFindings } from "../lib/keptDatabase";
import { KeptDatabaseCheckInputs, keptDatabaseCheckProvider } from "../components/keptDatabaseCheck";
import { containerDatabasePasswordProvider } from "../components/containerDatabasePassword";
import { execInContainer, volumeUsage, DockerEngine } from "../lib/dockerEngine";
import { adminUrl } from "./support/pg";
import { connectRealDocker, DOCKER_REQUIRED, RealDockerHost, realDockerHost, TEST_IMAGE, useEnvironment } from "./support/realDocker";

const server = (over: Partial<ServerFindings> = {}): ServerFindings => ({
  kind: "server",
  where: "pg:5432",
  role: "identity_service",
  database: "identity_service",
  roleExists: true,
  databaseExists: true,
  databaseOwner: "identity_service",
  passwordOpensRole: false,
  ...over,
});
const volume = (over: Partial<ContainerFindings> = {}): ContainerFindings => ({
  kind: "container",
  where: "unix:///var/run/docker.sock",
  volume: "dev-data",
  volumeExists: true,
  usedBy: [],
  ...over,
});

describe("the decision", () => {
  test("nothing under the names: the stack creates its database; told to take back, it says there is nothing", () => {
    const none = server({ roleExists: false, databaseExists: false, databaseOwner: undefined, passwordOpensRole: undefined });
    expect(decideKeptDatabase(none, false)).toEqual({ outcome: "none" });
    const refused = decideKeptDatabase(none, true);
    expect(refused).toEqual({
      outcome: "refuse",
      message:
        'databaseTakeBack is set, but there is nothing to take back: no role "identity_service" and no database "identity_service" on pg:5432. Fix: `pulumi config rm databaseTakeBack`, then `pulumi up`.',
    });
    expect(decideKeptDatabase(volume({ volumeExists: false }), false)).toEqual({ outcome: "none" });
    expect(decideKeptDatabase(volume({ volumeExists: false }), true)).toMatchObject({ outcome: "refuse", message: expect.stringContaining('no Docker volume "dev-data"') });
  });

  test("the stack's own database (its password opens the role; its container uses the volume), with or without takeBack: nothing to decide", () => {
    for (const takeBack of [false, true]) {
      expect(decideKeptDatabase(server({ passwordOpensRole: true }), takeBack)).toEqual({ outcome: "none" });
      expect(decideKeptDatabase(volume({ usedBy: ["dev-postgres"] }), takeBack)).toEqual({ outcome: "none" });
    }
    // Refused for another reason than its password (pg_hba.conf): cannot tell, left to the stack as before.
    expect(decideKeptDatabase(server({ passwordOpensRole: undefined }), false)).toEqual({ outcome: "none" });
  });

  test("a kept role and database: the up stops and names the three ways on, as commands", () => {
    const decision = decideKeptDatabase(server(), false);
    expect(decision.outcome).toBe("refuse");
    const message = (decision as { message: string }).message;
    expect(message.split("\n")).toEqual([
      'The PostgreSQL server pg:5432 already has the role "identity_service" and the database "identity_service", and this stack\'s password does not open the role: ' +
        "an earlier `pulumi destroy` kept them (databaseRetainOnDelete), or another stack uses these names. Nothing of the database was created; choose one, then run `pulumi up` again:",
      "- take them back, with their clients, keys and snapshots (this stack gives the role its own password): `pulumi config set databaseTakeBack true`",
      "- use new ones beside them: `pulumi config set databaseName <name>` and `pulumi config set databaseUsername <name>`",
      '- remove them, as the admin role: DROP DATABASE "identity_service"; DROP ROLE "identity_service";',
    ]);
    expect(decideKeptDatabase(server(), true)).toEqual({ outcome: "takeBack", kept: 'the role "identity_service" and the database "identity_service" on pg:5432' });
  });

  test("half a database (a role alone, or a database someone else owns) cannot be taken back: the way on is to remove it or use other names", () => {
    const roleOnly = decideKeptDatabase(server({ databaseExists: false, databaseOwner: undefined }), false) as { message: string };
    expect(roleOnly.message).not.toContain("databaseTakeBack true");
    expect(roleOnly.message).toContain('DROP ROLE "identity_service";');
    expect(roleOnly.message).not.toContain("DROP DATABASE");
    const foreign = decideKeptDatabase(server({ roleExists: false, databaseOwner: "someone", passwordOpensRole: undefined }), true) as { outcome: string; message: string };
    expect(foreign.outcome).toBe("refuse");
    expect(foreign.message).toContain('the database "identity_service" (owned by "someone") (no role "identity_service")');
    expect(foreign.message).toContain("taking back needs the role and a database it owns, both");
  });

  test("a kept volume: the up stops and names both ways on; takeBack takes it", () => {
    const refused = decideKeptDatabase(volume(), false) as { outcome: string; message: string };
    expect(refused.outcome).toBe("refuse");
    expect(refused.message).toContain('already has the volume "dev-data", which no container uses');
    expect(refused.message).toContain("`pulumi config set databaseTakeBack true`");
    expect(refused.message).toContain("- remove it: docker volume rm dev-data");
    expect(decideKeptDatabase(volume(), true)).toEqual({ outcome: "takeBack", kept: 'the Docker volume "dev-data" on unix:///var/run/docker.sock' });
  });
});

/** A role and a database it owns, as a destroyed stack leaves them; dropped after the test. */
async function admin<T>(work: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: adminUrl() });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

describe("KeptDatabaseCheck against a real PostgreSQL server", () => {
  const made: string[] = [];
  const url = () => new URL(adminUrl());
  /** Names of its own per test: role r_<hex>, database d_<hex>. */
  const names = () => {
    const hex = randomBytes(4).toString("hex");
    made.push(hex);
    return { role: `r_${hex}`, database: `d_${hex}` };
  };
  const inputs = (n: { role: string; database: string }, password: string, takeBack = false, adminPassword = decodeURIComponent(url().password)): KeptDatabaseCheckInputs => ({
    server: { host: url().hostname, port: Number(url().port), adminUsername: decodeURIComponent(url().username), sslMode: "disable", databaseName: n.database, username: n.role },
    adminPassword,
    password,
    takeBack,
  });
  const keep = (n: { role: string; database: string }, password: string, withDatabase = true) =>
    admin(async (c) => {
      await c.query(`CREATE ROLE "${n.role}" LOGIN PASSWORD '${password}'`);
      if (withDatabase) await c.query(`CREATE DATABASE "${n.database}" OWNER "${n.role}"`);
    });
  const create = async (i: KeptDatabaseCheckInputs) => ({ outs: (await keptDatabaseCheckProvider.create(i)).outs! });
  const failureOf = async (i: KeptDatabaseCheckInputs): Promise<string> => {
    try {
      await create(i);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error("expected the check to fail");
  };

  afterAll(async () => {
    await admin(async (c) => {
      for (const hex of made) {
        await c.query(`DROP DATABASE IF EXISTS "d_${hex}"`);
        await c.query(`DROP ROLE IF EXISTS "r_${hex}"`);
      }
    });
  });

  test("a fresh server: passes, nothing taken back", async () => {
    const { outs } = await create(inputs(names(), "new-stack-pw"));
    expect(outs.tookBack).toBeUndefined();
  });

  test("an existing stack (its password opens its role): passes, with or without takeBack, so adding the check to a stack changes nothing", async () => {
    const n = names();
    await keep(n, "this-stack-pw");
    expect((await create(inputs(n, "this-stack-pw"))).outs.tookBack).toBeUndefined();
    expect((await create(inputs(n, "this-stack-pw", true))).outs.tookBack).toBeUndefined();
  });

  test("a kept role and database: refused with the ways on, and no password in the words", async () => {
    const n = names();
    await keep(n, "old-stack-pw");
    const message = await failureOf(inputs(n, "new-stack-pw"));
    expect(message).toContain(`already has the role "${n.role}" and the database "${n.database}", and this stack's password does not open the role`);
    expect(message).toContain("`pulumi config set databaseTakeBack true`");
    expect(message).toContain(`DROP DATABASE "${n.database}"; DROP ROLE "${n.role}";`);
    for (const secret of ["old-stack-pw", "new-stack-pw", decodeURIComponent(url().password)]) expect(message).not.toContain(secret);
  });

  test("a kept role and database with takeBack: passes, says so on stderr (which the engine shows), and records what it took", async () => {
    const n = names();
    await keep(n, "old-stack-pw");
    const said: string[] = [];
    const spy = jest.spyOn(console, "error").mockImplementation((m: unknown) => void said.push(String(m)));
    try {
      const { outs } = await create(inputs(n, "new-stack-pw", true));
      expect(outs.tookBack).toBe(`the role "${n.role}" and the database "${n.database}" on ${url().hostname}:${url().port}`);
    } finally {
      spy.mockRestore();
    }
    expect(said).toEqual([expect.stringMatching(/^warning: Taking back the role .* `pulumi config rm databaseTakeBack` is safe/)]);
  });

  test("a kept role without its database, with takeBack: refused, naming what is missing", async () => {
    const n = names();
    await keep(n, "old-stack-pw", false);
    const message = await failureOf(inputs(n, "new-stack-pw", true));
    expect(message).toContain(`has the role "${n.role}" (no database "${n.database}"): taking back needs the role and a database it owns, both`);
  });

  test("takeBack on a fresh server: refused (the import would find nothing)", async () => {
    expect(await failureOf(inputs(names(), "pw", true))).toMatch(/^databaseTakeBack is set, but there is nothing to take back: .* Fix: `pulumi config rm databaseTakeBack`/);
  });

  test("a wrong admin password: the error names the settings to fix, not the password", async () => {
    const message = await failureOf(inputs(names(), "pw", false, "wrong-admin-pw"));
    expect(message).toMatch(
      /^Could not look for a kept Identity Service database on the PostgreSQL server .* \(SQLSTATE 28P01\)\. Fix: check databaseHost, databasePort, databaseAdminUsername, databaseAdminPassword/,
    );
    expect(message).not.toContain("wrong-admin-pw");
  });

  test("later changes are only recorded: the check acted when created", async () => {
    const olds = { ...inputs(names(), "pw"), tookBack: "the role x" };
    const news = { ...inputs(names(), "pw"), takeBack: true };
    expect(await keptDatabaseCheckProvider.diff!("id", olds, news)).toMatchObject({ changes: true, replaces: [] });
    expect((await keptDatabaseCheckProvider.update!("id", olds, news)).outs!).toMatchObject({ takeBack: true, tookBack: "the role x" });
  });
});

describe("the password step's SQL, run by psql against the real server", () => {
  const psql = spawnSync("psql", ["--version"]).status === 0;
  (psql ? test : test.skip)("gives the role the password of POSTGRES_PASSWORD, keeps its data, and the old password stops working", async () => {
    const hex = randomBytes(4).toString("hex");
    const role = `r_${hex}`;
    const database = `d_${hex}`;
    const u = new URL(adminUrl());
    await admin(async (c) => {
      await c.query(`CREATE ROLE "${role}" LOGIN PASSWORD 'oldPassword1'`);
      await c.query(`CREATE DATABASE "${database}" OWNER "${role}"`);
    });
    const as = (password: string) => new Client({ host: u.hostname, port: Number(u.port), user: role, password, database });
    try {
      const before = as("oldPassword1");
      await before.connect();
      await before.query("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('clients and keys')");
      await before.end();
      // As inside the container, except that the old password stands in for the image's local trust.
      const run = spawnSync(CONTAINER_PASSWORD_COMMAND[0], CONTAINER_PASSWORD_COMMAND.slice(1), {
        env: { ...process.env, POSTGRES_USER: role, POSTGRES_DB: database, POSTGRES_PASSWORD: "newPassword2", PGHOST: u.hostname, PGPORT: u.port, PGPASSWORD: "oldPassword1" },
        encoding: "utf8",
      });
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
      const after = as("newPassword2");
      await after.connect();
      expect((await after.query("SELECT v FROM kept")).rows).toEqual([{ v: "clients and keys" }]);
      await after.end();
      const old = as("oldPassword1");
      await expect(old.connect()).rejects.toMatchObject({ code: "28P01" });
      await old.end().catch(() => undefined);
    } finally {
      await admin(async (c) => {
        await c.query(`DROP DATABASE IF EXISTS "${database}"`);
        await c.query(`DROP ROLE IF EXISTS "${role}"`);
      });
    }
  });
});

const kinds = (["socket", "ssh", "tls"] as const).map((kind) => {
  const found = realDockerHost(kind);
  if ("problem" in found && !DOCKER_REQUIRED) process.stdout.write(`\nkept-volume cases on a real Docker engine (${kind}) skipped: ${found.problem}\n\n`);
  return [kind, found, !("problem" in found) || DOCKER_REQUIRED] as const;
});

describe.each(kinds)("a kept volume on a real Docker engine (%s)", (kind, found, available) => {
  const suite = available ? test : test.skip;
  let engine: DockerEngine;
  let host: RealDockerHost;
  const hex = randomBytes(4).toString("hex");
  const volumeName = `creatio-identity-test-data-${hex}`;
  const containerName = `creatio-identity-test-db-${hex}`;
  const checkInputs = (takeBack: boolean): KeptDatabaseCheckInputs => ({ volumeName, dockerHost: host.dockerHost, dockerConnection: host.dockerConnection, takeBack });
  let restoreEnv = () => undefined as void;

  beforeAll(async () => {
    if (!available) return;
    if ("problem" in found) throw new Error(`a real Docker engine (${kind}) is required (CREATIO_TEST_REQUIRE_DOCKER) but: ${found.problem}`);
    host = found;
    restoreEnv = useEnvironment(host.env);
    engine = await connectRealDocker(host);
  }, 120000);
  afterAll(async () => {
    if (engine) {
      for (const name of [containerName, `${containerName}-exec`])
        await engine.docker
          .getContainer(name)
          .remove({ force: true })
          .catch(() => undefined);
      await engine.docker
        .getVolume(volumeName)
        .remove()
        .catch(() => undefined);
      engine.close();
    }
    restoreEnv();
  });

  suite("no volume, a volume no container uses (refused; taken back with takeBack), a volume in use (the stack's own)", async () => {
    expect(await volumeUsage(engine, volumeName)).toEqual({ exists: false, usedBy: [] });
    expect((await keptDatabaseCheckProvider.create(checkInputs(false))).outs!.tookBack).toBeUndefined();

    await engine.docker.createVolume({ Name: volumeName });
    const message = await keptDatabaseCheckProvider.create(checkInputs(false)).then(
      () => "no error",
      (e: Error) => e.message,
    );
    expect(message).toContain(`already has the volume "${volumeName}", which no container uses`);
    expect(message).toContain(`docker volume rm ${volumeName}`);
    jest.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      expect((await keptDatabaseCheckProvider.create(checkInputs(true))).outs!.tookBack).toBe(`the Docker volume "${volumeName}" on ${host.target.address}`);
    } finally {
      jest.restoreAllMocks();
    }

    // A stopped container counts: `docker ps -a`.
    await engine.docker.createContainer({
      name: containerName,
      Image: TEST_IMAGE,
      Cmd: ["sh", "-c", "exec sleep 600"],
      Env: ["POSTGRES_USER=u"],
      HostConfig: { Binds: [`${volumeName}:/data`], NetworkMode: "none", Init: true },
    });
    expect(await volumeUsage(engine, volumeName)).toEqual({ exists: true, usedBy: [containerName] });
    expect((await keptDatabaseCheckProvider.create(checkInputs(false))).outs!.tookBack).toBeUndefined();
  });

  suite("exec in the container: its environment, its output and its exit code; the password step names a failure without the statement", async () => {
    const execName = `${containerName}-exec`;
    await engine.docker.createContainer({
      name: execName,
      Image: TEST_IMAGE,
      Cmd: ["sh", "-c", "exec sleep 600"],
      Env: ["POSTGRES_USER=u"],
      HostConfig: { NetworkMode: "none", Init: true },
    });
    await engine.docker.getContainer(execName).start();
    const ran = await execInContainer(engine, execName, ["sh", "-c", 'echo "user $POSTGRES_USER"; echo oops >&2; exit 3']);
    // stdout and stderr come in two streams, in no fixed order between them.
    expect({ exitCode: ran.exitCode, lines: ran.output.split("\n").sort() }).toEqual({ exitCode: 3, lines: ["oops", "user u"] });
    // The test image has no psql: the step fails, naming the container and the shell's words.
    const message = await containerDatabasePasswordProvider
      .create({
        containerName: execName,
        containerId: "c1",
        dockerHost: host.dockerHost,
        dockerConnection: host.dockerConnection,
      })
      .then(
        () => "no error",
        (e: Error) => e.message,
      );
    expect(message).toMatch(new RegExp(`^Could not give the database in container "${execName}" this stack's password \\(psql exited with 127: .*psql: not found`));
    expect(message).toContain(`docker logs ${execName}`);
    // A missing container is named too.
    await expect(execInContainer(engine, `${execName}-gone`, ["true"])).rejects.toThrow(/Docker could not create an exec in container .*-gone: HTTP 404/);
  });
});
