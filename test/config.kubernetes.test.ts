import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../config";
import { parse, problems, projectDir } from "./support/stackConfig";
import { testCertificate, testPfx } from "./support/pfxFixtures";

/** A Kubernetes stack that validates: server database, a prebuilt image, one pod (no Redis needed). */
const base: Record<string, string> = {
  platform: "kubernetes",
  publicUrl: "https://identity.example.com",
  image: "registry.example.com/creatio/identity:8.1.4",
  databaseMode: "server",
  databaseHost: "pg.example.com",
  databaseAdminUsername: "pulumi_admin",
  databaseAdminPassword: "pw",
  replicas: "1",
};
const secrets = ["databaseAdminPassword", "redisConnection", "kubeconfig", "imageRegistryPassword"];

describe("platform kubernetes: the rules, checked with the rest of the config", () => {
  it("gives the Kubernetes settings with their defaults", () => {
    const cfg = parse(base, secrets);
    expect(cfg.platform).toBe("kubernetes");
    expect(cfg.kubernetes).toEqual({
      kubeconfig: undefined,
      context: undefined,
      namespace: "creatio-identity",
      createNamespace: true,
      replicas: 1,
      replicasMax: undefined,
      autoscaleCpuPercent: 70,
      resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } },
      serviceType: "ClusterIP",
      ingressClassName: undefined,
      registry: undefined,
    });
  });

  it("more than one pod needs redisConnection: the error names it and both fixes", () => {
    const found = problems({ ...base, replicas: "2" }, secrets);
    expect(found).toEqual([
      expect.stringMatching(
        /^creatio-identity:redisConnection: is required when replicas is more than 1 \(it is 2\): .*machine key.* Fix: `pulumi config set --secret redisConnection '.*'`, or `pulumi config set replicas 1`\.$/,
      ),
    ]);
    expect(() => parse({ ...base, replicas: "3", redisConnection: "redis:6379" }, secrets)).not.toThrow();
  });

  it("a redisConnection refused for being plain text is reported once, under its own key", () => {
    const found = problems({ ...base, replicas: "2", redisConnection: "redis:6379" }, ["databaseAdminPassword"]);
    expect(found).toEqual([expect.stringMatching(/^creatio-identity:redisConnection: is a secret but is stored in plain text/)]);
  });

  it("databaseMode container is Docker-only: the error names databaseMode and the modes that work", () => {
    const { databaseHost: _h, databaseAdminUsername: _u, databaseAdminPassword: _p, ...rest } = base;
    const found = problems({ ...rest, databaseMode: "container" }, secrets);
    expect(found).toEqual([
      expect.stringMatching(
        /^creatio-identity:databaseMode: container is for one Docker host and cannot be used with platform kubernetes\. Fix: `pulumi config set databaseMode server` .* or `pulumi config set databaseMode connectionString`\.$/,
      ),
    ]);
    // The default mode is container, so a Kubernetes stack that forgets it hears the same.
    expect(problems({ platform: "kubernetes", publicUrl: "https://i.example.com", image: "r.example.com/is:1", replicas: "1" })).toEqual([
      expect.stringMatching(/^creatio-identity:databaseMode: container is for one Docker host/),
    ]);
  });

  it("reports every problem of a Kubernetes stack in one run", () => {
    const found = problems({ platform: "kubernetes", httpPort: "9000", replicasMax: "1", cpuRequest: "2", memoryLimit: "12", autoscaleCpuPercent: "50" });
    expect(found.map((p) => p.split(":")[1])).toEqual(
      expect.arrayContaining(["httpPort", "databaseMode", "publicUrl", "redisConnection", "replicasMax", "cpuRequest", "memoryRequest", "imageName"]),
    );
    expect(found.find((p) => p.includes(":httpPort:"))).toMatch(/is only used with platform docker/);
    expect(found.find((p) => p.includes(":publicUrl:"))).toMatch(/is required with platform kubernetes/);
    expect(found.find((p) => p.includes(":imageName:"))).toMatch(/names no registry.*Fix: `pulumi config set imageName registry\.example\.com\/creatio-identity-service`/);
    expect(found.find((p) => p.includes(":cpuRequest:"))).toMatch(/2 is more than cpuLimit \(1\)\. Fix: `pulumi config set cpuLimit 2`/);
  });

  it("checks the quantities and the names Kubernetes will refuse", () => {
    const found = problems({ ...base, cpuLimit: "0", memoryRequest: "lots", kubernetesNamespace: "Creatio_Identity", kubernetesServiceType: "External" }, secrets);
    expect(found).toEqual([
      expect.stringMatching(/^creatio-identity:kubernetesNamespace: must be a DNS label/),
      expect.stringMatching(/^creatio-identity:cpuLimit: must be a CPU quantity above 0/),
      expect.stringMatching(/^creatio-identity:memoryRequest: must be a memory quantity above 0, such as 256Mi/),
      expect.stringMatching(/^creatio-identity:kubernetesServiceType: must be one of ClusterIP, NodePort, LoadBalancer/),
    ]);
  });

  it("an Ingress needs an https:// publicUrl", () => {
    expect(problems({ ...base, ingressClassName: "nginx", publicUrl: "http://identity.example.com" }, secrets)).toEqual([
      expect.stringMatching(/^creatio-identity:publicUrl: must be an https:\/\/ URL with an Ingress/),
    ]);
  });

  it("builds and pushes to the registry in imageName, with its login as a secret", async () => {
    const { image: _image, ...rest } = base;
    const cfg = parse({ ...rest, imageName: "registry.example.com/creatio/identity", imageRegistryUsername: "ci", imageRegistryPassword: "token" }, secrets);
    expect(cfg.service.imageName).toBe("registry.example.com/creatio/identity");
    expect(cfg.kubernetes!.registry).toMatchObject({ server: "registry.example.com", username: "ci" });
    expect(pulumi.Output.isInstance(cfg.kubernetes!.registry!.password)).toBe(true);
    // One registry credential without the other.
    expect(problems({ ...rest, imageName: "registry.example.com/is", imageRegistryUsername: "ci" }, secrets)).toEqual([
      expect.stringMatching(/^creatio-identity:imageRegistryPassword: is required together with the other registry credential/),
    ]);
  });

  it("takes the cluster from kubeconfig (secret), else from the Kubernetes provider's own stack config", async () => {
    const fromKey = parse({ ...base, kubeconfig: "apiVersion: v1\nkind: Config\n", kubernetesContext: "prod" }, secrets);
    expect(fromKey.kubernetes!.context).toBe("prod");
    expect(pulumi.Output.isInstance(fromKey.kubernetes!.kubeconfig)).toBe(true);
    expect(await pulumi.isSecret(fromKey.kubernetes!.kubeconfig!)).toBe(true);
    const fromProvider = parse({ ...base, "kubernetes:kubeconfig": "~/.kube/prod", "kubernetes:context": "prod-admin" }, secrets);
    expect(fromProvider.kubernetes!.context).toBe("prod-admin");
    expect(await pulumi.isSecret(fromProvider.kubernetes!.kubeconfig!)).toBe(true);
    expect(problems({ ...base, kubeconfig: "apiVersion: v1" }, ["databaseAdminPassword"])).toEqual([
      expect.stringMatching(/^creatio-identity:kubeconfig: is a secret but is stored in plain text/),
    ]);
  });

  it("on Docker, every Kubernetes key set is reported as unused, with the key that turns them on", () => {
    const found = problems({ replicas: "3", ingressClassName: "nginx" });
    expect(found).toEqual([
      "creatio-identity:replicas: is only used with platform kubernetes (`pulumi config set platform kubernetes`); remove it (`pulumi config rm replicas`) or change that setting.",
      "creatio-identity:ingressClassName: is only used with platform kubernetes (`pulumi config set platform kubernetes`); remove it (`pulumi config rm ingressClassName`) or change that setting.",
    ]);
    expect(parse({}).platform).toBe("docker");
    expect(parse({}).kubernetes).toBeUndefined();
  });
});

