import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, only, valueOf, settle } from "./support/mocks";
import { IdentityService, IdentityServiceArgs } from "../components/identityService";
import { sourceContentTag } from "../lib/imageTag";

// Inputs and policies only: the providers' serialization is tested elsewhere (see the stub).
jest.mock("@pulumi/pulumi/runtime/closure/serializeClosure", () => require("./support/unserializedProviders"));

const sourceDir = fs.mkdtempSync(path.join(os.tmpdir(), "is-src-"));
fs.writeFileSync(path.join(sourceDir, "Dockerfile-OAuth"), "FROM scratch\n");
afterAll(() => fs.rmSync(sourceDir, { recursive: true, force: true }));

const baseArgs: IdentityServiceArgs = {
  sourceDir,
  dbProvider: "Postgres",
  connectionString: pulumi.secret('Host=db;Port=5432;Database=is;Username=is;Password="p;w"'),
  clientsJson: pulumi.secret('[{"ClientId":"abc"}]'),
  certificate: { pfxBase64: pulumi.secret("UEZYLWJ5dGVz"), password: pulumi.secret("pfx-password") },
};

async function build(args: Partial<IdentityServiceArgs> = {}) {
  const resources = installMocks();
  const service = new IdentityService("identity", { ...baseArgs, ...args });
  const url = await valueOf(service.url);
  const discoveryUrl = await valueOf(service.discoveryUrl);
  await settle();
  return { resources, service, url, discoveryUrl, container: only(resources, "docker:index/container:Container", "identity-container") };
}

