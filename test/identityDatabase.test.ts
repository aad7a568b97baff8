import * as pulumi from "@pulumi/pulumi";
import { IdentityDatabase, IdentityDatabaseArgs } from "../components/identityDatabase";
import { checkSuppliedConnectionString } from "../lib/connectionString";
import { parseNpgsqlConnectionString } from "../lib/connectionString";
import { installMocks, only, RecordedResource, secretValueOf, settle, valueOf } from "./support/mocks";
import { twoRuns } from "./support/determinism";

const COMPONENT = "creatio:identity:IdentityDatabase";
const PASSWORD = "p".repeat(32); // what the default RandomPassword faker returns for length 32

/** Builds the component under fresh mocks; records which provider each resource was registered with. */
async function build(args: IdentityDatabaseArgs, name = "db") {
  const providers: Record<string, string | undefined> = {};
  const capture = (a: pulumi.runtime.MockResourceArgs) => {
    providers[a.name] = a.provider;
    return {};
  };
  const resources = installMocks({ fakers: { "postgresql:index/role:Role": capture, "postgresql:index/database:Database": capture } });
  const db = new IdentityDatabase(name, args);
  const outputs = {
    dbProvider: await valueOf(db.dbProvider),
    connectionString: await secretValueOf(db.connectionString),
    connectionStringFromHost: await secretValueOf(db.connectionStringFromHost),
    networkName: await valueOf(db.networkName),
    keptOnDelete: await secretValueOf(db.keptOnDelete),
  };
  await settle();
  const children = resources.filter((r) => r.type !== COMPONENT);
  return { resources, children, outputs, providers };
}

const kinds = (rs: RecordedResource[]) => rs.map((r) => `${r.type} ${r.name}`).sort();
/** Inputs as the engine saw them, for comparing two runs. */

/** Runs `fn` and returns the message it threw (or fails the test when it did not throw). */
function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected an error");
}

