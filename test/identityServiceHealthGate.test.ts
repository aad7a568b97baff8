/**
 * IdentityServiceHealthGate's provider against the Docker Engine API stand-in (kept faithful to a
 * real engine by test/dockerEngine.test.ts): it waits for `healthy` like @pulumi/docker's `wait`,
 * and its failure names the snapshot and the commands that roll back.
 */
import * as pulumi from "@pulumi/pulumi";
import { undefinedIn } from "./support/wire";
import { DockerEngineStandIn, StandInContainer, startDockerEngineStandIn } from "./support/dockerEngineStandIn";
import { withSkippedWaits } from "./support/skippedWaits";
import { identityServiceHealthGateProvider as provider, IdentityServiceHealthGateInputs, IdentityServiceHealthGateOutputs } from "../components/identityServiceHealthGate";

const V1 = "creatio-identity-service:src-111111111111";
const V2 = "creatio-identity-service:src-222222222222";
const SNAPSHOT = "snapshot_20261202064216_src_111111111111";
let docker: DockerEngineStandIn;

const inputs = (over: Partial<IdentityServiceHealthGateInputs> = {}): IdentityServiceHealthGateInputs => ({
  containerName: "is",
  containerId: "c1",
  image: V1,
  dockerHost: docker.host,
  timeoutSeconds: 3,
  ...over,
});

/** Resolves once the stand-in's health check has failed (the gate's wait then skips ahead: withSkippedWaits). */
function reportedUnhealthy(container: StandInContainer): Promise<void> {
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      if (container.health?.Status === "unhealthy") {
        clearInterval(poll);
        resolve();
      }
    }, 10);
  });
}

beforeEach(async () => {
  docker = await startDockerEngineStandIn();
});
afterEach(() => docker.stop());

describe("IdentityServiceHealthGate", () => {
  it("passes once the container's health check passes", async () => {
    docker.add("is", { healthCheckPasses: true, checkAfterMs: 300 });
    const started = Date.now();
    const { outs } = await provider.create(inputs());
    expect(Date.now() - started).toBeGreaterThanOrEqual(250); // it waited for the first check
    expect(outs).toMatchObject({ containerId: "c1", healthyAt: expect.any(String) });
    // No undefined values (previousImage, snapshot unset): the engine's protobuf Struct refuses them.
    expect(undefinedIn(outs)).toEqual([]);
  });

  it("fails after an image change naming the snapshot, the previous image and the two commands that roll back", async () => {
    docker.add("is", { healthCheckPasses: true, checkAfterMs: 50 });
    const { outs } = await provider.create(inputs());
    await reportedUnhealthy(docker.add("is", { image: V2, healthCheckPasses: false, checkAfterMs: 50 })); // the replacement, with the new image
    const started = Date.now();
    const { result: error, skippedMs } = await withSkippedWaits(() =>
      provider.update!("id", outs as IdentityServiceHealthGateOutputs, inputs({ containerId: "c2", image: V2, previousImage: V1, snapshot: SNAPSHOT, timeoutSeconds: 1 })).catch(
        (e) => e,
      ),
    );
    expect(Date.now() - started + skippedMs).toBeGreaterThanOrEqual(1000); // it waited out the timeout, as @pulumi/docker's wait does
    expect(error.message).toBe(
      `The Identity Service container "is" did not become healthy within 1 s: running, health unhealthy (last health check: curl: (7) Failed to connect to 127.0.0.1 port 80: Connection refused). ` +
        "Its logs: `docker logs is`.\n" +
        `It runs the new image ${V2}; before, the service ran ${V1}, and snapshot ${SNAPSHOT} of its database was taken before the change. ` +
        `To roll back: pulumi config set image ${V1} && pulumi config set restoreDatabaseSnapshot ${SNAPSHOT} && pulumi up (then \`pulumi config rm restoreDatabaseSnapshot\`).`,
    );
  }, 15000);

  it("names only the image to go back to when no snapshot was taken, and no rollback when the image did not change", async () => {
    await reportedUnhealthy(docker.add("is", { healthCheckPasses: false, checkAfterMs: 50 }));
    const olds = { ...inputs({ image: V1, previousImage: "is:v0" }), healthyAt: "t" };
    const { result: noSnapshot } = await withSkippedWaits(() =>
      provider.update!("id", olds, inputs({ containerId: "c2", image: V2, previousImage: V1, timeoutSeconds: 1 })).catch((e) => e),
    );
    expect(noSnapshot.message).toMatch(new RegExp(`no database snapshot was taken before the change\\. To roll back: pulumi config set image ${V1} && pulumi up\\.$`));
    const { result: sameImage } = await withSkippedWaits(() =>
      provider.update!("id", olds, inputs({ containerId: "c2", image: V1, previousImage: "is:v0", timeoutSeconds: 1 })).catch((e) => e),
    );
    expect(sameImage.message).toMatch(/^The Identity Service container "is" did not become healthy within 1 s: running, health unhealthy .*`docker logs is`\.$/);
  }, 15000);

  it("does not wait again while the container stays the same", async () => {
    const olds = { ...inputs(), healthyAt: "2026-12-02T06:42:16.000Z" };
    expect(await provider.diff!("id", olds, inputs())).toMatchObject({ changes: false });
    const { outs } = await provider.update!("id", olds, inputs({ previousImage: "x" }));
    expect(outs!.healthyAt).toBe("2026-12-02T06:42:16.000Z");
    expect(docker.calls).toEqual([]);
  });

  it("sees no change in a gate recorded before dockerConnection existed, and one when the Docker settings change", async () => {
    // The state of an earlier version: no dockerConnection at all. The stack gives none unless docker:* config is set.
    const { dockerConnection: _none, ...recorded } = { ...inputs(), healthyAt: "2026-12-02T06:42:16.000Z" };
    expect(await provider.diff!("id", recorded, inputs({ dockerConnection: undefined }))).toMatchObject({ changes: false });
    expect(await provider.diff!("id", recorded, inputs({ dockerConnection: { sshOpts: ["-i", "/keys/deploy"] } }))).toMatchObject({ changes: true });
  });

  it("reports a container that is not there", async () => {
    const error = await provider.create(inputs({ timeoutSeconds: 1 })).catch((e) => e);
    expect(error.message).toMatch(/^The Identity Service container "is" did not become healthy within 1 s: no such container\./);
  });

  it("serializes, and the serialized copy keeps its messages", async () => {
    const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: false });
    const mod: { exports: Record<string, any> } = { exports: {} };
    new Function("module", "exports", "require", serialized.text)(mod, mod.exports, require);
    const copy: pulumi.dynamic.ResourceProvider = mod.exports[serialized.exportName]();
    await expect(copy.create(inputs({ timeoutSeconds: 1 }))).rejects.toThrow(/did not become healthy within 1 s: no such container/);
  });
});
