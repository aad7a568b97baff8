import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, only, pfxBundleFaker, secretValueOf, valueOf, settle } from "./support/mocks";
import { parseStackConfig, PROJECT } from "../config";
import { createIdentityStack } from "../stack";
import { IDENTITY_CLIENT_SYNC_TYPE } from "../components/identityClientSync";
import { PFX_BUNDLE_TYPE } from "../components/pfxBundle";
import * as pfxLib from "../lib/pfx";
import { testCertificate, testPfx } from "./support/pfxFixtures";
import { twoRuns } from "./support/determinism";
import { CREATIO_OAUTH_INTEGRATION_TYPE } from "../components/creatioOAuthIntegration";
import { expectSerializedProviders } from "./support/unserializedProviders";
import { COMPONENT_TYPES } from "../lib/typeTokens";

const projectDir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-"));
afterAll(() => fs.rmSync(projectDir, { recursive: true, force: true }));
fs.mkdirSync(path.join(projectDir, "IdentityService"));
fs.writeFileSync(path.join(projectDir, "IdentityService", "Dockerfile-OAuth"), "FROM scratch\n");

async function runStack(values: Record<string, string> = {}, secretKeys: string[] = [], stack = "dev") {
  const resources = installMocks({ fakers: { [PFX_BUNDLE_TYPE]: pfxBundleFaker }, stack });
  const full = Object.fromEntries(Object.entries(values).map(([k, v]) => [`${PROJECT}:${k}`, v]));
  const config = parseStackConfig({ values: full, secretKeys: new Set(secretKeys.map((k) => `${PROJECT}:${k}`)), projectDir, env: {} });
  const outputs = createIdentityStack(config);
  const resolved: Record<string, { value: unknown; secret: boolean }> = {};
  for (const [k, v] of Object.entries(outputs)) if (v !== undefined) resolved[k] = await secretValueOf(v as pulumi.Output<unknown>);
  await settle();
  return { resources, outputs, resolved };
}

describe("one component for the whole deployment", () => {
  it("is a CreatioIdentity whose top-level children keep their URNs through an alias to the stack", async () => {
    const { resources } = await runStack({ creatioIntegration: "true", creatioPassword: "pw" }, ["creatioPassword"]);
    const top = only(resources, COMPONENT_TYPES.creatioIdentity, "creatio-identity");
    // The stack's own (under mocks there is no stack resource: no parent).
    expect(top.parent).toBeUndefined();
    const topUrn = "urn:pulumi:dev::creatio-identity::creatio:identity:CreatioIdentity::creatio-identity";
    const children = resources.filter((r) => r.parent === topUrn);
    expect(children.map((r) => r.name).sort()).toEqual(
      [
        "creatio-identity-client",
        "creatio-identity-certificate",
        "creatio-identity-db",
        "creatio-identity-client-sync",
        "creatio-identity-service",
        "creatio-identity-creatio-oauth",
      ].sort(),
    );
    // Each as earlier versions made it, at the stack's top: an existing stack plans no replacement.
    for (const child of children) expect({ name: child.name, aliases: child.aliases }).toEqual({ name: child.name, aliases: [{ noParent: true }] });
    // Nothing else sits at the stack's top any more.
    expect(resources.filter((r) => r.parent === undefined).map((r) => r.name)).toEqual(["creatio-identity"]);
  });
});