describe("container mode (dev)", () => {
  test("children and their inputs with the defaults", async () => {
    const { children } = await build({ container: {} });
    expect(kinds(children)).toEqual(
      [
        "random:index/randomPassword:RandomPassword db-password",
        "docker:index/network:Network db-network",
        "docker:index/remoteImage:RemoteImage db-postgres-image",
        "docker:index/volume:Volume db-data",
        "docker:index/container:Container db-postgres",
        "pulumi-nodejs:dynamic/creatio-identity:KeptDatabaseCheck db-kept-check",
      ].sort(),
    );
    expect(only(children, "random:index/randomPassword:RandomPassword").inputs).toEqual({ length: 32, special: false });
    expect(only(children, "docker:index/network:Network").inputs).toEqual({ name: "db-network" });
    expect(only(children, "docker:index/remoteImage:RemoteImage").inputs).toEqual({ name: "postgres:16-alpine", keepLocally: true });
    expect(only(children, "docker:index/volume:Volume").inputs).toEqual({ name: "db-data" });

    const container = only(children, "docker:index/container:Container");
    expect(container.inputs).toEqual({
      name: "db-postgres",
      image: "sha256:fake-postgres:16-alpine",
      envs: ["POSTGRES_DB=identity_service", "POSTGRES_USER=identity_service", `POSTGRES_PASSWORD=${PASSWORD}`],
      volumes: [{ volumeName: "db-data", containerPath: "/var/lib/postgresql/data" }],
      networksAdvanced: [{ name: "db-network", aliases: ["db-postgres"] }],
      ports: [{ internal: 5432, external: 55432, ip: "127.0.0.1", protocol: "tcp" }],
      restart: "unless-stopped",
      healthcheck: {
        tests: ["CMD", "pg_isready", "-h", "127.0.0.1", "-p", "5432", "-U", "identity_service", "-d", "identity_service"],
        interval: "5s",
        timeout: "5s",
        retries: 12,
        startPeriod: "30s",
      },
      wait: true,
      waitTimeout: 180,
    });
    // The password travels in the environment: it must reach the engine as a secret.
    expect([...container.secretInputs]).toEqual(["envs"]);
  });

  test("outputs: the in-network string, the host string on 127.0.0.1, both secret, and the network", async () => {
    const { outputs } = await build({ container: {} });
    expect(outputs.dbProvider).toBe("Postgres");
    expect(outputs.networkName).toBe("db-network");
    expect(outputs.connectionString).toEqual({
      value: `Host=db-postgres;Port=5432;Database=identity_service;Username=identity_service;Password=${PASSWORD}`,
      secret: true,
    });
    expect(outputs.connectionStringFromHost).toEqual({
      value: `Host=127.0.0.1;Port=55432;Database=identity_service;Username=identity_service;Password=${PASSWORD}`,
      secret: true,
    });
  });

  test("every setting reaches the container and both strings", async () => {
    const { children, outputs } = await build(
      { container: { image: "postgres:17-alpine", containerName: "is-pg", databaseName: "is db", username: "is_user", hostPort: pulumi.output(15432) } },
      "x",
    );
    expect(only(children, "docker:index/remoteImage:RemoteImage", "x-postgres-image").inputs.name).toBe("postgres:17-alpine");
    const c = only(children, "docker:index/container:Container", "x-postgres").inputs;
    expect(c.name).toBe("is-pg");
    expect(c.envs.slice(0, 2)).toEqual(["POSTGRES_DB=is db", "POSTGRES_USER=is_user"]);
    expect(c.networksAdvanced).toEqual([{ name: "x-network", aliases: ["is-pg"] }]);
    expect(c.ports).toEqual([{ internal: 5432, external: 15432, ip: "127.0.0.1", protocol: "tcp" }]);
    expect(c.healthcheck.tests.slice(-4)).toEqual(["-U", "is_user", "-d", "is db"]);
    expect(parseNpgsqlConnectionString(outputs.connectionString.value)).toEqual({ host: "is-pg", port: 5432, database: "is db", username: "is_user", password: PASSWORD });
    expect(parseNpgsqlConnectionString(outputs.connectionStringFromHost.value)).toEqual({
      host: "127.0.0.1",
      port: 15432,
      database: "is db",
      username: "is_user",
      password: PASSWORD,
    });
  });

  test("bad settings are named", () => {
    installMocks();
    expect(messageOf(() => new IdentityDatabase("db", { container: { hostPort: 70000 } }))).toMatch(/container\.hostPort must be a TCP port/);
    expect(messageOf(() => new IdentityDatabase("db", { container: { containerName: "-pg" } }))).toMatch(/container\.containerName must be a Docker container name/);
    expect(messageOf(() => new IdentityDatabase("db", { container: { username: " " } }))).toMatch(/container\.username must be a non-empty string/);
  });
});

describe("server mode (an existing PostgreSQL server)", () => {
  const server = { host: "pg.example.com", adminUsername: "admin", adminPassword: pulumi.secret("admin-pw") };

  test("children: password, a non-superuser provider, a login role and a database it owns", async () => {
    const { children, providers } = await build({ server });
    expect(kinds(children)).toEqual(
      [
        "random:index/randomPassword:RandomPassword db-password",
        "pulumi:providers:postgresql db-provider",
        "postgresql:index/role:Role db-role",
        "postgresql:index/database:Database db-db",
        "pulumi-nodejs:dynamic/creatio-identity:KeptDatabaseCheck db-kept-check",
      ].sort(),
    );
    expect(only(children, "random:index/randomPassword:RandomPassword").inputs).toEqual({ length: 32, special: false });
    const provider = only(children, "pulumi:providers:postgresql");
    // Provider configuration reaches the engine as strings.
    expect(provider.inputs).toMatchObject({ host: "pg.example.com", port: "5432", username: "admin", password: "admin-pw", database: "postgres", superuser: "false" });
    expect(provider.inputs.sslmode).toBeUndefined();
    expect(provider.secretInputs.has("password")).toBe(true);

    const role = only(children, "postgresql:index/role:Role");
    expect(role.inputs).toEqual({ name: "identity_service", login: true, password: PASSWORD });
    expect([...role.secretInputs]).toEqual(["password"]);
    expect(only(children, "postgresql:index/database:Database").inputs).toEqual({ name: "identity_service", owner: "identity_service" });
    // Both go through the admin connection, not the default (ambient PG* variables) provider.
    expect(providers["db-role"]).toMatch(/::db-provider::db-provider-id$/);
    expect(providers["db-db"]).toMatch(/::db-provider::db-provider-id$/);
  });

  test("outputs: the Npgsql string for the new role, secret, and the same from the host", async () => {
    const { outputs } = await build({ server: { ...server, port: 6432, databaseName: "ids", username: "ids_login" } });
    expect(outputs.dbProvider).toBe("Postgres");
    expect(outputs.networkName).toBeUndefined();
    expect(outputs.connectionString).toEqual({ value: `Host=pg.example.com;Port=6432;Database=ids;Username=ids_login;Password=${PASSWORD}`, secret: true });
    expect(outputs.connectionStringFromHost).toEqual(outputs.connectionString);
  });

  test.each([
    ["require", "require", ";SSL Mode=Require;Trust Server Certificate=true"],
    ["verify-full", "verify-full", ";SSL Mode=VerifyFull"],
    ["VerifyCA", "verify-ca", ";SSL Mode=VerifyCA"],
    ["disable", "disable", ";SSL Mode=Disable"],
  ])("sslMode %s: libpq %s for the provider, Npgsql settings for the Identity Service", async (sslMode, libpq, npgsql) => {
    const { children, outputs } = await build({ server: { ...server, sslMode } });
    expect(only(children, "pulumi:providers:postgresql").inputs.sslmode).toBe(libpq);
    expect(outputs.connectionString.value.endsWith(`Password=${PASSWORD}${npgsql}`)).toBe(true);
  });

  test("bad settings are named", () => {
    installMocks();
    expect(messageOf(() => new IdentityDatabase("db", { server: { ...server, sslMode: "on" } }))).toMatch(
      /server\.sslMode must be one of disable, allow, prefer, require, verify-ca, verify-full/,
    );
    expect(messageOf(() => new IdentityDatabase("db", { server: { ...server, port: 0 } }))).toMatch(/server\.port must be a TCP port/);
    expect(messageOf(() => new IdentityDatabase("db", { server: { ...server, host: "" } }))).toMatch(/server\.host must be a non-empty string/);
  });
});

