/**
 * The Kubernetes platform under the real Pulumi engine: the stack program itself (stack.ts, config
 * validation included) with `platform kubernetes`, deployed by the real `pulumi-resource-kubernetes`
 * to a real kube-apiserver (etcd, kube-controller-manager, kube-scheduler) whose nodes are kwok's
 * fakes, which make pods Ready: the provider's own wait for a ready Deployment runs.
 * scripts/install-kubernetes-from-source.sh builds these (docs/e2e.md).
 *
 * The Identity Service's image does not run (kwok starts no containers), so the test does what its
 * pods would do to their real PostgreSQL database: create the tables on the first start and seed the
 * clients their `Clients` setting has and the database lacks, whenever new pods start.
 * No plugin besides Kubernetes' is needed: the database is a supplied connection string, the PFX and
 * the client are supplied, the image is given.
 *
 * The story: create (two pods, ready), preview with no changes, three pods, an image change (a
 * snapshot first, a rolling update that never has fewer ready pods), a client rotation (the sync
 * deletes the client, a new pod-template annotation rolls the pods, a new env Secret), no changes
 * again, a pod count changed behind Pulumi's back (refresh sees it, up puts it back), the rollback
 * (the previous image with the declared restore: no pod left while the tables go back, and none of
 * the image being left afterwards), destroy.
 */
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { parseStackConfig, PROJECT as CONFIG_PROJECT } from "../config";
import { createIdentityStack } from "../stack";
import { createIdentityResources } from "../components/creatioIdentity";
import { query } from "../test/support/pg";
import { testCertificate, testPfx } from "../test/support/pfxFixtures";
import { seedMissingClients, storedClients, hashClientSecret } from "./support/identityServiceDatabase";
import { createDatabaseOwner, DatabaseOwner, OwnedDatabase } from "./support/databaseOwner";
import { describeWithPulumiTools } from "./support/pulumiTools";
import { describeWithKubernetesTools, installKubernetesPlugin, KubernetesCluster, startKubernetesCluster } from "./support/kubernetesCluster";
import { labelsFoundIn, plaintextSecretsInFiles } from "./support/stateSecrets";
import { changesOf, createInlineStack, diagnosticsOf, InlineStack, opsByName, recorder, resourcesNamed } from "./support/inlineStack";
import { stepTimer } from "./support/timings";
import type { EngineEvent } from "@pulumi/pulumi/automation";

const FIXTURE = readFileSync(resolve(__dirname, "..", "test", "fixtures", "identityserver4.sql"), "utf8");
const PROJECT = "creatio-identity-e2e-k8s";
const NAMESPACE = `e2e-${randomBytes(3).toString("hex")}`;
const DEPLOYMENT = "creatio-identity-service";
const V1 = "registry.e2e.test/creatio/identity-service:src-111111111111";
const V2 = "registry.e2e.test/creatio/identity-service:src-222222222222";
const CLIENT_ID = "e2eKubeClient001"; // 16 characters
const FIRST_SECRET = randomBytes(16).toString("hex");
const SECOND_SECRET = randomBytes(16).toString("hex");
const PFX_PASSWORD = randomBytes(12).toString("base64url");
const REDIS = `redis.e2e.test:6379,password=${randomBytes(8).toString("hex")}`;
const DB_ROLE = `e2e_k8s_${randomBytes(3).toString("hex")}`;
const DB_PASSWORD = `Kube;pw='${randomBytes(6).toString("hex")}`;
const SECRETS = {
  "first secret": FIRST_SECRET,
  "second secret": SECOND_SECRET,
  "PFX password": PFX_PASSWORD,
  "Redis password": REDIS.split("password=")[1],
  "database password": DB_PASSWORD,
};

let cluster: KubernetesCluster;
let dbOwner: DatabaseOwner;
let db: OwnedDatabase;
let engine: InlineStack;
let pfxBase64: string;
const timed = stepTimer("e2e kubernetes");

/** What the next program run uses (config keys as `pulumi config set` sets them). */
const desired: Record<string, string> = {};
const SECRET_KEYS = ["kubeconfig", "databaseConnectionString", "clientSecret", "certificatePfxBase64", "certificatePassword", "redisConnection"];

/** Which layout the program builds: the stack's own resources, as earlier versions made them, or one CreatioIdentity component. */
let layout: "stack" | "component" = "stack";

async function program(): Promise<Record<string, unknown>> {
  const values = Object.fromEntries(Object.entries(desired).map(([k, v]) => [`${CONFIG_PROJECT}:${k}`, v]));
  const config = parseStackConfig({ values, secretKeys: new Set(SECRET_KEYS.map((k) => `${CONFIG_PROJECT}:${k}`)), projectDir: engine.workDir });
  return { ...(layout === "stack" ? createIdentityResources(config, "creatio-identity") : createIdentityStack(config)) };
}