describe("the dev stack program", () => {
  it("builds the database, certificate, client and Identity Service with nothing configured", async () => {
    const { resources } = await runStack();
    const names = resources.map((r) => r.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "creatio-identity-client",
        "creatio-identity-certificate",
        "creatio-identity-db",
        "creatio-identity-service",
        "creatio-identity-service-container",
        "creatio-identity-db-postgres",
      ]),
    );
    const container = only(resources, "docker:index/container:Container", "creatio-identity-service-container");
    const env = Object.fromEntries((container.inputs.envs as string[]).map((e) => [e.split("=")[0], e.slice(e.indexOf("=") + 1)]));
    expect(env.DbProvider).toBe("Postgres");
    expect(env.PostgresConnection).toMatch(/^Host=creatio-identity-service-db;Port=5432;Database=identity_service;Username=identity_service;Password=p{32}$/);
    expect(JSON.parse(env.Clients)[0].RedirectUris[0]).toBe("http://localhost:8080");
    expect(container.inputs.networksAdvanced).toEqual([expect.objectContaining({ name: "creatio-identity-db-network" })]);
  });

  it("names the dev database's Docker network and volume after the stack: dev keeps the names it always had, another stack on the same host gets its own", async () => {
    const NETWORK = "docker:index/network:Network";
    const VOLUME = "docker:index/volume:Volume";
    const PG = "docker:index/container:Container";
    const dev = (await runStack()).resources;
    // The names every stack had before: an existing dev stack plans no replacement.
    expect(only(dev, NETWORK).inputs).toEqual({ name: "creatio-identity-db-network" });
    expect(only(dev, VOLUME).inputs).toEqual({ name: "creatio-identity-db-data" });
    const test = (await runStack({ containerName: "test-identity", httpPort: "9090", httpsPort: "9443", databaseHostPort: "55433" }, [], "test")).resources;
    expect(only(test, NETWORK).inputs).toEqual({ name: "creatio-identity-db-test-network" });
    expect(only(test, VOLUME).inputs).toEqual({ name: "creatio-identity-db-test-data" });
    expect(only(test, PG, "creatio-identity-db-postgres").inputs).toMatchObject({
      volumes: [{ volumeName: "creatio-identity-db-test-data", containerPath: "/var/lib/postgresql/data" }],
      networksAdvanced: [{ name: "creatio-identity-db-test-network", aliases: ["test-identity-db"] }],
    });
    expect(only(test, PG, "creatio-identity-service-container").inputs.networksAdvanced).toEqual([expect.objectContaining({ name: "creatio-identity-db-test-network" })]);
    // Fixed once created: a stack made before the names came from the stack keeps its own (its data volume is never replaced).
    for (const type of [NETWORK, VOLUME]) expect(only(test, type).options.ignoreChanges).toEqual(["name"]);
  });

  it("exports secrets only as secrets", async () => {
    const { resolved } = await runStack();
    expect(resolved.clientSecret.secret).toBe(true);
    expect(resolved.creatioSettings.secret).toBe(true);
    expect(resolved.connectionString.secret).toBe(true);
    expect(resolved.clientId.secret).toBe(false);
    expect(resolved.identityServiceUrl).toEqual({ value: "https://localhost:8443", secret: false });
    expect(resolved.discoveryUrl.value).toBe("https://localhost:8443/.well-known/openid-configuration");
    expect(resolved.certificateExpiresAt.value).toBe("2027-11-23T00:00:00.000Z");
    expect(resolved.creatioSettings.value).toEqual({
      OAuth20IdentityServerUrl: "https://localhost:8443",
      OAuth20IdentityServerClientId: resolved.clientId.value,
      OAuth20IdentityServerClientSecret: resolved.clientSecret.value,
    });
  });

  it("gives identical resource inputs on a second run with the same config", async () => {
    const { first, second } = await twoRuns(async () => (await runStack({ rotation: "r1" })).resources);
    expect(second).toEqual(first);
  });

  it("server mode by default requires TLS from both Pulumi's provider and the Identity Service (databaseSslMode require)", async () => {
    const { resources } = await runStack(
      { image: "is:8.1", databaseMode: "server", databaseHost: "pg.example.com", databaseAdminUsername: "admin", databaseAdminPassword: "admin-pw" },
      ["databaseAdminPassword"],
    );
    // require: an sslmode the pinned provider's driver accepts (prefer only since lib/pq 1.12), never plain text.
    expect(only(resources, "pulumi:providers:postgresql").inputs.sslmode).toBe("require");
    const container = only(resources, "docker:index/container:Container");
    expect((container.inputs.envs as string[]).find((e) => e.startsWith("PostgresConnection="))).toMatch(/;SSL Mode=Require;Trust Server Certificate=true$/);
  });

  it("wires a supplied connection string and an existing image through", async () => {
    const { resources, resolved } = await runStack(
      { image: "is:8.1", databaseMode: "connectionString", databaseProvider: "MsSqlServer", databaseConnectionString: "Server=sql,1433;Database=is;User Id=u;Password=x" },
      ["databaseConnectionString"],
    );
    expect(resources.filter((r) => r.type === "docker:index/image:Image")).toHaveLength(0);
    expect(resources.filter((r) => r.name === "creatio-identity-db-postgres")).toHaveLength(0);
    expect(resolved.dbProvider.value).toBe("MsSqlServer");
    const container = only(resources, "docker:index/container:Container");
    expect(container.inputs.envs).toContain("MsSqlConnection=Server=sql,1433;Database=is;User Id=u;Password=x");
    expect(container.inputs.networksAdvanced).toBeUndefined();
  });
});