describe("databaseRetainOnDelete: what pulumi destroy keeps, and says it keeps", () => {
  const server = { host: "pg.example.com", adminUsername: "admin", adminPassword: pulumi.secret("admin-pw") };

  test("server mode keeps the role and the database by default, and says how to remove them (no secret in the words)", async () => {
    const { children, outputs } = await build({ server });
    expect(only(children, "postgresql:index/role:Role").options.retainOnDelete).toBe(true);
    expect(only(children, "postgresql:index/database:Database").options.retainOnDelete).toBe(true);
    // The password and the provider are the stack's own: nothing to keep.
    expect(only(children, "random:index/randomPassword:RandomPassword").options.retainOnDelete).toBe(false);
    expect(outputs.keptOnDelete).toEqual({
      secret: false,
      value: expect.stringMatching(
        /^pulumi destroy kept the Identity Service database "identity_service" and its role "identity_service" on pg\.example\.com:5432 .*DROP DATABASE "identity_service"; DROP ROLE "identity_service";/,
      ),
    });
    expect(outputs.keptOnDelete.value).not.toContain("admin-pw");
    // And how the next `up` gets it back.
    expect(outputs.keptOnDelete.value).toContain("`pulumi config set databaseTakeBack true`, then `pulumi up`");
  });

  test("container mode keeps the data volume by default; false deletes everything with the stack", async () => {
    const kept = await build({ container: {} });
    expect(only(kept.children, "docker:index/volume:Volume").options.retainOnDelete).toBe(true);
    expect(only(kept.children, "docker:index/container:Container").options.retainOnDelete).toBe(false);
    expect(kept.outputs.keptOnDelete.value).toMatch(/^pulumi destroy kept the Docker volume "db-data" .*docker volume rm db-data.*`pulumi config set databaseTakeBack true`/);
    const gone = await build({ container: {}, retainOnDelete: false });
    expect(only(gone.children, "docker:index/volume:Volume").options.retainOnDelete).toBe(false);
    expect(gone.outputs.keptOnDelete.value).toBeUndefined();
    const serverGone = await build({ server, retainOnDelete: false });
    expect(serverGone.children.filter((c) => c.options.retainOnDelete)).toEqual([]);
  });
});

