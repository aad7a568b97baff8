import * as pulumi from "@pulumi/pulumi";
import { installMocks, only, secretValueOf, valueOf, settle } from "./support/mocks";
import { twoRuns } from "./support/determinism";
import { ClientCredentials } from "../components/clientCredentials";

async function run(args: Partial<ConstructorParameters<typeof ClientCredentials>[1]> = {}) {
  const resources = installMocks();
  const creds = new ClientCredentials("client", { creatioUrl: "https://creatio.example.com", ...args });
  const json = await secretValueOf(creds.clientsJson);
  const secret = await secretValueOf(creds.clientSecret);
  const id = await valueOf(creds.clientId);
  await settle();
  return { resources, creds, json, secret, id };
}

describe("ClientCredentials", () => {
  it("generates a 16-character id and a 32-character secret of letters and digits", async () => {
    const { resources } = await run();
    const id = only(resources, "random:index/randomString:RandomString", "client-client-id");
    expect(id.inputs).toMatchObject({ length: 16, special: false, upper: true, lower: true, numeric: true });
    const secret = only(resources, "random:index/randomPassword:RandomPassword", "client-client-secret");
    expect(secret.inputs).toMatchObject({ length: 32, special: false });
    expect(secret.inputs.keepers).toBeUndefined();
  });

  it("keeps the secret and the Clients JSON secret, the id plain", async () => {
    const { creds, json, secret, id } = await run();
    expect(secret.secret).toBe(true);
    expect(json.secret).toBe(true);
    expect(await pulumi.isSecret(creds.clientId)).toBe(false);
    const parsed = JSON.parse(json.value);
    expect(parsed[0].ClientId).toBe(id);
    expect(parsed[0].Secrets).toEqual([secret.value]);
    expect(parsed[0].RedirectUris[0]).toBe("https://creatio.example.com");
  });

  it("ties the generated secret to the rotation keeper", async () => {
    const { resources } = await run({ rotation: "2026-11" });
    expect(only(resources, "random:index/randomPassword:RandomPassword").inputs.keepers).toEqual({ rotation: "2026-11" });
  });

  it("uses supplied values without generating anything", async () => {
    const { resources, json, secret, id } = await run({ clientId: "ABCDEFGHijklmnop", clientSecret: "S".repeat(40), clientName: "Prod" });
    expect(resources.filter((r) => r.type.startsWith("random:"))).toHaveLength(0);
    expect(id).toBe("ABCDEFGHijklmnop");
    expect(secret).toEqual({ value: "S".repeat(40), secret: true });
    expect(JSON.parse(json.value)[0].ClientName).toBe("Prod");
  });

  it("rejects a supplied id of the wrong length and a short secret without echoing them", () => {
    installMocks();
    expect(() => new ClientCredentials("c1", { creatioUrl: "http://x", clientId: "short-id" })).toThrow(/clientId must be exactly 16 characters/);
    const leaked = "tooShortSecret-123";
    let message = "";
    try {
      new ClientCredentials("c2", { creatioUrl: "http://x", clientSecret: leaked });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/clientSecret must be at least 32 characters/);
    expect(message).not.toContain(leaked);
  });

  it("rejects rotation together with a supplied secret", () => {
    installMocks();
    expect(() => new ClientCredentials("c3", { creatioUrl: "http://x", clientSecret: "s".repeat(32), rotation: "1" })).toThrow(/rotation only applies to a generated secret/);
  });

  it("builds identical inputs on two runs with the same args", async () => {
    const json: unknown[] = [];
    const { first, second } = await twoRuns(async () => {
      const built = await run({ rotation: "r1" });
      json.push(built.json.value);
      return built.resources;
    });
    expect(second).toEqual(first);
    expect(json[1]).toBe(json[0]);
  });
});
