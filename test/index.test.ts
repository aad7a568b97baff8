/**
 * index.ts, the program the Pulumi CLI runs: it reads the stack's config, fails on bad config with
 * one RunError before any resource, and exports the documented outputs. (What the program builds is
 * in stack.test.ts.)
 */
import * as pulumi from "@pulumi/pulumi";
import { installMocks, pfxBundleFaker, settle, valueOf } from "./support/mocks";
import { PFX_BUNDLE_TYPE } from "../components/pfxBundle";
import { testCertificate, testPfx } from "./support/pfxFixtures";

// Config and outputs only: the providers' serialization is tested elsewhere (see the stub).
jest.mock("@pulumi/pulumi/runtime/closure/serializeClosure", () => require("./support/unserializedProviders"));

const PFX_PASSWORD = "Supplied-pfx-pw;42";
const pfx = testPfx(testCertificate("identity.example.com", new Date(Date.now() - 86400000), new Date(Date.now() + 300 * 86400000)), PFX_PASSWORD).toString("base64");

/**
 * Loads index.ts afresh, as the CLI runs it: its exports, or what it threw; and `settled`, which
 * waits until that fresh copy of the SDK (it has its own queue of engine calls) has sent them all.
 */
function runIndex(): { exports?: Record<string, unknown>; error?: unknown; settled: () => Promise<void> } {
  let result: { exports?: Record<string, unknown>; error?: unknown } = {};
  let settled: () => Promise<void> = async () => undefined;
  jest.isolateModules(() => {
    const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
    settled = () => settings.waitForRPCs();
    try {
      result = { exports: require("../index") as Record<string, unknown> };
    } catch (error) {
      result = { error };
    }
  });
  return { ...result, settled };
}

describe("index.ts", () => {
  it("fails on bad config before any resource is registered", async () => {
    const resources = installMocks({ config: { httpPort: "not-a-port" } });
    const { error } = runIndex();
    await settle();
    expect(String(error)).toMatch(/creatio-identity:httpPort: must be a whole number/);
    // Pulumi's RunError: the engine prints the message alone, without a stack trace.
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    expect(resources).toHaveLength(0);
  });

  it("exports the documented outputs", async () => {
    installMocks({ fakers: { [PFX_BUNDLE_TYPE]: pfxBundleFaker }, config: { image: "is:8.1" } });
    const { exports: mod = {}, error, settled } = runIndex();
    expect(error).toBeUndefined();
    expect(Object.keys(mod).sort()).toEqual(
      [
        "certificateExpiresAt",
        "certificatePem",
        "clientId",
        "clientSecret",
        "connectionString",
        "creatioIntegration",
        "creatioOAuthApplications",
        "creatioSettings",
        "dbProvider",
        "discoveryUrl",
        "identityServiceUrl",
        "image",
        "previousImage",
        "databaseSnapshots",
        "kubernetesNamespace",
        "deploymentName",
        "serviceName",
      ].sort(),
    );
    // Docker: the Kubernetes outputs are left out (undefined), not exported as empty values.
    expect([mod.kubernetesNamespace, mod.deploymentName, mod.serviceName]).toEqual([undefined, undefined, undefined]);
    expect(await valueOf(mod.identityServiceUrl as pulumi.Output<string>)).toBe("https://localhost:8443");
    expect(await valueOf(mod.image as pulumi.Output<string>)).toBe("is:8.1");
    // Every output resolved, and every call of that copy of the SDK sent (the component registers its outputs last).
    await Promise.all(
      Object.values(mod)
        .filter((v) => pulumi.Output.isInstance(v))
        .map((v) => valueOf(v)),
    );
    await settled();
  });

  it("with a wrong password, fails with one RunError naming certificatePassword, before any resource and with no unhandled rejection", async () => {
    const rejections: unknown[] = [];
    const onRejection = (e: unknown) => rejections.push(e);
    process.on("unhandledRejection", onRejection);
    try {
      const resources = installMocks({
        config: { certificatePfxBase64: pfx, certificatePassword: "wrong-password", image: "is:8.1" },
        secretKeys: ["certificatePfxBase64", "certificatePassword"],
      });
      const { error } = runIndex();
      await settle();
      expect(pulumi.RunError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(
        /^Invalid configuration for stack \(1 problem\):\n {2}- creatio-identity:certificatePassword: does not open the certificatePfxBase64 value: the password is wrong/,
      );
      expect((error as Error).message).not.toContain("wrong-password");
      expect(resources).toHaveLength(0);
      expect(rejections).toEqual([]);
    } finally {
      process.off("unhandledRejection", onRejection);
    }
  });
});