function envMap(envs: string[]): Record<string, string> {
  return Object.fromEntries(envs.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

describe("IdentityService", () => {
  it("builds the image from Dockerfile-OAuth in the source folder", async () => {
    const { resources, container } = await build();
    const image = only(resources, "docker:index/image:Image", "identity-image");
    expect(image.inputs.build).toMatchObject({ context: sourceDir, dockerfile: path.join(sourceDir, "Dockerfile-OAuth") });
    // Tagged with the folder's content hash, so this build stays addressable after the next one.
    expect(image.inputs.imageName).toBe(`creatio-identity-service:${sourceContentTag(sourceDir)}`);
    expect(image.inputs.skipPush).toBe(true);
    expect(container.inputs.image).toBe(`creatio-identity-service:${sourceContentTag(sourceDir)}@sha256:fake`);
  });

  it("runs a given image instead of building", async () => {
    const { resources, container } = await build({ sourceDir: undefined, image: "registry.example.com/is:8.1" });
    expect(resources.filter((r) => r.type === "docker:index/image:Image")).toHaveLength(0);
    expect(only(resources, "docker:index/remoteImage:RemoteImage").inputs).toMatchObject({ name: "registry.example.com/is:8.1", keepLocally: true });
    expect(container.inputs.image).toBe("sha256:fake-registry.example.com/is:8.1");
  });

  it("sets every environment variable of the Docker guide", async () => {
    const { container } = await build({ redisConnection: pulumi.secret("redis:6379"), logLevel: "Warning" });
    expect(envMap(container.inputs.envs)).toEqual({
      DbProvider: "Postgres",
      PostgresConnection: 'Host=db;Port=5432;Database=is;Username=is;Password="p;w"',
      Clients: '[{"ClientId":"abc"}]',
      RedisConnection: "redis:6379",
      ASPNETCORE_URLS: "https://+;http://+",
      ASPNETCORE_HTTPS_PORT: "443",
      ASPNETCORE_Kestrel__Certificates__Default__Path: "/https/aspnetapp.pfx",
      ASPNETCORE_Kestrel__Certificates__Default__Password: "pfx-password",
      DOTNET_RUNNING_IN_CONTAINER: "true",
      Logging__LogLevel__Default: "Warning",
    });
  });

  it("uses MsSqlConnection for MS SQL and leaves RedisConnection out when unset", async () => {
    const { container } = await build({ dbProvider: "MsSqlServer", connectionString: pulumi.secret("Server=sql,1433;Database=is") });
    const env = envMap(container.inputs.envs);
    expect(env.MsSqlConnection).toBe("Server=sql,1433;Database=is");
    expect(env.PostgresConnection).toBeUndefined();
    expect(env.RedisConnection).toBeUndefined();
    expect(env.Logging__LogLevel__Default).toBe("Information");
  });

  it("carries the client sync's reseed token in its environment, so a new token replaces the container", async () => {
    const without = envMap((await build()).container.inputs.envs);
    expect(without.CREATIO_IDENTITY_RESEED_TOKEN).toBeUndefined();
    const first = envMap((await build({ reseedToken: pulumi.output("sync-id/1") })).container.inputs.envs);
    const second = envMap((await build({ reseedToken: pulumi.output("sync-id/2") })).container.inputs.envs);
    expect(first.CREATIO_IDENTITY_RESEED_TOKEN).toBe("sync-id/1");
    expect(second.CREATIO_IDENTITY_RESEED_TOKEN).toBe("sync-id/2");
    // Everything else is the same: only the token distinguishes the two containers.
    expect({ ...second, CREATIO_IDENTITY_RESEED_TOKEN: "x" }).toEqual({ ...first, CREATIO_IDENTITY_RESEED_TOKEN: "x" });
    expect(Object.keys(first)).toEqual([...Object.keys(without), "CREATIO_IDENTITY_RESEED_TOKEN"]);
  });

  it("uploads the PFX where Kestrel reads it and publishes 443 and 80", async () => {
    const { container } = await build({ httpPort: 9080, httpsPort: 9443, listenAddress: "127.0.0.1" });
    expect(container.inputs.uploads).toEqual([expect.objectContaining({ file: "/https/aspnetapp.pfx", contentBase64: "UEZYLWJ5dGVz" })]);
    // Ascending internal port, the order the docker provider reads them back in (no perpetual diff).
    expect(container.inputs.ports).toEqual([
      expect.objectContaining({ internal: 80, external: 9080, ip: "127.0.0.1" }),
      expect.objectContaining({ internal: 443, external: 9443, ip: "127.0.0.1" }),
    ]);
  });

  it("restarts unless stopped, health-checks the discovery document and waits for it", async () => {
    const { container, resources } = await build();
    expect(container.inputs.restart).toBe("unless-stopped");
    expect(container.inputs.name).toBe("creatio-identity-service");
    expect(container.inputs.healthcheck.tests[0]).toBe("CMD-SHELL");
    expect(container.inputs.healthcheck.tests[1]).toContain("/.well-known/openid-configuration");
    // The package's health gate waits for "healthy" (its failure names the rollback), not the docker provider.
    expect(container.inputs.wait).toBe(false);
    const gate = only(resources, "pulumi-nodejs:dynamic/creatio-identity:IdentityServiceHealthGate", "identity-health");
    expect(gate.inputs).toMatchObject({ containerName: "creatio-identity-service", containerId: "identity-container-id", timeoutSeconds: 180 });
  });

  it("joins the database's network when given one", async () => {
    const { container } = await build({ networkName: "identity-db-net" });
    expect(container.inputs.networksAdvanced).toEqual([expect.objectContaining({ name: "identity-db-net" })]);
  });

  it("keeps the environment secret and reports the URLs", async () => {
    const { service, url, discoveryUrl } = await build({ publicUrl: "https://id.example.com/" });
    expect(url).toBe("https://id.example.com");
    expect(discoveryUrl).toBe("https://id.example.com/.well-known/openid-configuration");
    expect(await pulumi.isSecret(service.url)).toBe(false);
  });

  it("defaults the URL to the HTTPS port on localhost", async () => {
    const { url } = await build({ httpsPort: 7443 });
    expect(url).toBe("https://localhost:7443");
  });

  it("rejects both or neither of image and sourceDir", () => {
    installMocks();
    expect(() => new IdentityService("a", { ...baseArgs, image: "x" })).toThrow(/exactly one of image .* or sourceDir/);
    expect(() => new IdentityService("b", { ...baseArgs, sourceDir: undefined })).toThrow(/exactly one of image .* or sourceDir/);
  });
});

describe("IdentityService secrets on the wire", () => {
  it("sends the environment and the PFX upload to the engine as secrets", async () => {
    const { container } = await build();
    expect(container.secretInputs.has("envs")).toBe(true);
    expect(container.secretInputs.has("uploads")).toBe(true);
    expect(container.secretInputs.has("ports")).toBe(false);
  });
});
