import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, ConfigError, loadStackConfig, parseStackConfig, PROJECT } from "../config";
import { installMocks } from "./support/mocks";
import { envWithSsh, parse, problems, projectDir } from "./support/stackConfig";
import { testCertificate, testPfx, testPfxWithoutKey } from "./support/pfxFixtures";

/** Pulumi.yaml's defaults as the CLI injects them into the stack's config (strings, lists as JSON). */
function pulumiYamlDefaults(): Record<string, string> {
  const doc = YAML.parse(fs.readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8"));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries<any>(doc.config)) {
    if (v.default === undefined) continue;
    out[k] = typeof v.default === "string" ? v.default : JSON.stringify(v.default);
  }
  return out;
}

describe("stack config", () => {
  it("gives a working dev stack with nothing set", () => {
    const dir = projectDir();
    const cfg = parse({}, [], dir);
    expect(cfg.creatioUrl).toBe("http://localhost:8080");
    expect(cfg.service).toMatchObject({
      sourceDir: path.join(dir, "IdentityService"),
      httpPort: 8090,
      httpsPort: 8443,
      publicUrl: "https://localhost:8443",
      logLevel: "Information",
    });
    expect(cfg.certificate).toEqual({ selfSigned: { dnsNames: ["localhost"], validityDays: 365, earlyRenewalDays: 30 } });
    expect(cfg.database).toEqual({
      container: { image: "postgres:16-alpine", hostPort: 55432, databaseName: "identity_service", username: "identity_service", containerName: "creatio-identity-service-db" },
      retainOnDelete: true,
      takeBack: false,
    });
    expect(cfg.dbProvider).toBe("Postgres");
    expect(cfg.creatio).toBeUndefined();
    expect(cfg.client.clientSecret).toBeUndefined();
  });

  it("treats the defaults the CLI injects from Pulumi.yaml as unset", () => {
    const dir = projectDir();
    expect(parse(pulumiYamlDefaults(), [], dir)).toEqual(parse({}, [], dir));
  });

  it("names the key and the fix for a malformed value", () => {
    const found = problems({ httpPort: "eighty", httpsPort: "70000", logLevel: "Loud", creatioUrl: "ftp://x" });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^creatio-identity:httpPort: must be a whole number \(got "eighty"\)\. Fix: `pulumi config set httpPort 8090`/),
        expect.stringMatching(/^creatio-identity:httpsPort: must be a TCP port from 1 to 65535/),
        expect.stringMatching(/^creatio-identity:logLevel: must be one of Trace, Debug, Information/),
        expect.stringMatching(/^creatio-identity:creatioUrl: must start with http:\/\/ or https:\/\//),
      ]),
    );
    expect(found).toHaveLength(4);
  });

  it("reports an unknown key with the closest real one", () => {
    expect(problems({ httpsPrt: "8443" })).toEqual([expect.stringMatching(/creatio-identity:httpsPrt: unknown key\. Did you mean httpsPort\?/)]);
  });

  it("refuses a secret stored in plain text, without echoing it", () => {
    const secret = "S3cr3t-value-that-must-not-leak-0123456789";
    const found = problems({ clientSecret: secret });
    expect(found).toEqual([expect.stringContaining("creatio-identity:clientSecret: is a secret but is stored in plain text. Fix: `pulumi config set --secret clientSecret")]);
    expect(found.join("\n")).not.toContain(secret);
  });

  it("never echoes a malformed secret", () => {
    const found = problems({ clientSecret: "short secret" }, ["clientSecret"]);
    expect(found).toEqual([expect.stringContaining("creatio-identity:clientSecret: must be at least 32 characters without spaces")]);
    expect(found.join("\n")).not.toContain("short secret");
  });

  it("hands secrets on as Pulumi secrets", async () => {
    const cfg = parse({ clientSecret: "x".repeat(32), redisConnection: "redis:6379" }, ["clientSecret", "redisConnection"]);
    expect(await pulumi.isSecret(cfg.client.clientSecret as pulumi.Output<string>)).toBe(true);
    expect(await pulumi.isSecret(cfg.service.redisConnection!)).toBe(true);
  });

  it("says where to put the Identity Service when Dockerfile-OAuth is missing", () => {
    const dir = projectDir(false);
    expect(problems({}, [], dir)).toEqual([expect.stringMatching(/identityServiceSourceDir: no Dockerfile-OAuth in .*IdentityService\. Fix: unpack IdentityService\.zip/)]);
    expect(() => parse({ image: "creatio-identity-service:8.1" }, [], dir)).not.toThrow();
  });

  it("requires the keys of the chosen database mode and rejects the others", () => {
    expect(problems({ databaseMode: "server" })).toEqual([
      expect.stringMatching(/databaseHost: is required when databaseMode is server\. Fix: `pulumi config set databaseHost/),
      expect.stringMatching(/databaseAdminUsername: is required/),
      expect.stringMatching(/databaseAdminPassword: is required .* Fix: `pulumi config set --secret databaseAdminPassword/),
    ]);
    expect(problems({ databaseHost: "pg" })).toEqual([expect.stringMatching(/databaseHost: is only used with another databaseMode/)]);
  });

  it("keeps the database on destroy unless databaseRetainOnDelete is false; a supplied string has nothing to keep", () => {
    expect(parse({}).database).toMatchObject({ container: {}, retainOnDelete: true });
    expect(parse({ databaseRetainOnDelete: "false" }).database.retainOnDelete).toBe(false);
    expect(
      problems({ databaseMode: "connectionString", databaseConnectionString: "Host=h;Database=d;Username=u;Password=p", databaseRetainOnDelete: "false" }, [
        "databaseConnectionString",
      ]),
    ).toEqual([expect.stringMatching(/^creatio-identity:databaseRetainOnDelete: is only used with another databaseMode/)]);
  });

  it("takes creatioUrl as Creatio's site root, and refuses the .NET Framework /0 with the URL to give", () => {
    expect(problems({ creatioUrl: "https://creatio.example.com/0" })).toEqual([
      'creatio-identity:creatioUrl: must be Creatio\'s site root, without the /0 of the .NET Framework application path: give https://creatio.example.com (got "https://creatio.example.com/0"). Fix: `pulumi config set creatioUrl https://creatio.example.com`.',
    ]);
    expect(problems({ creatioUrl: "https://example.com/creatio/0/" })[0]).toMatch(/give https:\/\/example\.com\/creatio \(got/);
    expect(parse({ creatioUrl: "https://example.com/creatio" }).creatioUrl).toBe("https://example.com/creatio");
    expect(parse({ creatioUrl: "https://example.com/10" }).creatioUrl).toBe("https://example.com/10");
  });

  it("refuses the guide's own example client id and secret (spaces), saying why", () => {
    const found = problems({ clientId: "Id Service User1", clientSecret: "It Is My Password For Identity Service." }, ["clientSecret"]);
    expect(found).toEqual([
      expect.stringMatching(
        /^creatio-identity:clientId: must be exactly 16 characters without spaces \(spaces are refused, as in the guide's examples: .*form-encoded, where a space becomes \+/,
      ),
      expect.stringMatching(/^creatio-identity:clientSecret: must be at least 32 characters without spaces \(spaces are refused/),
    ]);
    expect(found[1]).not.toContain("It Is My Password");
  });

  it("takes identityServerCaPem as PEM certificates, and refuses anything else", () => {
    const ca = testCertificate("Internal CA", new Date(Date.now() - 86400000), new Date(Date.now() + 86400000)).certPem;
    expect(parse({ creatioIntegration: "true", creatioPassword: "pw", identityServerCaPem: ca }, ["creatioPassword"]).creatio!.identityServerCaPem).toBe(ca);
    expect(problems({ creatioIntegration: "true", creatioPassword: "pw", identityServerCaPem: "not a pem" }, ["creatioPassword"])).toEqual([
      expect.stringMatching(/^creatio-identity:identityServerCaPem: must be one or more PEM certificates/),
    ]);
    expect(problems({ identityServerCaPem: ca })).toEqual([expect.stringMatching(/^creatio-identity:identityServerCaPem: is only used when creatioIntegration is true/)]);
  });

  it("suggests fixes that pass: an early renewal shorter than a short validity", () => {
    const [found] = problems({ certificateValidityDays: "20" });
    expect(found).toMatch(/^creatio-identity:certificateEarlyRenewalDays: must be less than the validity \(20 days\).*Fix: `pulumi config set certificateEarlyRenewalDays 6`/);
    const suggested = /certificateEarlyRenewalDays (\d+)`/.exec(found)![1];
    expect(() => parse({ certificateValidityDays: "20", certificateEarlyRenewalDays: suggested })).not.toThrow();
    expect(problems({ certificateValidityDays: "1" })[0]).toMatch(/certificateEarlyRenewalDays 0`/);
    expect(() => parse({ certificateValidityDays: "1", certificateEarlyRenewalDays: "0" })).not.toThrow();
  });

  it("reports a required secret given in plain text once, as plain text, not also as missing", () => {
    const found = problems({ databaseMode: "server", databaseHost: "pg", databaseAdminUsername: "pulumi_admin", databaseAdminPassword: "pw" });
    expect(found).toEqual([expect.stringMatching(/^creatio-identity:databaseAdminPassword: is a secret but is stored in plain text/)]);
    // The suggested admin is not a superuser, as the README says it need not be.
    expect(problems({ databaseMode: "server", databaseHost: "pg", databaseAdminPassword: "pw" }, ["databaseAdminPassword"])).toEqual([
      expect.stringContaining("databaseAdminUsername: is required when databaseMode is server. Fix: `pulumi config set databaseAdminUsername pulumi_admin`."),
    ]);
  });

  it("validates a supplied connection string without echoing it", () => {
    const value = "Host=pg;Password=hunter2;Database";
    const found = problems({ databaseMode: "connectionString", databaseConnectionString: value }, ["databaseConnectionString"]);
    expect(found).toEqual([expect.stringMatching(/^creatio-identity:databaseConnectionString: is not a usable PostgreSQL connection string .*malformed connection string/)]);
    expect(found.join("\n")).not.toContain("hunter2");
    const ok = parse({ databaseMode: "connectionString", databaseProvider: "MsSqlServer", databaseConnectionString: 'Server=sql,1433;Database=is;User Id=u;Password="p;w"' }, [
      "databaseConnectionString",
    ]);
    expect(ok.database.connectionString?.provider).toBe("MsSqlServer");
    expect(ok.dbProvider).toBe("MsSqlServer");
  });

  it("takes a supplied PFX only with its password, and not with self-signed settings", () => {
    expect(problems({ certificatePfxBase64: "AAAA" }, ["certificatePfxBase64"])).toEqual([expect.stringMatching(/certificatePassword: is required with a supplied PFX/)]);
    const pfx = testPfx(testCertificate("identity.example.com", new Date(Date.now() - 86400000), new Date(Date.now() + 90 * 86400000)), "pw").toString("base64");
    expect(problems({ certificatePfxBase64: pfx, certificatePassword: "pw", certificateValidityDays: "90" }, ["certificatePfxBase64", "certificatePassword"])).toEqual([
      expect.stringMatching(/certificateValidityDays: is only used for the self-signed certificate/),
    ]);
    expect(problems({ certificatePfxFile: "missing.pfx", certificatePassword: "pw" }, ["certificatePassword"])).toEqual([
      expect.stringMatching(/certificatePfxFile: file not found: .*missing\.pfx/),
    ]);
  });

  it("adds the public URL's host to the self-signed certificate's names", () => {
    const cfg = parse({ publicUrl: "https://id.example.com", certificateDnsNames: '["localhost"]' });
    expect(cfg.certificate.selfSigned).toMatchObject({ dnsNames: ["localhost", "id.example.com"] });
    expect(problems({ certificateDnsNames: "localhost" })).toEqual([expect.stringMatching(/certificateDnsNames: must be a list of strings .*YAML list/)]);
  });

  it("requires the Creatio administrator's password when the integration is on, and nothing of Creatio's database", () => {
    expect(problems({ creatioIntegration: "true" })).toEqual([expect.stringMatching(/creatioPassword: is required when creatioIntegration is true/)]);
    expect(problems({ creatioPassword: "pw" }, ["creatioPassword"])).toEqual([expect.stringMatching(/creatioPassword: is only used when creatioIntegration is true/)]);
    const cfg = parse({ creatioIntegration: "true", creatioPassword: "pw" }, ["creatioPassword"]);
    expect(cfg.service.urlForCreatio).toBe("https://localhost:8443");
    expect(cfg.creatio).toEqual({
      connection: { url: "http://localhost:8080", username: "Supervisor", password: expect.anything(), netCore: false },
      createDefaultResource: true,
      featureAdminUnitIds: ["a29a3ba5-4b0d-de11-9a51-005056c00008"],
      readinessTimeoutSeconds: 300,
      applications: [],
    });
    expect(parse({ creatioIntegration: "true", creatioPassword: "pw", creatioCreateDefaultResource: "false" }, ["creatioPassword"]).creatio?.createDefaultResource).toBe(false);
  });

  it("tells a stack that still sets creatioDatabaseUrl that it is no longer used, and how to remove it, without echoing it", () => {
    const found = problems({ creatioIntegration: "true", creatioPassword: "pw", creatioDatabaseUrl: "postgres://c:dbpw@h/db" }, ["creatioPassword", "creatioDatabaseUrl"]);
    expect(found).toEqual([expect.stringContaining("creatio-identity:creatioDatabaseUrl: is no longer used: the Creatio integration now works through Creatio's API alone")]);
    expect(found[0]).toContain("`pulumi config rm creatioDatabaseUrl`");
    expect(found[0]).not.toContain("dbpw");
  });

  it("takes imageName as a repository (the tag is the content hash) and validates the snapshot keys", () => {
    const cfg = parse({ restoreDatabaseSnapshot: "snapshot_20261202064216_src_3f2a9c1b7d4e" });
    expect(cfg.service.imageName).toBe("creatio-identity-service");
    expect(cfg.databaseSnapshots).toEqual({ keep: 3, restore: "snapshot_20261202064216_src_3f2a9c1b7d4e" });
    expect(cfg.service.dockerHost).toBeUndefined();
    // @pulumi/docker's own key names the engine the package's restore and health gate talk to as well.
    const withDockerHost = parseStackConfig({ values: { "docker:host": "unix:///run/docker.sock" }, secretKeys: new Set(), projectDir: projectDir(), env: {} });
    expect(withDockerHost.service.dockerHost).toBe("unix:///run/docker.sock");
    expect(parse({ databaseSnapshotsToKeep: "0" }).databaseSnapshots).toEqual({ keep: 0, restore: undefined });
    expect(problems({ imageName: "creatio-identity-service:latest", databaseSnapshotsToKeep: "-1", restoreDatabaseSnapshot: "public" })).toEqual([
      expect.stringMatching(
        /^creatio-identity:imageName: must be a repository without a tag: the tag is the content hash of identityServiceSourceDir \(got "creatio-identity-service:latest"\)\. Fix: `pulumi config set imageName creatio-identity-service`/,
      ),
      expect.stringMatching(/^creatio-identity:databaseSnapshotsToKeep: must be 0 or more/),
      expect.stringMatching(
        /^creatio-identity:restoreDatabaseSnapshot: must be a snapshot name \(snapshot_<yyyymmddhhmmss>_<image>\); `pulumi stack output databaseSnapshots` lists them \(got "public"\)/,
      ),
    ]);
    expect(() => parse({ imageName: "registry.example.com:5000/team/creatio-identity-service" })).not.toThrow();
  });

  it("refuses the snapshot keys with an MS SQL Identity Service database", () => {
    const msSql = { databaseMode: "connectionString", databaseProvider: "MsSqlServer", databaseConnectionString: "Server=sql,1433;Database=is;User Id=u;Password=p" };
    expect(problems({ ...msSql, databaseSnapshotsToKeep: "5", restoreDatabaseSnapshot: "snapshot_20261202064216_x" }, ["databaseConnectionString"])).toEqual([
      expect.stringMatching(/databaseSnapshotsToKeep: is only used with a PostgreSQL Identity Service database/),
      expect.stringMatching(/restoreDatabaseSnapshot: snapshots are PostgreSQL only; back an MS SQL database up and restore it by hand/),
    ]);
    expect(() => parse(msSql, ["databaseConnectionString"])).not.toThrow();
  });

  it("rejects rotation of a supplied secret and clashing ports", () => {
    expect(problems({ clientSecret: "x".repeat(32), rotation: "1" }, ["clientSecret"])).toEqual([expect.stringMatching(/rotation: rotates the generated client secret/)]);
    expect(problems({ httpPort: "8443" })).toEqual([expect.stringMatching(/httpsPort: must differ from httpPort/)]);
  });
});

