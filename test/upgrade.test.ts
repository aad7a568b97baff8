/**
 * The stack program's upgrade wiring, under Pulumi's mocks: the image tag, the database snapshot
 * before the container, the health gate after it, the config keys reaching them, and the outputs.
 * (What the two dynamic resources do is tested against real servers in their own test files.)
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, only, pfxBundleFaker, secretValueOf, settle, valueOf, OutputFaker } from "./support/mocks";
import { parseStackConfig, PROJECT } from "../config";
import { createIdentityStack } from "../stack";
import { IDENTITY_DATABASE_SNAPSHOT_TYPE } from "../components/identityDatabaseSnapshot";
import { sourceContentTag } from "../lib/imageTag";

// Inputs and policies only: the providers' serialization is tested elsewhere (see the stub).
jest.mock("@pulumi/pulumi/runtime/closure/serializeClosure", () => require("./support/unserializedProviders"));

const projectDir = fs.mkdtempSync(path.join(os.tmpdir(), "upgrade-"));
afterAll(() => fs.rmSync(projectDir, { recursive: true, force: true }));
fs.mkdirSync(path.join(projectDir, "IdentityService"));
fs.writeFileSync(path.join(projectDir, "IdentityService", "Dockerfile-OAuth"), "FROM scratch\n");
const TAG = `creatio-identity-service:${sourceContentTag(path.join(projectDir, "IdentityService"))}`;
const GATE_TYPE = "pulumi-nodejs:dynamic/creatio-identity:IdentityServiceHealthGate";
const SNAPSHOTS = [
  {
    name: "snapshot_20261202064216_src_0123456789ab",
    takenAt: "2026-12-02T06:42:16.000Z",
    image: "creatio-identity-service:src-0123456789ab",
    tables: 24,
    rows: 40,
    sizeBytes: 180224,
  },
];

const fakers: Record<string, OutputFaker> = {
  "pulumi-nodejs:dynamic:Resource": pfxBundleFaker,
  [IDENTITY_DATABASE_SNAPSHOT_TYPE]: (a) => ({
    ...a.inputs,
    previousImage: "creatio-identity-service:src-0123456789ab",
    snapshotBeforeImageChange: SNAPSHOTS[0].name,
    snapshots: SNAPSHOTS,
  }),
  [GATE_TYPE]: (a) => ({ ...a.inputs, healthyAt: "2026-12-02T06:43:00.000Z" }),
};

/** A PATH with an `ssh` program on it (config checks that ssh:// hosts have one), whatever the machine has. */
const sshOnPath = path.join(projectDir, "bin");
fs.mkdirSync(sshOnPath);
fs.writeFileSync(path.join(sshOnPath, "ssh"), "#!/bin/sh\nexit 255\n", { mode: 0o755 });

async function run(values: Record<string, string> = {}, secretKeys: string[] = [], events?: string[], env: Record<string, string> = {}) {
  const resources = installMocks({ fakers, events, delays: events ? { "creatio-identity-service-db-snapshot": 300, "creatio-identity-service-container": 100 } : undefined });
  const full = Object.fromEntries(Object.entries(values).map(([k, v]) => [k.includes(":") ? k : `${PROJECT}:${k}`, v]));
  const secrets = new Set(secretKeys.map((k) => (k.includes(":") ? k : `${PROJECT}:${k}`)));
  const outputs = createIdentityStack(parseStackConfig({ values: full, secretKeys: secrets, projectDir, env: { PATH: sshOnPath, ...env } }));
  await valueOf(outputs.identityServiceUrl);
  await settle();
  return { resources, outputs };
}