describe("databaseTakeBack: an up after a destroy that kept the database", () => {
  const server = { host: "pg.example.com", port: 6432, adminUsername: "admin", adminPassword: pulumi.secret("admin-pw"), sslMode: "verify-full" };
  const CHECK = "pulumi-nodejs:dynamic/creatio-identity:KeptDatabaseCheck";
  const PASSWORD_SET = "pulumi-nodejs:dynamic/creatio-identity:ContainerDatabasePassword";
  /** The names of the resources `r` depends on (the last part of each URN). */
  const dependencies = (r: RecordedResource) => r.options.dependencies.map((urn) => urn.split("::").pop());

  test("server mode: the check looks first, with the admin login and the stack's password, both secret", async () => {
    const { children } = await build({ server });
    const check = only(children, CHECK);
    expect(check.inputs).toMatchObject({
      server: { host: "pg.example.com", port: 6432, adminUsername: "admin", sslMode: "verify-full", databaseName: "identity_service", username: "identity_service" },
      adminPassword: "admin-pw",
      password: PASSWORD,
      takeBack: false,
    });
    expect([...check.secretInputs].sort()).toEqual(["adminPassword", "password"]);
    expect([...check.options.additionalSecretOutputs].sort()).toEqual(["adminPassword", "password"]);
    // The role and the database wait for it, and import nothing.
    for (const type of ["postgresql:index/role:Role", "postgresql:index/database:Database"]) {
      const r = only(children, type);
      expect(dependencies(r)).toContain("db-kept-check");
      expect(r.options.importId).toBe("");
    }
  });

  test("server mode, takeBack: the role and the database are imported by their names (a no-op for a stack that has them)", async () => {
    const { children } = await build({ server: { ...server, databaseName: "ids", username: "ids_login" }, takeBack: true });
    expect(only(children, CHECK).inputs.takeBack).toBe(true);
    expect(only(children, "postgresql:index/role:Role").options.importId).toBe("ids_login");
    expect(only(children, "postgresql:index/database:Database").options.importId).toBe("ids");
    // The role keeps this stack's password as an input: after the import, the engine updates the kept role to it.
    expect(only(children, "postgresql:index/role:Role").inputs.password).toBe(PASSWORD);
  });

  test("server mode, takeBack with a name only known later: refused, naming the setting", () => {
    installMocks();
    expect(messageOf(() => new IdentityDatabase("db", { server: { ...server, username: pulumi.output("later") }, takeBack: true }))).toMatch(
      /with takeBack, server\.username must be a plain string/,
    );
  });

  test("container mode: the check looks for the volume on the stack's Docker engine before the volume is made; no password step", async () => {
    const connection = { sshOpts: ["-i", "/k"] };
    const { children } = await build({ container: { volumeName: "stack-data", dockerHost: "ssh://me@h", dockerConnection: connection } });
    const check = only(children, CHECK);
    expect(check.inputs).toMatchObject({ volumeName: "stack-data", dockerHost: "ssh://me@h", dockerConnection: connection, takeBack: false });
    expect(check.inputs.server).toBeUndefined();
    // The connection settings may hold a key: stored encrypted.
    expect(check.options.additionalSecretOutputs).toEqual(["dockerConnection"]);
    expect(dependencies(only(children, "docker:index/volume:Volume"))).toContain("db-kept-check");
    expect(children.filter((c) => c.type === PASSWORD_SET)).toEqual([]);
  });

  test("container mode, takeBack: the password step runs in the new container, and the strings wait for it", async () => {
    const { children, outputs } = await build({ container: {}, takeBack: true });
    const step = only(children, PASSWORD_SET);
    expect(step.inputs).toMatchObject({ containerName: "db-postgres", containerId: expect.any(String) });
    expect(dependencies(step)).toContain("db-postgres");
    expect(outputs.connectionString.value).toMatch(/^Host=db-postgres;Port=5432;/);
  });
});