describe("a supplied PFX, opened by the validation pass", () => {
  const PASSWORD = `Pfx;pw='${"x".repeat(6)}"42`;
  const WRONG = "Not-the-pfx-password-17";
  const day = 86400000;
  const current = testCertificate("identity.example.com", new Date(Date.now() - day), new Date(Date.now() + 200 * day));
  const expired = testCertificate("old.example.com", new Date(Date.now() - 400 * day), new Date(Date.now() - 10 * day));
  const good = testPfx(current, PASSWORD);

  /** A project folder holding `bytes` as certs/identity.pfx. */
  function withPfxFile(bytes: Buffer): string {
    const dir = projectDir();
    fs.mkdirSync(path.join(dir, "certs"));
    fs.writeFileSync(path.join(dir, "certs", "identity.pfx"), bytes);
    return dir;
  }
  const viaFile = (bytes: Buffer, password: string, extra: Record<string, string> = {}) =>
    problems({ certificatePfxFile: "./certs/identity.pfx", certificatePassword: password, ...extra }, ["certificatePassword"], withPfxFile(bytes));
  const viaBase64 = (base64: string, password: string) =>
    problems({ certificatePfxBase64: base64, certificatePassword: password }, ["certificatePfxBase64", "certificatePassword"]);
  const noSecretIn = (found: string[]) => {
    for (const s of [PASSWORD, WRONG, good.toString("base64").slice(0, 40)]) expect(found.join("\n")).not.toContain(s);
  };

  it("accepts a good PFX and hands on what it read (the certificate and its expiry)", () => {
    const dir = withPfxFile(good);
    const cfg = parse({ certificatePfxFile: "./certs/identity.pfx", certificatePassword: PASSWORD }, ["certificatePassword"], dir);
    expect(cfg.certificate.pfx).toMatchObject({ file: path.join(dir, "certs", "identity.pfx") });
    const contents = cfg.certificate.pfx!.contents!;
    expect(contents.subject).toBe("CN=identity.example.com");
    expect(contents.certificatePem).toContain("BEGIN CERTIFICATE");
    expect(Date.parse(contents.notAfter)).toBeGreaterThan(Date.now() + 199 * day);
    expect(
      parse({ certificatePfxBase64: good.toString("base64"), certificatePassword: PASSWORD }, ["certificatePfxBase64", "certificatePassword"]).certificate.pfx?.contents?.subject,
    ).toBe("CN=identity.example.com");
  });

  it("a wrong password: reported under certificatePassword with the fix, together with the other problems, without any secret", () => {
    const found = viaFile(good, WRONG, { httpPort: "eighty" });
    expect(found).toEqual([
      expect.stringMatching(/^creatio-identity:httpPort: must be a whole number/),
      expect.stringMatching(
        /^creatio-identity:certificatePassword: does not open .*identity\.pfx: the password is wrong \(the PFX's integrity check failed\)\. Fix: `pulumi config set --secret certificatePassword`/,
      ),
    ]);
    noSecretIn(found);
    expect(viaBase64(good.toString("base64"), WRONG)).toEqual([
      expect.stringMatching(/^creatio-identity:certificatePassword: does not open the certificatePfxBase64 value: the password is wrong/),
    ]);
  });

  it("a file that is not a PFX at all says so, under the key it came from", () => {
    expect(viaFile(Buffer.from(current.certPem), PASSWORD)).toEqual([
      expect.stringMatching(
        /^creatio-identity:certificatePfxFile: .*identity\.pfx is not a PKCS#12 \(PFX\) file\. Fix: export the certificate with its private key as a PFX \(for example `openssl pkcs12 -export/,
      ),
    ]);
    expect(viaBase64(Buffer.from("certainly not a PFX").toString("base64"), PASSWORD)).toEqual([
      expect.stringMatching(/^creatio-identity:certificatePfxBase64: the certificatePfxBase64 value is not a PKCS#12 \(PFX\) file\. Fix: .*base64 -w0 identity\.pfx/),
    ]);
    // Not even base64 (bad length): the same strict decoding the Certificate component uses.
    expect(viaBase64("QUJD=", PASSWORD)).toEqual([expect.stringMatching(/^creatio-identity:certificatePfxBase64: is not base64/)]);
  });

  it("a PFX without its private key, and an expired certificate, are refused with the fix", () => {
    expect(viaFile(testPfxWithoutKey(current, PASSWORD), PASSWORD)).toEqual([
      expect.stringMatching(/^creatio-identity:certificatePfxFile: .*identity\.pfx holds no private key \(Kestrel needs the key, not only the certificate\)\. Fix: export/),
    ]);
    const found = viaFile(testPfx(expired, PASSWORD), PASSWORD);
    expect(found).toEqual([
      expect.stringMatching(
        /^creatio-identity:certificatePfxFile: the certificate in .*identity\.pfx \(CN=old\.example\.com\) expired on \d{4}-\d\d-\d\dT.*; clients would refuse it\. Fix: supply a current PFX/,
      ),
    ]);
    noSecretIn(found);
  });
});

describe("config errors under the Pulumi engine", () => {
  it("are Pulumi RunErrors, which the engine prints as their message alone (no stack trace, no 'unhandled exception')", () => {
    const error = new ConfigError(['creatio-identity:httpPort: must be a whole number (got "abc"). Fix: `pulumi config set httpPort 8090`.']);
    expect(error).toBeInstanceOf(pulumi.RunError);
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.name).toBe("ConfigError");
    expect(error.problems).toHaveLength(1);
    // The list once, as the message; the engine prints exactly this for a RunError.
    expect(error.message).toBe(
      'Invalid configuration for stack (1 problem):\n  - creatio-identity:httpPort: must be a whole number (got "abc"). Fix: `pulumi config set httpPort 8090`.',
    );
  });

  it("loadStackConfig throws one RunError listing every problem of the running stack's config", () => {
    installMocks({ config: { httpPort: "abc", certificatePassword: "plain" } });
    let error: unknown;
    try {
      loadStackConfig(projectDir());
    } catch (e) {
      error = e;
    }
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    const message = (error as Error).message;
    expect(message.match(/Invalid configuration/g)).toHaveLength(1);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(/^creatio-identity:httpPort: must be a whole number/),
      expect.stringMatching(/^creatio-identity:certificatePassword: is a secret but is stored in plain text/),
    ]);
    for (const p of (error as ConfigError).problems) expect(message.split(p)).toHaveLength(2);
  });
});

