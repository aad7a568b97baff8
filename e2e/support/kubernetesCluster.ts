/**
 * A throw-away Kubernetes cluster for the e2e, from the binaries scripts/install-kubernetes-from-source.sh
 * builds (same default cache and the same KUBERNETES_TOOLS_CACHE override as the script): etcd,
 * kube-apiserver, kube-controller-manager, kube-scheduler and kwok, which fakes the nodes and their
 * kubelets (pods "run" without any container runtime; no image is pulled). Everything listens on
 * 127.0.0.1 only, on ports picked at run time, and lives in one temp directory (etcd's data, the
 * certificates and keys generated at start, the kubeconfig, each component's log) that `stop` removes.
 *
 * The pieces and why each is there:
 *   etcd                     the apiserver's storage (plain HTTP on 127.0.0.1, no fsync: thrown away).
 *   kube-apiserver           TLS with a CA made at start; the admin authenticates with a client
 *                            certificate in group system:masters; service-account tokens are signed
 *                            with a key made at start.
 *   kube-controller-manager  Deployment/ReplicaSet/endpoints controllers, the service-account and
 *                            token controllers, and the garbage collector and namespace controller,
 *                            without which deletes hang on foreground-deletion finalizers.
 *   kube-scheduler           binds pods to the fake nodes (kwok does not schedule).
 *   kwok                     manages every node (--manage-all-nodes) following the Stage files in
 *                            e2e/support/kubernetesStages: a node becomes Ready, a pod bound to it
 *                            becomes Running and Ready, a pod being deleted goes away. It renews the
 *                            nodes' Leases, which keeps them Ready.
 * The nodes (two by default, `kwok-node-0`, `kwok-node-1`, each in its own zone, so topology spread
 * has somewhere to spread) are created through the API once kwok runs.
 *
 * Also here: where the tools are, the `describe` of a suite that needs them (mirroring
 * describeWithPulumiTools), and installing the built provider as a Pulumi plugin into a PULUMI_HOME.
 */