describe("supplied connection string", () => {
  test("PostgreSQL: passed through unchanged, secret, no children", async () => {
    const value = `Host=pg;Port=5432;Database=ids;Username=u;Password="a;b""c'd";Pooling=true`;
    const { children, outputs } = await build({ connectionString: { provider: "Postgres", value } });
    expect(children).toEqual([]);
    expect(outputs.dbProvider).toBe("Postgres");
    expect(outputs.connectionString).toEqual({ value, secret: true });
    expect(outputs.connectionStringFromHost).toEqual({ value, secret: true });
    expect(outputs.networkName).toBeUndefined();
  });

  test("MS SQL from a secret: passed through unchanged and still secret", async () => {
    const value = "Data Source=sql,1433;Initial Catalog=ids;User ID=sa;Password='x\"y'";
    const { children, outputs } = await build({ connectionString: { provider: "MsSqlServer", value: pulumi.secret(value) } });
    expect(children).toEqual([]);
    expect(outputs.dbProvider).toBe("MsSqlServer");
    expect(outputs.connectionString).toEqual({ value, secret: true });
  });

  // Each value holds distinctive parts that must not appear in the error.
  test.each([
    ["Postgres", `Host=h0st-zq;Database=dbzq;Username=uzq;Password="pwzq`, /unterminated quoted value/],
    ["Postgres", "Host=h0st-zq;Username=uzq;Password=pwzq", /no Database/],
    ["Postgres", "h0st-zq pwzq", /a key without '='/],
    ["Postgres", "Host=h0st-zq;Port=pwzq;Database=dbzq;Username=uzq", /invalid Port/],
    ["Postgres", "   ", /it is empty/],
    ["MsSqlServer", "Server=h0st-zq;Database=dbzq;Password=pwzq", /no User Id/],
    ["MsSqlServer", "Server=h0st-zq,pwzq;Database=dbzq;User Id=uzq", /invalid Server/],
    ["MsSqlServer", "Database=dbzq;User Id=uzq;Password=pwzq", /no Server/],
  ] as const)("malformed %s string %#: the error names databaseConnectionString, never the value", (provider, value, why) => {
    installMocks();
    const message = messageOf(() => new IdentityDatabase("db", { connectionString: { provider, value } }));
    expect(message).toMatch(/^databaseConnectionString is not a usable /);
    expect(message).toMatch(why);
    expect(message).toContain("pulumi config set --secret databaseConnectionString");
    expect(message).not.toMatch(/zq/);
    // The same check, as it runs when the value is a secret Output and resolves later.
    expect(messageOf(() => checkSuppliedConnectionString(provider, value))).toBe(message);
  });

  test("MS SQL without User Id is fine with Integrated Security or Authentication", () => {
    expect(checkSuppliedConnectionString("MsSqlServer", "Server=s;Database=d;Integrated Security=SSPI")).toBe("Server=s;Database=d;Integrated Security=SSPI");
    expect(checkSuppliedConnectionString("MsSqlServer", "Server=s;Database=d;Authentication=ActiveDirectoryMsi")).toBe("Server=s;Database=d;Authentication=ActiveDirectoryMsi");
  });

  test("an unknown provider is refused", () => {
    installMocks();
    expect(messageOf(() => new IdentityDatabase("db", { connectionString: { provider: "Oracle" as any, value: "Host=h;Database=d;Username=u" } }))).toMatch(
      /connectionString\.provider must be "Postgres" or "MsSqlServer"/,
    );
  });
});

describe("mode selection", () => {
  test("no mode: the error names the three options", () => {
    installMocks();
    const message = messageOf(() => new IdentityDatabase("db", {}));
    expect(message).toMatch(/set exactly one of container .*, server .* or connectionString/);
    expect(message).toMatch(/none is set/);
  });

  test("two modes: the error names both", () => {
    installMocks();
    const message = messageOf(
      () => new IdentityDatabase("db", { container: {}, connectionString: { provider: "Postgres", value: "Host=h;Database=d;Username=u;Password=s3cr3t" } }),
    );
    expect(message).toMatch(/container and connectionString are set/);
    expect(message).not.toContain("s3cr3t");
  });
});

describe("determinism", () => {
  test.each<[string, IdentityDatabaseArgs]>([
    ["container", { container: { hostPort: 5999 } }],
    ["server", { server: { host: "pg", adminUsername: "a", adminPassword: "b", sslMode: "require" } }],
    ["connectionString", { connectionString: { provider: "MsSqlServer", value: "Server=s;Database=d;User Id=u;Password=p" } }],
  ])("%s: two runs with the same args give identical inputs and outputs", async (_mode, args) => {
    const outputs: unknown[] = [];
    const { first, second } = await twoRuns(async () => {
      const built = await build(args);
      outputs.push(built.outputs);
      return built.resources;
    });
    expect(second).toEqual(first);
    expect(outputs[1]).toEqual(outputs[0]);
  });
});