describe("Pulumi.yaml", () => {
  const doc = YAML.parse(fs.readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8"));

  it("is the creatio-identity nodejs project", () => {
    expect(doc.name).toBe(PROJECT);
    expect(doc.runtime.name ?? doc.runtime).toBe("nodejs");
  });

  it("declares exactly the keys the program reads (its config block is generated from them)", () => {
    expect(Object.keys(doc.config)).toEqual(Object.keys(CONFIG_KEYS));
  });

  it("examples/Pulumi.dev.yaml sets only declared keys and validates; a dev stack's own file is git-ignored", () => {
    expect(fs.readFileSync(path.join(__dirname, "..", ".gitignore"), "utf8").split("\n")).toContain("/Pulumi.dev.yaml");
    const dev = YAML.parse(fs.readFileSync(path.join(__dirname, "..", "examples", "Pulumi.dev.yaml"), "utf8"));
    const values: Record<string, string> = {};
    for (const [k, v] of Object.entries<any>(dev.config ?? {})) values[k.replace(`${PROJECT}:`, "")] = String(v);
    expect(() => parse(values)).not.toThrow();
  });
});

describe("README", () => {
  const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");

  it("starts with the install and test commands", () => {
    const firstBlock = readme.slice(readme.indexOf("```"), readme.indexOf("```", readme.indexOf("```") + 3));
    expect(firstBlock).toContain("npm ci");
    expect(firstBlock).toContain("npm test");
  });

  it("lists every stack output index.ts exports in its outputs table", () => {
    const exported = [...fs.readFileSync(path.join(__dirname, "..", "index.ts"), "utf8").matchAll(/^export const (\w+)/gm)].map((m) => m[1]);
    expect(exported).toContain("creatioIntegration");
    const section = readme.slice(readme.indexOf("## Outputs"), readme.indexOf("\n## ", readme.indexOf("## Outputs") + 1));
    const documented = [...section.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(exported.sort());
  });

  it("stands on its own in a clone: no pointer to the design notes or the seeds outside the repository", () => {
    const root = path.join(__dirname, "..");
    const tracked = require("node:child_process").execFileSync("git", ["ls-files"], { cwd: root, encoding: "utf8" }).split("\n");
    const files = tracked.filter((f: string) => /\.(md|ts|mjs|js|sql|ya?ml|sh)$/.test(f) && f !== "test/config.test.ts");
    expect(files.length).toBeGreaterThan(50);
    for (const file of files) {
      const text = fs.readFileSync(path.join(root, file), "utf8");
      expect({ file, designNotes: /DESIGN\.md/.test(text), seeds: /shared\/seeds|\.\.\/shared/.test(text) }).toEqual({ file, designNotes: false, seeds: false });
    }
  });
});

/** A stack file's config as the CLI hands it to the program: strings as they are, structured values (lists) as JSON. */
function cliValues(doc: { config: Record<string, unknown> }): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc.config)) values[k.startsWith(`${PROJECT}:`) ? k.slice(PROJECT.length + 1) : k] = typeof v === "string" ? v : JSON.stringify(v);
  return values;
}