describe("upgrades in the stack program", () => {
  it("builds the image under its content tag and snapshots the database before the container takes it", async () => {
    const events: string[] = [];
    const { resources } = await run({}, [], events);
    expect(only(resources, "docker:index/image:Image").inputs.imageName).toBe(TAG);
    const snapshot = only(resources, IDENTITY_DATABASE_SNAPSHOT_TYPE, "creatio-identity-service-db-snapshot");
    expect(snapshot.inputs).toMatchObject({ dbProvider: "Postgres", image: TAG, keep: 3, containerName: "creatio-identity-service", healthTimeoutSeconds: 180 });
    expect(snapshot.inputs.restore).toBeUndefined();
    // The exact reference the container gets: a restore tells from it whether the container is replaced next.
    expect(snapshot.inputs.containerImage).toBe(`${TAG}@sha256:fake`);
    // This machine reaches the dev database on its published port; the string is a secret.
    expect(snapshot.inputs.connectionString).toMatch(/^Host=127\.0\.0\.1;Port=55432;Database=identity_service;/);
    expect(snapshot.secretInputs.has("connectionString")).toBe(true);
    // The container gets its image through the snapshot: the engine cannot replace it before the snapshot is taken.
    expect(events.indexOf("done:creatio-identity-service-db-snapshot")).toBeLessThan(events.indexOf("start:creatio-identity-service-container"));
    const container = only(resources, "docker:index/container:Container", "creatio-identity-service-container");
    expect(container.inputs.image).toBe(`${TAG}@sha256:fake`);
    // ... as the snapshot resource's own output, not the image's: `pulumi up --target` on the
    // container alone reads the image from the snapshot's state, so it cannot change image unseen.
    expect(container.options.propertyDependencies.image).toEqual([expect.stringMatching(/::creatio-identity-service-db-snapshot$/)]);
  });

  it("gates on the container's health after it, with the previous image and the snapshot for the failure message", async () => {
    const events: string[] = [];
    const { resources } = await run({}, [], events);
    const gate = only(resources, GATE_TYPE, "creatio-identity-service-health");
    expect(gate.inputs).toMatchObject({
      containerName: "creatio-identity-service",
      containerId: "creatio-identity-service-container-id",
      image: TAG,
      previousImage: "creatio-identity-service:src-0123456789ab",
      snapshot: SNAPSHOTS[0].name,
      timeoutSeconds: 180,
    });
    expect(events.indexOf("done:creatio-identity-service-container")).toBeLessThan(events.indexOf("start:creatio-identity-service-health"));
    expect(only(resources, "docker:index/container:Container", "creatio-identity-service-container").inputs.wait).toBe(false);
  });

  it("exports the running image, the one before it and the snapshots, none of them secret", async () => {
    const { outputs } = await run({ image: "registry.example.com/is:8.1" });
    expect(await secretValueOf(outputs.image)).toEqual({ value: "registry.example.com/is:8.1", secret: false });
    expect(await secretValueOf(outputs.previousImage)).toEqual({ value: "creatio-identity-service:src-0123456789ab", secret: false });
    expect(await secretValueOf(outputs.databaseSnapshots)).toEqual({ value: SNAPSHOTS, secret: false });
  });

  it("hands databaseSnapshotsToKeep, restoreDatabaseSnapshot and docker:host to the snapshot and the gate", async () => {
    const { resources } = await run({
      databaseSnapshotsToKeep: "5",
      restoreDatabaseSnapshot: SNAPSHOTS[0].name,
      image: "creatio-identity-service:src-0123456789ab",
      "docker:host": "unix:///run/docker.sock",
    });
    expect(only(resources, IDENTITY_DATABASE_SNAPSHOT_TYPE).inputs).toMatchObject({
      keep: 5,
      restore: SNAPSHOTS[0].name,
      image: "creatio-identity-service:src-0123456789ab",
      dockerHost: "unix:///run/docker.sock",
    });
    expect(only(resources, GATE_TYPE).inputs.dockerHost).toBe("unix:///run/docker.sock");
  });

  it("gates on the container's health on whatever Docker host @pulumi/docker uses: ssh:// with docker:sshOpts, the provider's own wait off", async () => {
    const server = { databaseMode: "server", databaseHost: "pg.example.com", databaseAdminUsername: "admin", databaseAdminPassword: "pw" };
    const { resources } = await run({ ...server, "docker:host": "ssh://deploy@docker-host", "docker:sshOpts": '["-i","/keys/deploy"]' }, ["databaseAdminPassword"]);
    const gate = only(resources, GATE_TYPE);
    expect(gate.inputs).toMatchObject({ dockerHost: "ssh://deploy@docker-host", dockerConnection: { sshOpts: ["-i", "/keys/deploy"] } });
    expect(only(resources, IDENTITY_DATABASE_SNAPSHOT_TYPE).inputs).toMatchObject({
      dockerHost: "ssh://deploy@docker-host",
      dockerConnection: { sshOpts: ["-i", "/keys/deploy"] },
    });
    const container = only(resources, "docker:index/container:Container", "creatio-identity-service-container");
    expect(container.inputs).toMatchObject({ wait: false, waitTimeout: 180 });
    expect(gate.secretInputs.has("dockerConnection")).toBe(false);
  });

  it("hands TLS settings from docker:* config to the gate and the snapshot, secret when they hold the key", async () => {
    const pem = (what: string) => `-----BEGIN ${what}-----\nfake\n-----END ${what}-----\n`;
    const { resources } = await run(
      { "docker:host": "tcp://127.0.0.1:2376", "docker:certMaterial": pem("CERTIFICATE"), "docker:keyMaterial": pem("PRIVATE KEY"), "docker:caMaterial": pem("CERTIFICATE") },
      ["docker:keyMaterial"],
    );
    for (const r of [only(resources, GATE_TYPE), only(resources, IDENTITY_DATABASE_SNAPSHOT_TYPE)]) {
      expect(r.inputs).toMatchObject({ dockerHost: "tcp://127.0.0.1:2376", dockerConnection: { keyMaterial: pem("PRIVATE KEY"), certMaterial: pem("CERTIFICATE") } });
      expect(r.secretInputs.has("dockerConnection")).toBe(true);
    }
  });

  it("gives the gate and the snapshot no Docker connection settings when the stack sets none (the environment is read where the calls run)", async () => {
    const { resources } = await run({}, [], undefined, { DOCKER_HOST: "tcp://127.0.0.1:2375" });
    for (const r of [only(resources, GATE_TYPE), only(resources, IDENTITY_DATABASE_SNAPSHOT_TYPE)]) {
      expect(r.inputs.dockerHost).toBeUndefined();
      expect(r.inputs.dockerConnection).toBeUndefined();
    }
  });

  it("still records images for an MS SQL database, whose snapshot resource only warns", async () => {
    const { resources } = await run(
      { image: "is:8.2", databaseMode: "connectionString", databaseProvider: "MsSqlServer", databaseConnectionString: "Server=sql,1433;Database=is;User Id=u;Password=x" },
      ["databaseConnectionString"],
    );
    expect(only(resources, IDENTITY_DATABASE_SNAPSHOT_TYPE).inputs).toMatchObject({ dbProvider: "MsSqlServer", image: "is:8.2" });
  });

  it("IdentityService used on its own: a repository gets the content tag, a name with a tag is kept, no snapshot without databaseSnapshots", async () => {
    const { IdentityService } = await import("../components/identityService");
    const sourceDir = path.join(projectDir, "IdentityService");
    const common = {
      sourceDir,
      dbProvider: "Postgres" as const,
      connectionString: pulumi.secret("Host=h;Database=d;Username=u;Password=p"),
      clientsJson: pulumi.secret("[]"),
      certificate: { pfxBase64: pulumi.secret("AA=="), password: pulumi.secret("pw") },
    };
    const resources = installMocks({ fakers });
    const tagged = new IdentityService("a", { ...common, imageName: "registry.example.com:5000/team/is" });
    const fixed = new IdentityService("b", { ...common, imageName: "registry.example.com:5000/team/is:8.1.4", containerName: "b" });
    expect(await valueOf(tagged.image)).toBe(`registry.example.com:5000/team/is:${sourceContentTag(sourceDir)}`);
    expect(await valueOf(fixed.image)).toBe("registry.example.com:5000/team/is:8.1.4");
    expect(await valueOf(tagged.databaseSnapshots)).toEqual([]);
    expect(await valueOf(tagged.previousImage)).toBeUndefined();
    await valueOf(fixed.url);
    await settle();
    expect(resources.filter((r) => r.type === IDENTITY_DATABASE_SNAPSHOT_TYPE)).toHaveLength(0);
    expect(
      resources
        .filter((r) => r.type === GATE_TYPE)
        .map((r) => r.name)
        .sort(),
    ).toEqual(["a-health", "b-health"]);
  });

  it("builds nothing new when only the snapshot keys change (same tag, same container inputs)", async () => {
    const first = await run();
    const second = await run({ databaseSnapshotsToKeep: "7" });
    const container = (rs: typeof first.resources) => JSON.stringify(only(rs, "docker:index/container:Container", "creatio-identity-service-container").inputs);
    expect(container(second.resources)).toBe(container(first.resources));
    expect(pulumi.Output.isInstance(second.outputs.databaseSnapshots)).toBe(true);
  });
});