describe("ordering of the client sync and the container", () => {
  it("creates the container only after the sync has cleared changed clients, with the synced Clients value", async () => {
    const events: string[] = [];
    const resources = installMocks({
      fakers: {
        [PFX_BUNDLE_TYPE]: pfxBundleFaker,
        [IDENTITY_CLIENT_SYNC_TYPE]: (a) => ({ ...a.inputs, clientsJson: `SYNCED:${a.inputs.clientsJson}`, removedClientIds: [] }),
      },
      delays: { "creatio-identity-client-sync": 300 },
      events,
    });
    const config = parseStackConfig({ values: {}, secretKeys: new Set(), projectDir, env: {} });
    const outputs = createIdentityStack(config);
    await valueOf(outputs.identityServiceUrl);
    await settle();
    const sync = only(resources, IDENTITY_CLIENT_SYNC_TYPE, "creatio-identity-client-sync");
    expect(sync.inputs.dbProvider).toBe("Postgres");
    // Pulumi reaches the dev database through the port published on 127.0.0.1, not the container network.
    expect(sync.inputs.connectionString).toMatch(/^Host=127\.0\.0\.1;Port=55432;Database=identity_service;/);
    expect(sync.secretInputs.has("clientsJson")).toBe(true);
    expect(sync.secretInputs.has("connectionString")).toBe(true);
    const container = only(resources, "docker:index/container:Container", "creatio-identity-service-container");
    expect((container.inputs.envs as string[]).find((e) => e.startsWith("Clients="))).toMatch(/^Clients=SYNCED:\[/);
    expect(events.indexOf("done:creatio-identity-client-sync")).toBeLessThan(events.indexOf("start:creatio-identity-service-container"));
  });

  it("feeds the sync's reseed token into the container, and tells the sync which database the container uses", async () => {
    const run = async (token: string | undefined, values: Record<string, string> = {}) => {
      const resources = installMocks({
        fakers: {
          [PFX_BUNDLE_TYPE]: pfxBundleFaker,
          [IDENTITY_CLIENT_SYNC_TYPE]: (a) => ({ ...a.inputs, removedClientIds: [], ...(token ? { reseedToken: token } : {}) }),
        },
      });
      const full = Object.fromEntries(Object.entries(values).map(([k, v]) => [`${PROJECT}:${k}`, v]));
      await valueOf(createIdentityStack(parseStackConfig({ values: full, secretKeys: new Set(), projectDir, env: {} })).identityServiceUrl);
      await settle();
      const container = only(resources, "docker:index/container:Container", "creatio-identity-service-container");
      const env = Object.fromEntries((container.inputs.envs as string[]).map((e) => [e.split("=")[0], e.slice(e.indexOf("=") + 1)]));
      return { sync: only(resources, IDENTITY_CLIENT_SYNC_TYPE, "creatio-identity-client-sync"), env };
    };
    const before = await run(undefined);
    expect(before.env.CREATIO_IDENTITY_RESEED_TOKEN).toBeUndefined();
    const after = await run("sync-id/2");
    expect(after.env.CREATIO_IDENTITY_RESEED_TOKEN).toBe("sync-id/2");
    // The database as the container reaches it (not 127.0.0.1), in plain text: it holds no credential.
    expect(after.sync.inputs.database).toBe("creatio-identity-service-db:5432/identity_service");
    expect(after.sync.secretInputs.has("database")).toBe(false);
    // Another published port changes how Pulumi gets in, not which database it is.
    const otherPort = await run(undefined, { databaseHostPort: "55999" });
    expect(otherPort.sync.inputs.connectionString).toMatch(/^Host=127\.0\.0\.1;Port=55999;/);
    expect(otherPort.sync.inputs.database).toBe(after.sync.inputs.database);
  });

  it("skips the sync for MS SQL, and config refuses rotation there", async () => {
    const { resources } = await runStack(
      { databaseMode: "connectionString", databaseProvider: "MsSqlServer", databaseConnectionString: "Server=sql,1433;Database=is;User Id=u;Password=x" },
      ["databaseConnectionString"],
    );
    expect(resources.filter((r) => r.name.endsWith("client-sync"))).toHaveLength(0);
    expect(() =>
      parseStackConfig({
        values: {
          [`${PROJECT}:databaseMode`]: "connectionString",
          [`${PROJECT}:databaseProvider`]: "MsSqlServer",
          [`${PROJECT}:databaseConnectionString`]: "Server=s;Database=d;User Id=u",
          [`${PROJECT}:rotation`]: "1",
        },
        secretKeys: new Set([`${PROJECT}:databaseConnectionString`]),
        projectDir,
      }),
    ).toThrow(/rotation: changing the client \(a new secret, `rotation`\) is not supported yet with an MS SQL Identity Service database/);
  });
});

describe("the Creatio integration", () => {
  const creatioConfig = { creatioIntegration: "true", creatioPassword: "creatio-pw", creatioUrl: "https://creatio.example.com" };

  it("reports identityServerUrlForCreatio in creatioSettings when Creatio reaches the service by another URL", async () => {
    const { resources, resolved } = await runStack({ ...creatioConfig, identityServerUrlForCreatio: "http://creatio-identity-service" }, ["creatioPassword"]);
    const integration = only(resources, CREATIO_OAUTH_INTEGRATION_TYPE, "creatio-identity-creatio-oauth");
    expect(integration.inputs.identityServerUrl).toBe("http://creatio-identity-service");
    expect(integration.inputs.identityServerCheckUrl).toBe("https://localhost:8443");
    expect((resolved.creatioSettings.value as any).OAuth20IdentityServerUrl).toBe("http://creatio-identity-service");
    expect(resolved.identityServiceUrl.value).toBe("https://localhost:8443");
  });

  it("is off unless configured", async () => {
    const { resources, resolved } = await runStack();
    expect(resources.filter((r) => r.type === CREATIO_OAUTH_INTEGRATION_TYPE)).toHaveLength(0);
    expect(resolved.creatioIntegration).toBeUndefined();
  });

  it("runs after the Identity Service container is healthy, with the stack's client and secrets kept secret", async () => {
    const events: string[] = [];
    const resources = installMocks({
      fakers: {
        [PFX_BUNDLE_TYPE]: pfxBundleFaker,
        [CREATIO_OAUTH_INTEGRATION_TYPE]: (a) => ({
          ...a.inputs,
          featureId: "f836e885-8e51-44dd-879c-37c901210874",
          featureStates: { u: 1 },
          insertedFeatureStateIds: ["i1"],
          settingsWritten: ["OAuth20IdentityServerUrl"],
          defaultResource: "ApplicationAccess_1",
          createdDefaultResource: "ApplicationAccess_1",
        }),
      },
      delays: { "creatio-identity-service-container": 300 },
      events,
    });
    const full = Object.fromEntries(Object.entries(creatioConfig).map(([k, v]) => [`${PROJECT}:${k}`, v]));
    const config = parseStackConfig({ values: full, secretKeys: new Set([`${PROJECT}:creatioPassword`]), projectDir, env: {} });
    const outputs = createIdentityStack(config);
    const summary = await valueOf(outputs.creatioIntegration!);
    await settle();
    const integration = only(resources, CREATIO_OAUTH_INTEGRATION_TYPE, "creatio-identity-creatio-oauth");
    expect(events.indexOf("done:creatio-identity-service-container")).toBeLessThan(events.indexOf("start:creatio-identity-creatio-oauth"));
    expect(integration.inputs).toMatchObject({
      identityServerUrl: "https://localhost:8443",
      identityServerCheckUrl: "https://localhost:8443",
      clientId: "r".repeat(16),
      clientSecret: "p".repeat(32),
      featureAdminUnitIds: ["a29a3ba5-4b0d-de11-9a51-005056c00008"],
      readinessTimeoutSeconds: 300,
      createDefaultResource: true,
      creatio: { url: "https://creatio.example.com", username: "Supervisor", password: "creatio-pw", netCore: false },
    });
    expect(integration.inputs.identityServerCaPem).toMatch(/BEGIN CERTIFICATE/);
    expect(integration.secretInputs.has("clientSecret")).toBe(true);
    expect(integration.secretInputs.has("creatio")).toBe(true);
    // This file keeps Pulumi's real closure serializer (others stub it): every provider of the
    // program serializes inside it.
    expect(expectSerializedProviders(resources)).toEqual([
      "pulumi-nodejs:dynamic/creatio-identity:CreatioOAuthIntegration",
      "pulumi-nodejs:dynamic/creatio-identity:IdentityClientSync",
      "pulumi-nodejs:dynamic/creatio-identity:IdentityDatabaseSnapshot",
      "pulumi-nodejs:dynamic/creatio-identity:IdentityServiceHealthGate",
      "pulumi-nodejs:dynamic/creatio-identity:KeptDatabaseCheck",
      "pulumi-nodejs:dynamic/creatio-identity:PfxBundle",
    ]);
    // The output for Creatio's settings names the same URL the integration writes.
    expect((await valueOf(outputs.creatioSettings)).OAuth20IdentityServerUrl).toBe(integration.inputs.identityServerUrl);
    expect(summary).toEqual({
      featureId: "f836e885-8e51-44dd-879c-37c901210874",
      featureStates: { u: 1 },
      insertedFeatureStateIds: ["i1"],
      settingsWritten: ["OAuth20IdentityServerUrl"],
      defaultResource: "ApplicationAccess_1",
      createdDefaultResource: "ApplicationAccess_1",
    });
  });
});

describe("databaseTakeBack", () => {
  it("adds the step that gives a kept volume's role the stack's password; its provider serializes", async () => {
    const { resources } = await runStack({ databaseTakeBack: "true" });
    expect(only(resources, "pulumi-nodejs:dynamic/creatio-identity:KeptDatabaseCheck").inputs).toMatchObject({ volumeName: "creatio-identity-db-data", takeBack: true });
    expect(expectSerializedProviders(resources)).toContain("pulumi-nodejs:dynamic/creatio-identity:ContainerDatabasePassword");
  });

  it("is refused with a supplied connection string, which has nothing to take back", () => {
    expect(() =>
      parseStackConfig({
        values: {
          [`${PROJECT}:databaseMode`]: "connectionString",
          [`${PROJECT}:databaseConnectionString`]: "Host=h;Database=d;Username=u;Password=p",
          [`${PROJECT}:databaseTakeBack`]: "true",
        },
        secretKeys: new Set([`${PROJECT}:databaseConnectionString`]),
        projectDir,
        env: {},
      }),
    ).toThrow(/databaseTakeBack/);
  });
});

describe("a supplied PFX", () => {
  const PASSWORD = "Supplied-pfx-pw;42";
  const notBefore = new Date(Date.now() - 86400000);
  const notAfter = new Date(Math.floor((Date.now() + 300 * 86400000) / 1000) * 1000);
  const pfx = testPfx(testCertificate("identity.example.com", notBefore, notAfter), PASSWORD).toString("base64");

  it("is opened once, by config validation; the Certificate takes what it read instead of opening it again in an apply", async () => {
    const opened = jest.spyOn(pfxLib, "readPfx");
    try {
      const { resolved } = await runStack({ certificatePfxBase64: pfx, certificatePassword: PASSWORD }, ["certificatePfxBase64", "certificatePassword"]);
      expect(opened).toHaveBeenCalledTimes(1);
      expect(resolved.certificateExpiresAt.value).toBe(notAfter.toISOString());
    } finally {
      opened.mockRestore();
    }
  });

  it("from an internal CA: the checks of the Identity Service trust identityServerCaPem; certificatePem is public", async () => {
    const ca = testCertificate("Internal CA", notBefore, notAfter).certPem;
    const { resources, resolved } = await runStack(
      { certificatePfxBase64: pfx, certificatePassword: PASSWORD, creatioIntegration: "true", creatioPassword: "pw", identityServerCaPem: ca },
      ["certificatePfxBase64", "certificatePassword", "creatioPassword"],
    );
    expect(only(resources, CREATIO_OAUTH_INTEGRATION_TYPE).inputs.identityServerCaPem).toBe(ca);
    expect(resolved.certificatePem).toEqual({ value: expect.stringMatching(/^-----BEGIN CERTIFICATE-----/), secret: false });
    expect(resolved.certificatePem.value).not.toBe(ca);
  });
});

describe("certificatePem and identityServerCaPem with the self-signed certificate", () => {
  it("trusts the stack's own certificate, and a CA given on top of it, for the checks only", async () => {
    const ca = testCertificate("Other CA", new Date(Date.now() - 86400000), new Date(Date.now() + 86400000)).certPem;
    const { resources, resolved } = await runStack({ creatioIntegration: "true", creatioPassword: "pw", identityServerCaPem: ca }, ["creatioPassword"]);
    const trusted = only(resources, CREATIO_OAUTH_INTEGRATION_TYPE).inputs.identityServerCaPem as string;
    expect(trusted.startsWith(resolved.certificatePem.value as string)).toBe(true);
    expect(trusted.endsWith(ca)).toBe(true);
    expect(resolved.certificatePem.secret).toBe(false);
  });
});