/**
 * What the Pulumi CLI refuses in a stack file before the program runs (`pulumi preview`: "Stack 'test'
 * with configuration key 'certificateDnsNames' must be of type 'array<string>'"), by Pulumi.yaml's types.
 */
function cliTypeProblems(doc: { config: Record<string, unknown> }): string[] {
  const declared = YAML.parse(fs.readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8")).config as Record<string, { type?: string }>;
  const found: string[] = [];
  for (const [k, v] of Object.entries(doc.config)) {
    if (!k.startsWith(`${PROJECT}:`)) continue;
    const key = k.slice(PROJECT.length + 1);
    const type = declared[key]?.type;
    const ok =
      type === "array"
        ? Array.isArray(v)
        : type === "integer"
          ? Number.isInteger(v) || (typeof v === "string" && /^-?\d+$/.test(v))
          : type === "boolean"
            ? typeof v === "boolean" || v === "true" || v === "false"
            : type === "string"
              ? typeof v === "string" || typeof v === "number" || typeof v === "boolean"
              : true;
    if (!ok) found.push(`${key} must be of type '${type}'`);
  }
  return found;
}

describe("the example stack files", () => {
  const examples = fs.readdirSync(path.join(__dirname, "..", "examples")).filter((f) => /^Pulumi\..+\.yaml$/.test(f));

  it.each(examples)("%s passes the Pulumi CLI's type check of stack config", (file) => {
    expect(cliTypeProblems(YAML.parse(fs.readFileSync(path.join(__dirname, "..", "examples", file), "utf8")))).toEqual([]);
  });

  it("the check catches a list written as a string, as the CLI does", () => {
    expect(cliTypeProblems({ config: { [`${PROJECT}:certificateDnsNames`]: '["identity.example.com"]', [`${PROJECT}:httpPort`]: "80x" } })).toEqual([
      "certificateDnsNames must be of type 'array'",
      "httpPort must be of type 'integer'",
    ]);
  });
});

describe("examples/Pulumi.test.yaml", () => {
  it("validates once its documented secrets are set, and deploys to the test Docker host", () => {
    const doc = YAML.parse(fs.readFileSync(path.join(__dirname, "..", "examples", "Pulumi.test.yaml"), "utf8"));
    const values = cliValues(doc);
    const secrets = { databaseAdminPassword: "pw", creatioPassword: "pw" };
    const cfg = parse({ ...values, ...secrets }, Object.keys(secrets), projectDir(false), envWithSsh());
    expect(cfg.service.dockerHost).toBe("ssh://deploy@docker-test.example.com");
    expect(cfg.database.server).toMatchObject({ host: "pg-test.example.com", databaseName: "identity_service_test" });
    expect(cfg.service.image).toBe("registry.example.com/creatio/identity-service:8.1.4");
    expect(cfg.certificate).toMatchObject({ selfSigned: { dnsNames: ["identity-test.example.com"] } });
  });
});

describe("examples/Pulumi.prod.yaml", () => {
  it("validates once its documented secrets are set, the PFX among them (CI has no git-ignored .pfx file)", () => {
    const doc = YAML.parse(fs.readFileSync(path.join(__dirname, "..", "examples", "Pulumi.prod.yaml"), "utf8"));
    const dir = projectDir(false);
    // A real PFX, as CI has it: a secret in the stack file (*.pfx is git-ignored). Validation opens it with certificatePassword.
    const pfx = testPfx(testCertificate("identity.example.com", new Date(Date.now() - 86400000), new Date(Date.now() + 400 * 86400000)), "pw");
    expect(cliValues(doc).certificatePfxFile).toBeUndefined();
    const secrets = { certificatePfxBase64: pfx.toString("base64"), certificatePassword: "pw", databaseAdminPassword: "pw", redisConnection: "r:6379", creatioPassword: "pw" };
    const cfg = parse({ ...cliValues(doc), ...secrets }, Object.keys(secrets), dir, envWithSsh());
    expect(cfg.database.server).toMatchObject({ host: "pg.example.com", sslMode: "require" });
    expect(cfg.certificate.pfx).toBeDefined();
    expect(cfg.creatio?.connection.netCore).toBe(true);
    expect(cfg.service.publicUrl).toBe("https://identity.example.com");
    // CI deploys it: the containers go to the production Docker host, not to the runner.
    expect(cfg.service.dockerHost).toBe("ssh://deploy@docker-prod.example.com");
  });
});