import { ChildProcess, execFile, spawn } from "node:child_process";
import { createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { accessSync, closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { request as httpRequest } from "node:http";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type * as Forge from "node-forge";
import { describeWhenBuilt, pulumiToolsRoot } from "./pulumiTools";

/** The Kubernetes release the script builds (its K8S_VERSION; the cache directory is named after it). */
export const KUBERNETES_VERSION = "1.37.2";

/** The binaries the cluster and the Pulumi program need, all in `<root>/bin`. */
export const KUBERNETES_TOOLS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "pulumi-resource-kubernetes"] as const;

/** The kwok Stage files (our own), one `--config` each. */
export const KWOK_STAGE_FILES = ["node.yaml", "pod.yaml"].map((f) => resolve(__dirname, "kubernetesStages", f));

/** The @pulumi/kubernetes version installed, which the script pins the provider to. */
export function kubernetesProviderVersion(): string {
  return require("@pulumi/kubernetes/package.json").version;
}

/** The cache root: the binaries are in `<root>/bin`. */
export function kubernetesToolsRoot(): string {
  return process.env.KUBERNETES_TOOLS_CACHE || join(homedir(), ".cache", "creatio-identity", `kubernetes-${KUBERNETES_VERSION}`);
}

/** Why the Kubernetes e2e cannot run (a sentence), or undefined when every binary is in place. */
export function kubernetesToolsProblem(root = kubernetesToolsRoot()): string | undefined {
  const missing = KUBERNETES_TOOLS.filter((tool) => {
    try {
      accessSync(join(root, "bin", tool), constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return undefined;
  return `Kubernetes tools not built (${missing.join(", ")} missing in ${join(root, "bin")}); run scripts/install-kubernetes-from-source.sh`;
}

/**
 * `describe` for a suite that needs the built Kubernetes tools: without them the suite is skipped,
 * saying why in its title and on stdout, unless CREATIO_E2E_REQUIRE_ENGINE=1, which makes a missing
 * tool a failure instead.
 */
export function describeWithKubernetesTools(title: string, body: () => void): void {
  describeWhenBuilt(title, kubernetesToolsProblem(), body);
}

/**
 * Installs the built provider as the `kubernetes` resource plugin of the @pulumi/kubernetes version
 * installed, into `pulumiHome` (`pulumi plugin install resource kubernetes <v> --file <binary>`), so
 * that a stack run with that PULUMI_HOME finds it and downloads nothing. `env` is the stack's (e.g.
 * InlineStack.env).
 */
export async function installKubernetesPlugin(pulumiHome: string, env: Record<string, string> = {}): Promise<void> {
  const binary = join(kubernetesToolsRoot(), "bin", "pulumi-resource-kubernetes");
  const args = ["plugin", "install", "resource", "kubernetes", kubernetesProviderVersion(), "--file", binary, "--non-interactive"];
  try {
    await promisify(execFile)(join(pulumiToolsRoot(), "bin", "pulumi"), args, {
      env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true", ...env, PULUMI_HOME: pulumiHome },
      timeout: 120000,
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`pulumi ${args.join(" ")} failed: ${err.stderr || err.message}`);
  }
}

export interface KubernetesClusterOptions {
  /** How many fake nodes (default 2). */
  nodes?: number;
  /** Where the binaries are (default `<kubernetesToolsRoot()>/bin`). */
  binDir?: string;
  /** How long start-up may take before it fails (default 3 minutes). */
  startTimeoutMs?: number;
}

export interface KubernetesResponse<T = any> {
  status: number;
  body: T;
}

export interface KubernetesCluster {
  /** The kubeconfig file (admin, system:masters). */
  readonly kubeconfig: string;
  /** Its contents, e.g. for a `k8s.Provider`'s `kubeconfig`. */
  readonly kubeconfigContent: string;
  /** The apiserver's URL, https://127.0.0.1:<port>. */
  readonly server: string;
  /** The fake nodes' names. */
  readonly nodeNames: readonly string[];
  /** The temp directory holding everything (removed by `stop`). */
  readonly dir: string;
  /** How long start-up took, in total and per phase (milliseconds). */
  readonly startup: { totalMs: number; phases: Record<string, number> };
  /** A request to the apiserver as the admin (a PATCH body is a JSON merge patch); the answer's body is parsed JSON (or the text when it is not). */
  request<T = any>(method: string, path: string, body?: unknown): Promise<KubernetesResponse<T>>;
  /** GET `path`: the object, or undefined on 404; any other non-2xx status throws. */
  get<T = any>(path: string): Promise<T | undefined>;
  /** Waits until the `default` service account of `namespace` exists (pods can be admitted there). */
  waitForServiceAccount(namespace: string, timeoutMs?: number): Promise<void>;
  /** The last lines of a component's log (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok). */
  logTail(component: string, lines?: number): string;
  /** Stops every process and removes the temp directory. Idempotent. */
  stop(): Promise<void>;
}

const SERVICE_CIDR = "10.0.0.0/24";
const SERVICE_IP = "10.0.0.1"; // the `kubernetes` service: the first address of SERVICE_CIDR
const POD_CIDR = "10.244.0.0/16";

/** Starts the cluster; resolves once every node is Ready and pods can be admitted in `default`. */
export async function startKubernetesCluster(options: KubernetesClusterOptions = {}): Promise<KubernetesCluster> {
  const bin = options.binDir ?? join(kubernetesToolsRoot(), "bin");
  const nodeCount = options.nodes ?? 2;
  const deadline = Date.now() + (options.startTimeoutMs ?? 3 * 60 * 1000);
  const started = Date.now();
  const phases: Record<string, number> = {};
  let phaseStart = started;
  const phase = (name: string) => {
    const now = Date.now();
    phases[name] = now - phaseStart;
    phaseStart = now;
  };

  const dir = mkdtempSync(join(tmpdir(), "creatio-k8s-"));
  const logs = join(dir, "logs");
  mkdirSync(logs);
  const children: Array<{ name: string; child: ChildProcess }> = [];
  const killAll = () => {
    for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  process.once("exit", killAll);
  const logTail = (component: string, lines = 30): string => {
    const file = join(logs, `${component}.log`);
    if (!existsSync(file)) return "";
    return readFileSync(file, "utf8")
      .split("\n")
      .slice(-lines - 1)
      .join("\n");
  };
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // Clients first, storage last.
    for (const { child } of [...children].reverse()) await terminate(child);
    process.removeListener("exit", killAll);
    rmSync(dir, { recursive: true, force: true });
  };

  const launch = (name: string, args: string[], env: Record<string, string> = {}): ChildProcess => {
    const fd = openSync(join(logs, `${name}.log`), "a");
    try {
      const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
      delete childEnv.KUBECONFIG;
      const child = spawn(join(bin, name), args, { stdio: ["ignore", fd, fd], env: childEnv });
      children.push({ name, child });
      child.on("error", () => undefined); // reported through exitCode / the wait below
      return child;
    } finally {
      closeSync(fd);
    }
  };
  /** Polls `check` until it returns a value, failing on the deadline or when a component died. */
  const waitFor = async <T>(what: string, check: () => Promise<T | undefined>, until = deadline): Promise<T> => {
    let last = "";
    for (;;) {
      const dead = children.find(({ child }) => child.exitCode !== null || child.signalCode !== null);
      if (dead) throw new Error(`${dead.name} exited (${dead.child.exitCode ?? dead.child.signalCode}) while waiting for ${what}:\n${logTail(dead.name)}`);
      try {
        const v = await check();
        if (v !== undefined) return v;
      } catch (e) {
        last = (e as Error).message;
      }
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${last})` : ""}`);
      await sleep(200);
    }
  };

  try {
    // ---- certificates and keys ------------------------------------------------------------
    const pki = makePki();
    const file = (name: string, content: string) => {
      const path = join(dir, name);
      writeFileSync(path, content, { mode: 0o600 });
      return path;
    };
    const caCrt = file("ca.crt", pki.ca.certPem);
    const caKey = file("ca.key", pki.ca.keyPem);
    const apiCrt = file("apiserver.crt", pki.apiserver.certPem);
    const apiKey = file("apiserver.key", pki.apiserver.keyPem);
    const saKey = file("sa.key", pki.serviceAccountKeyPem);
    const saPub = file("sa.pub", pki.serviceAccountPublicPem);
    phase("certificates");

    const [etcdClient, etcdPeer, apiPort, kcmPort, schedulerPort] = await freePorts(5);
    const server = `https://127.0.0.1:${apiPort}`;

    // ---- etcd ---------------------------------------------------------------------------
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const peerUrl = `http://127.0.0.1:${etcdPeer}`;
    launch("etcd", [
      "--name=e2e",
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=e2e=${peerUrl}`,
      "--initial-cluster-state=new",
      "--unsafe-no-fsync=true",
      "--log-level=warn",
    ]);
    await waitFor("etcd to be healthy", async () => {
      const r = await httpGet(`${etcdUrl}/health`);
      return r.status === 200 && JSON.parse(r.body).health === "true" ? true : undefined;
    });
    phase("etcd");

    // ---- kube-apiserver -------------------------------------------------------------------
    launch("kube-apiserver", [
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, "apiserver")}`,
      `--tls-cert-file=${apiCrt}`,
      `--tls-private-key-file=${apiKey}`,
      `--client-ca-file=${caCrt}`,
      "--authorization-mode=Node,RBAC",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${saPub}`,
      `--service-account-signing-key-file=${saKey}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      // The `kubernetes` service's endpoints would be 127.0.0.1, which Endpoints reject (loopback).
      "--endpoint-reconciler-type=none",
      "--allow-privileged=true",
      "--profiling=false",
      "--v=1",
    ]);
    const tls = { ca: pki.ca.certPem, cert: pki.admin.certPem, key: pki.admin.keyPem };
    const request = async <T = any>(method: string, path: string, body?: unknown): Promise<KubernetesResponse<T>> => {
      const r = await httpsCall(server, method, path, tls, body);
      let parsed: any = r.body;
      try {
        parsed = JSON.parse(r.body);
      } catch {
        // not JSON: keep the text
      }
      return { status: r.status, body: parsed };
    };
    const get = async <T = any>(path: string): Promise<T | undefined> => {
      const r = await request<T>("GET", path);
      if (r.status === 404) return undefined;
      if (r.status < 200 || r.status >= 300) throw new Error(`GET ${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    await waitFor("kube-apiserver to be ready", async () => ((await request("GET", "/readyz")).status === 200 ? true : undefined));
    phase("kube-apiserver");

    // ---- the kubeconfig, shared by the admin and every component ------------------------------
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    const kubeconfigContent = [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: creatio-e2e",
      "  cluster:",
      `    server: ${server}`,
      `    certificate-authority-data: ${b64(pki.ca.certPem)}`,
      "users:",
      "- name: creatio-e2e-admin",
      "  user:",
      `    client-certificate-data: ${b64(pki.admin.certPem)}`,
      `    client-key-data: ${b64(pki.admin.keyPem)}`,
      "contexts:",
      "- name: creatio-e2e",
      "  context:",
      "    cluster: creatio-e2e",
      "    user: creatio-e2e-admin",
      "    namespace: default",
      "current-context: creatio-e2e",
      "",
    ].join("\n");
    const kubeconfig = file("kubeconfig", kubeconfigContent);

    // ---- kube-controller-manager, kube-scheduler, kwok ----------------------------------------
    launch("kube-controller-manager", [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${kcmPort}`,
      `--cert-dir=${join(dir, "kube-controller-manager")}`,
      "--controllers=*",
      "--leader-elect=false",
      `--service-account-private-key-file=${saKey}`,
      `--root-ca-file=${caCrt}`,
      `--cluster-signing-cert-file=${caCrt}`,
      `--cluster-signing-key-file=${caKey}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      "--profiling=false",
      "--v=1",
    ]);
    launch("kube-scheduler", [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${schedulerPort}`,
      `--cert-dir=${join(dir, "kube-scheduler")}`,
      "--leader-elect=false",
      "--profiling=false",
      "--v=1",
    ]);
    launch(
      "kwok",
      [
        `--kubeconfig=${kubeconfig}`,
        "--manage-all-nodes=true",
        "--node-ip=127.0.0.1",
        `--cidr=${POD_CIDR}`,
        // Renewing the nodes' Leases is what keeps them Ready for the node-lifecycle controller.
        "--node-lease-duration-seconds=40",
        ...KWOK_STAGE_FILES.map((f) => `--config=${f}`),
      ],
      // kwok reads ~/.kwok/kwok.yaml when it exists: not someone's own configuration.
      { HOME: dir },
    );

    // ---- the fake nodes -------------------------------------------------------------------
    const nodeNames = Array.from({ length: nodeCount }, (_, i) => `kwok-node-${i}`);
    for (const [i, name] of nodeNames.entries()) {
      const node = {
        apiVersion: "v1",
        kind: "Node",
        metadata: {
          name,
          labels: {
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "topology.kubernetes.io/zone": `zone-${String.fromCharCode(97 + i)}`,
            type: "kwok",
          },
          annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
        },
      };
      const r = await request("POST", "/api/v1/nodes", node);
      if (r.status !== 201) throw new Error(`creating node ${name}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    await waitFor("the nodes to be Ready (kwok)", async () => {
      const list = await get<any>("/api/v1/nodes");
      const ready = (list?.items ?? []).filter(
        (n: any) =>
          nodeNames.includes(n.metadata.name) &&
          (n.status?.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True") &&
          !(n.spec?.taints ?? []).some((t: any) => t.key === "node.kubernetes.io/not-ready" || t.key === "node.kubernetes.io/unreachable"),
      );
      return ready.length === nodeNames.length ? true : undefined;
    });
    phase("nodes Ready");

    const waitForServiceAccount = async (namespace: string, timeoutMs = 60000): Promise<void> => {
      await waitFor(
        `the default service account in ${namespace}`,
        async () => ((await get(`/api/v1/namespaces/${namespace}/serviceaccounts/default`)) ? true : undefined),
        Date.now() + timeoutMs,
      );
    };
    await waitForServiceAccount("default", Math.max(0, deadline - Date.now()));
    phase("default service account");

    return {
      kubeconfig,
      kubeconfigContent,
      server,
      nodeNames,
      dir,
      startup: { totalMs: Date.now() - started, phases },
      request,
      get,
      waitForServiceAccount,
      logTail,
      stop,
    };
  } catch (e) {
    const tails = children.map(({ name }) => `--- ${name} ---\n${logTail(name, 15)}`).join("\n");
    await stop();
    throw new Error(`starting the Kubernetes cluster failed: ${(e as Error).message}\n${tails}`);
  }
}

// ---- helpers --------------------------------------------------------------------------------

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** SIGTERM, then SIGKILL after 10 s; resolves when the process is gone. */
function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 10000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** `n` distinct free TCP ports on 127.0.0.1 (all held open until every one is picked). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<import("node:net").Server>((resolve, reject) => {
          const s = createServer();
          s.once("error", reject);
          s.listen(0, "127.0.0.1", () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as import("node:net").AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

function httpsCall(server: string, method: string, path: string, tls: { ca: string; cert: string; key: string }, body?: unknown): Promise<{ status: number; body: string }> {
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      new URL(path, server),
      {
        method,
        ...tls,
        timeout: 30000,
        // A PATCH body is a JSON merge patch (what `kubectl scale` and `kubectl patch --type merge` send).
        headers: {
          Accept: "application/json",
          ...(data === undefined ? {} : { "Content-Type": method === "PATCH" ? "application/merge-patch+json" : "application/json", "Content-Length": Buffer.byteLength(data) }),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on("error", reject);
    req.end(data);
  });
}

interface KeyAndCert {
  keyPem: string;
  certPem: string;
}

/**
 * A CA, the apiserver's serving certificate (127.0.0.1, localhost and the `kubernetes` service's
 * names and address), the admin's client certificate (group system:masters) and the service-account
 * signing key pair. RSA 2048 keys made by node:crypto, certificates signed with node-forge.
 */
function makePki(): { ca: KeyAndCert; apiserver: KeyAndCert; admin: KeyAndCert; serviceAccountKeyPem: string; serviceAccountPublicPem: string } {
  const forge: typeof Forge = require("node-forge");
  const newKey = () => generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const notBefore = new Date(Date.now() - 3600 * 1000);
  const notAfter = new Date(Date.now() + 7 * 24 * 3600 * 1000);
  const issue = (subject: Forge.pki.CertificateField[], keyPem: string, extensions: any[], issuer?: { subject: Forge.pki.CertificateField[]; keyPem: string }): string => {
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.publicKeyFromPem(createPublicKey(keyPem).export({ type: "spki", format: "pem" }).toString());
    cert.serialNumber = `01${randomBytes(8).toString("hex")}`;
    cert.validity.notBefore = notBefore;
    cert.validity.notAfter = notAfter;
    cert.setSubject(subject);
    cert.setIssuer((issuer ?? { subject }).subject);
    cert.setExtensions(extensions);
    cert.sign(forge.pki.privateKeyFromPem((issuer ?? { keyPem }).keyPem), forge.md.sha256.create());
    return forge.pki.certificateToPem(cert);
  };

  const caSubject = [{ name: "commonName", value: "creatio-e2e-kubernetes-ca" }];
  const caKey = newKey();
  const ca = {
    keyPem: caKey,
    certPem: issue(caSubject, caKey, [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ]),
  };
  const issuer = { subject: caSubject, keyPem: caKey };

  const apiKey = newKey();
  const apiserver = {
    keyPem: apiKey,
    certPem: issue(
      [{ name: "commonName", value: "kube-apiserver" }],
      apiKey,
      [
        { name: "basicConstraints", cA: false },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
        { name: "extKeyUsage", serverAuth: true },
        {
          name: "subjectAltName",
          altNames: [
            { type: 7, ip: "127.0.0.1" },
            { type: 7, ip: SERVICE_IP },
            ...["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"].map((value) => ({ type: 2, value })),
          ],
        },
      ],
      issuer,
    ),
  };

  const adminKey = newKey();
  const admin = {
    keyPem: adminKey,
    certPem: issue(
      [
        { name: "organizationName", value: "system:masters" },
        { name: "commonName", value: "creatio-e2e-admin" },
      ],
      adminKey,
      [
        { name: "basicConstraints", cA: false },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
        { name: "extKeyUsage", clientAuth: true },
      ],
      issuer,
    ),
  };

  const saKey = newKey();
  return { ca, apiserver, admin, serviceAccountKeyPem: saKey, serviceAccountPublicPem: createPublicKey(saKey).export({ type: "spki", format: "pem" }).toString() };
}