const deploymentPath = `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/${DEPLOYMENT}`;
const deployment = () => cluster.get(deploymentPath);
const podsOf = async () =>
  ((await cluster.get(`/api/v1/namespaces/${NAMESPACE}/pods?labelSelector=${encodeURIComponent(`app.kubernetes.io/instance=${DEPLOYMENT}`)}`))?.items ?? []) as any[];
const secretNames = async (): Promise<string[]> => ((await cluster.get(`/api/v1/namespaces/${NAMESPACE}/secrets`))?.items ?? []).map((s: any) => s.metadata.name as string).sort();
const snapshotSchemas = async () => (await query(db.url, `SELECT nspname AS n FROM pg_namespace WHERE nspname LIKE 'snapshot\\_%' ORDER BY 1`)).map((r) => r.n as string);

/**
 * Samples the Deployment and its pods every 100 ms while `work` runs, and until the rollout it
 * started is done: the fewest ready pods seen,
 * the fewest pods of any kind, and the images of the pods that existed after the first moment with
 * no pod at all.
 */
async function watched<T>(work: () => Promise<T>): Promise<{ result: T; minReady: number; minPods: number; imagesAfterNoPods: string[]; samples: number }> {
  let minReady = Number.POSITIVE_INFINITY;
  let minPods = Number.POSITIVE_INFINITY;
  const imagesAfterNoPods = new Set<string>();
  let samples = 0;
  let running = true;
  const sampler = (async () => {
    while (running) {
      const [d, pods] = await Promise.all([deployment(), podsOf()]);
      if (d) {
        minReady = Math.min(minReady, d.status?.readyReplicas ?? 0);
        minPods = Math.min(minPods, pods.length);
        if (minPods === 0) for (const p of pods) imagesAfterNoPods.add(p.spec.containers[0].image);
        samples++;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    const result = await work();
    await rolledOut();
    return { result, minReady, minPods, imagesAfterNoPods: [...imagesAfterNoPods], samples };
  } finally {
    running = false;
    await sampler;
  }
}

/**
 * Waits until the Deployment has rolled out (every pod of its current version, none older, ready).
 * The provider's own wait can return a moment early: it reads the Progressing condition, which the
 * controller may not have moved on from the previous rollout yet (seen here about once in five
 * runs, as `updatedReplicas` 2 of 3 right after `up`).
 */
async function rolledOut(timeoutMs = 30000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await deployment();
    const s = d?.status ?? {};
    const want = d?.spec?.replicas ?? 0;
    if (d && (s.observedGeneration ?? 0) >= d.metadata.generation && s.updatedReplicas === want && s.readyReplicas === want && (s.replicas ?? 0) === want) return d;
    if (Date.now() > deadline) throw new Error(`the Deployment did not roll out within ${timeoutMs} ms: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What the Identity Service's new pods do at start, on its real database: the tables once, then any missing client. */
async function podsStart(): Promise<string[]> {
  if (!(await query(db.url, `SELECT to_regclass('"Clients"') AS t`))[0].t) await query(db.url, FIXTURE);
  const template = (await deployment()).spec.template;
  const envSecret = template.spec.containers[0].env.find((e: any) => e.name === "Clients").valueFrom.secretKeyRef.name;
  const clients = Buffer.from((await cluster.get(`/api/v1/namespaces/${NAMESPACE}/secrets/${envSecret}`)).data.Clients, "base64").toString("utf8");
  return seedMissingClients(db.url, clients);
}

/** Resource name → the step op the engine announced, for every resource it plans to change. */
function changedResources(events: EngineEvent[]): Record<string, string> {
  const ops: Record<string, string> = {};
  for (const e of events) {
    const m = e.resourcePreEvent?.metadata;
    if (m && m.op !== "same") ops[m.urn.split("::").pop()!] = m.op;
  }
  return ops;
}

async function up(label: string) {
  const rec = recorder(6 * 60 * 1000);
  const result = await timed(label, () => engine.stack.up(rec.opts));
  return { result, rec };
}

describeWithPulumiTools("the Kubernetes platform under the Pulumi engine", () => {
  describeWithKubernetesTools("against a real kube-apiserver with kwok nodes", () => {
    beforeAll(
      async () => {
        await timed("set-up (cluster, database, workspace, provider plugin)", async () => {
          const started = startKubernetesCluster({ nodes: 2 });
          dbOwner = await createDatabaseOwner(DB_ROLE, DB_PASSWORD);
          db = await dbOwner.createDatabase("e2e_k8s_identity");
          const cert = testCertificate("identity.e2e.test", new Date(Date.now() - 86400000), new Date(Date.now() + 400 * 86400000));
          pfxBase64 = testPfx(cert, PFX_PASSWORD).toString("base64");
          engine = await createInlineStack(PROJECT, program);
          await installKubernetesPlugin(engine.pulumiHome, engine.env);
          cluster = await started;
          process.stdout.write(`[e2e kubernetes] cluster ready in ${(cluster.startup.totalMs / 1000).toFixed(1)} s\n`);
          Object.assign(desired, {
            platform: "kubernetes",
            kubeconfig: cluster.kubeconfigContent,
            kubernetesNamespace: NAMESPACE,
            publicUrl: "https://identity.e2e.test",
            creatioUrl: "https://creatio.e2e.test",
            image: V1,
            replicas: "2",
            redisConnection: REDIS,
            databaseMode: "connectionString",
            databaseProvider: "Postgres",
            databaseConnectionString: db.connectionString,
            databaseSnapshotsToKeep: "3",
            clientId: CLIENT_ID,
            clientSecret: FIRST_SECRET,
            certificatePfxBase64: pfxBase64,
            certificatePassword: PFX_PASSWORD,
          });
        });
      },
      5 * 60 * 1000,
    );

    afterAll(
      async () => {
        try {
          if (engine) {
            await engine.stack.destroy({ signal: AbortSignal.timeout(4 * 60 * 1000) }).catch(() => undefined);
            await engine.stack.workspace.removeStack(engine.stackName).catch(() => undefined);
            engine.cleanUp();
          }
        } finally {
          await cluster?.stop();
          await dbOwner?.drop();
          timed.printAll();
        }
      },
      6 * 60 * 1000,
    );

    it("1. creates the Deployment, waits for its two pods to be ready, and keeps every credential out of the pod spec and the state", async () => {
      const { result, rec } = await up("1. up (create, 2 pods ready)");
      expect(result.summary.result).toBe("succeeded");
      const d = await rolledOut();
      expect(d.status.readyReplicas).toBe(2);
      expect(d.spec.template.spec.containers[0].image).toBe(V1);
      expect(result.outputs.kubernetesNamespace.value).toBe(NAMESPACE);
      expect(result.outputs.deploymentName.value).toBe(DEPLOYMENT);
      expect(result.outputs.serviceName.value).toBe(DEPLOYMENT);
      expect(result.outputs.identityServiceUrl.value).toBe("https://identity.e2e.test");
      // The pods landed on both fake nodes (topology spread).
      expect(new Set((await podsOf()).map((p) => p.spec.nodeName)).size).toBe(2);
      expect(await cluster.get(`/apis/policy/v1/namespaces/${NAMESPACE}/poddisruptionbudgets`)).toMatchObject({
        items: [expect.objectContaining({ spec: expect.objectContaining({ minAvailable: 1 }) })],
      });
      expect((await cluster.get(`/api/v1/namespaces/${NAMESPACE}/services/${DEPLOYMENT}`)).spec.ports.map((p: any) => p.port)).toEqual([443, 80]);
      // No credential in the Deployment as the cluster stores it, in the engine's output or in the state.
      expect(labelsFoundIn(JSON.stringify(d), SECRETS)).toEqual([]);
      expect(labelsFoundIn(rec.output + diagnosticsOf(rec.events), SECRETS)).toEqual([]);
      const state = plaintextSecretsInFiles(engine.backendDir, SECRETS);
      expect(state.filesSearched).toBeGreaterThan(0);
      expect(state.findings).toEqual([]);
      // What the pods do on their first start: the tables, and the client from `Clients`.
      expect(await podsStart()).toEqual([CLIENT_ID]);
    });

    it("1b. an existing stack moves under the CreatioIdentity component with no change planned or made", async () => {
      const before = (await engine.stack.exportStack()).deployment.resources.length;
      layout = "component";
      const rec = recorder();
      const preview = await timed("1b. preview (the component layout)", () => engine.stack.preview(rec.opts));
      // Not one resource updated, replaced or deleted: the only new entry is the component itself,
      // which has no provider side (a ComponentResource only groups its children).
      expect(changedResources(rec.events)).toEqual({ "creatio-identity": "create" });
      expect(changesOf(preview.changeSummary)).toEqual({ create: 1 });
      const moved = await up("1c. up (the component layout)");
      expect(changesOf(moved.result.summary.resourceChanges)).toEqual({ create: 1 });
      // The one new resource is the component itself (it has no provider side); everything else is now under it.
      const state = (await engine.stack.exportStack()).deployment.resources as Array<{ urn: string; parent?: string; type: string }>;
      expect(state).toHaveLength(before + 1);
      const top = state.filter((r) => r.parent?.endsWith(`::pulumi:pulumi:Stack::${PROJECT}-${engine.stackName}`)).map((r) => r.type);
      expect(top).toEqual(["creatio:identity:CreatioIdentity"]);
      expect((await rolledOut()).status.readyReplicas).toBe(2);
    });

    it("2. plans no change on a second run", async () => {
      const rec = recorder();
      const preview = await timed("2. preview (unchanged)", () => engine.stack.preview({ ...rec.opts, diff: true }));
      if (process.env.E2E_DEBUG) process.stdout.write(rec.output);
      expect(changedResources(rec.events)).toEqual({});
      expect(changesOf(preview.changeSummary)).toEqual({});
    });

    it("3. changes the pod count in place", async () => {
      desired.replicas = "3";
      const { result, rec } = await up("3. up (3 pods)");
      expect(changesOf(result.summary.resourceChanges)).toEqual({ update: 1 });
      expect(opsByName(rec.events, ["creatio-identity-service-deployment"])).toEqual({ "creatio-identity-service-deployment": "update" });
      expect((await rolledOut()).status.readyReplicas).toBe(3);
    });

    it("4. on an image change, snapshots the database first, then rolls the pods without ever fewer ready ones", async () => {
      const before = await snapshotSchemas();
      const generation = (await deployment()).metadata.generation;
      desired.image = V2;
      const { result: run, minReady, samples } = await watched(() => up("4. up (image V1 -> V2, rolling)"));
      expect(run.result.summary.result).toBe("succeeded");
      expect(samples).toBeGreaterThan(0);
      expect(minReady).toBeGreaterThanOrEqual(3);
      const d = await deployment();
      expect(d.spec.template.spec.containers[0].image).toBe(V2);
      expect(d.metadata.generation).toBeGreaterThan(generation);
      expect(d.status).toMatchObject({ readyReplicas: 3, updatedReplicas: 3 });
      const taken = (await snapshotSchemas()).filter((s) => !before.includes(s));
      expect(taken).toHaveLength(1);
      expect(run.result.outputs.previousImage.value).toBe(V1);
      expect(run.result.outputs.databaseSnapshots.value[0]).toMatchObject({ name: taken[0], image: V1 });
      // The engine finished the snapshot before it began to change the Deployment.
      const order = run.rec.events
        .map((e) =>
          e.resOutputsEvent && e.resOutputsEvent.metadata.urn.endsWith("db-snapshot")
            ? "snapshot"
            : e.resourcePreEvent?.metadata.urn.endsWith("-deployment")
              ? "deployment"
              : undefined,
        )
        .filter(Boolean);
      expect(order.indexOf("snapshot")).toBeGreaterThanOrEqual(0);
      expect(order.indexOf("snapshot")).toBeLessThan(order.indexOf("deployment"));
      expect(await podsStart()).toEqual([]);
    });

    it("5. rotates the client: the sync deletes it, the pods roll on a new annotation and env Secret, and seed the new one", async () => {
      const before = await deployment();
      const secretsBefore = await secretNames();
      desired.clientSecret = SECOND_SECRET;
      const { result, rec } = await up("5. up (client rotation)");
      const after = await rolledOut();
      expect(result.summary.result).toBe("succeeded");
      expect(opsByName(rec.events, ["creatio-identity-client-sync"])).toEqual({ "creatio-identity-client-sync": "update" });
      // The sync deleted the client (its rows are gone until a new pod seeds it).
      expect((await storedClients(db.url)).has(CLIENT_ID)).toBe(false);
      const annotation = (d: any) => d.spec.template.metadata.annotations?.["creatio-identity.io/reseed-token"];
      expect(annotation(after)).toBeDefined();
      expect(annotation(after)).not.toBe(annotation(before));
      const envSecret = (d: any) => d.spec.template.spec.containers[0].env.find((e: any) => e.name === "Clients").valueFrom.secretKeyRef.name;
      expect(envSecret(after)).not.toBe(envSecret(before));
      // The old env Secret is gone once the pods rolled; the PFX Secret stayed.
      expect(await secretNames()).not.toContain(envSecret(before));
      expect((await secretNames()).filter((n) => !secretsBefore.includes(n))).toEqual([envSecret(after)]);
      expect(after.status).toMatchObject({ readyReplicas: 3, updatedReplicas: 3 });
      expect(await podsStart()).toEqual([CLIENT_ID]);
      expect((await storedClients(db.url)).get(CLIENT_ID)!.secretHashes).toEqual([hashClientSecret(SECOND_SECRET)]);
    });

    it("6. plans no change again", async () => {
      const preview = await timed("6. preview (unchanged)", () => engine.stack.preview(recorder().opts));
      expect(changesOf(preview.changeSummary)).toEqual({});
    });

    it("7. sees a pod count changed behind its back on refresh, and puts the configured one back", async () => {
      const scaled = await cluster.request("PATCH", `${deploymentPath}/scale?fieldManager=e2e-kubectl`, { spec: { replicas: 1 } });
      expect(scaled.status).toBe(200);
      const refreshed = await timed("7a. refresh (replicas changed to 1)", () => engine.stack.refresh(recorder().opts));
      expect(changesOf(refreshed.summary.resourceChanges)).toMatchObject({ update: 1 });
      const state = resourcesNamed(await engine.stack.exportStack(), "creatio-identity-service-deployment")[0];
      expect(state.outputs.spec.replicas).toBe(1);
      const { result } = await up("7b. up (back to 3)");
      expect(result.summary.result).toBe("succeeded");
      const d = await rolledOut();
      expect(d.spec.replicas).toBe(3);
      expect(d.status.readyReplicas).toBe(3);
    });

    it("8. rolls back: the previous image and the snapshot taken before the change, with no pod left while the tables go back and none of the new image after", async () => {
      const snapshot = (await snapshotSchemas())[0];
      await query(db.url, `INSERT INTO "PersistedGrants" ("Key","Type","ClientId","CreationTime","Data") VALUES ('after-upgrade','reference_token','${CLIENT_ID}',now(),'{}')`);
      desired.image = V1;
      desired.restoreDatabaseSnapshot = snapshot;
      const { result: run, minPods, imagesAfterNoPods } = await watched(() => up("8. up (rollback: V1 and restore; scale to 0, restore, V1, scale back)"));
      expect(run.result.summary.result).toBe("succeeded");
      expect(minPods).toBe(0);
      // The snapshot resource set V1 before the pods came back: no V2 pod ran on the restored tables.
      expect(imagesAfterNoPods).toEqual([V1]);
      expect(await query(db.url, `SELECT "Key" AS k FROM "PersistedGrants" WHERE "Key" = 'after-upgrade'`)).toEqual([]);
      const d = await deployment();
      expect(d.spec.template.spec.containers[0].image).toBe(V1);
      expect(d.spec.replicas).toBe(3);
      expect(d.status).toMatchObject({ readyReplicas: 3, updatedReplicas: 3 });
      expect(run.result.outputs.databaseSnapshots.value.map((s: any) => s.name)).toContain(snapshot);
      expect(diagnosticsOf(run.rec.events)).toContain(`Restored snapshot ${snapshot}.`);
      delete desired.restoreDatabaseSnapshot;
      const again = await timed("8b. preview (restore key removed)", () => engine.stack.preview(recorder().opts));
      expect(changesOf(again.changeSummary)).toEqual({ update: 1 });
    });

    it("8c. `up --target` on the Deployment alone cannot change its image without the snapshot", async () => {
      const snapshotsBefore = await snapshotSchemas();
      const urn = resourcesNamed(await engine.stack.exportStack(), "creatio-identity-service-deployment")[0].urn;
      desired.image = V2;
      const rec = recorder();
      const result = await timed("8c. up --target <Deployment> (image V2 asked)", () => engine.stack.up({ ...rec.opts, target: [urn] }));
      expect(result.summary.result).toBe("succeeded");
      // The Deployment takes its image from the snapshot resource's state, which --target left alone.
      expect(changesOf(result.summary.resourceChanges)).toEqual({});
      expect((await deployment()).spec.template.spec.containers[0].image).toBe(V1);
      expect(await snapshotSchemas()).toEqual(snapshotsBefore);
      desired.image = V1;
    });

    it("9. destroys everything it made in the cluster", async () => {
      const destroyed = await timed("9. destroy", () => engine.stack.destroy(recorder().opts));
      expect(destroyed.summary.result).toBe("succeeded");
      expect(await cluster.get(`/api/v1/namespaces/${NAMESPACE}`).then((ns) => ns?.status?.phase ?? "gone")).toMatch(/^(gone|Terminating)$/);
      expect(await deployment()).toBeUndefined();
      // The database and its snapshots stay: they are the user's data.
      expect((await snapshotSchemas()).length).toBeGreaterThan(0);
    });
  });
});