describe("examples/Pulumi.kubernetes.yaml", () => {
  it("validates once its documented secrets are set", () => {
    const doc = YAML.parse(fs.readFileSync(path.join(__dirname, "..", "examples", "Pulumi.kubernetes.yaml"), "utf8"));
    const values: Record<string, string> = {};
    for (const [k, v] of Object.entries<any>(doc.config)) values[k.replace(`${PROJECT}:`, "")] = String(v);
    const dir = projectDir();
    fs.mkdirSync(path.join(dir, "certs"));
    // A real PFX: validation opens it with certificatePassword.
    fs.writeFileSync(
      path.join(dir, "certs", "identity.pfx"),
      testPfx(testCertificate("identity.example.com", new Date(Date.now() - 86400000), new Date(Date.now() + 400 * 86400000)), "pw"),
    );
    const given = { databaseAdminPassword: "pw", redisConnection: "r:6379", creatioPassword: "pw", imageRegistryPassword: "token", certificatePassword: "pw" };
    const cfg = parse({ ...values, ...given }, Object.keys(given), dir);
    expect(cfg.certificate.pfx).toBeDefined();
    expect(cfg.platform).toBe("kubernetes");
    expect(cfg.kubernetes!.replicas).toBeGreaterThanOrEqual(2);
    expect(cfg.kubernetes!.ingressClassName).toBeDefined();
    expect(cfg.kubernetes!.registry).toBeDefined();
    expect(cfg.service.sourceDir).toBeDefined();
  });
});
