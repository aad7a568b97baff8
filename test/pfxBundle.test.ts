/**
 * The PfxBundle dynamic provider, called directly as the Pulumi engine would, with real keys and
 * certificates from `openssl req`; and the provider serialized and run in a separate Node process,
 * as Pulumi's dynamic-provider host loads it.
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tls from "tls";
import * as pulumi from "@pulumi/pulumi";
import { UNKNOWN_VALUE } from "../lib/unknownValues";
import { PFX_ITERATIONS, readPfx } from "../lib/pfx";
import { PFX_BUNDLE_TYPE, PfxBundle, PfxBundleInputs, PfxBundleOutputs, pfxBundleProvider, pfxBundleProviderWith } from "../components/pfxBundle";
import { TEST_PFX_ITERATIONS } from "./support/pfxFixtures";
import { testKeyPem } from "./support/testKeys";
import { installMocks, only, settle, valueOf } from "./support/mocks";

const UNKNOWN = UNKNOWN_VALUE;
const PASSWORD = "Kq7mP2xVn9Lr4Tz8Wb3Yc6Hd1Jf5Gs0A";
const PROVIDER = "serialized-provider-text";
/** The same provider building PFX files with few iterations, for tests about what changes when (each real build costs seconds). */
const quickProvider = pfxBundleProviderWith({ iterations: TEST_PFX_ITERATIONS });

let dir: string;
let key: string;
let cert: string;
let renewedCert: string;
let ecKey: string;

/** Runs openssl in the test folder; its standard output, or a failure with what it printed. */
function openssl(args: string[]): string {
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
  return r.stdout;
}

function read(name: string): string {
  return fs.readFileSync(path.join(dir, name), "utf8");
}

function notAfterOf(pem: string): string {
  return new Date(new crypto.X509Certificate(pem).validTo).toISOString();
}

/** What the engine passes: the inputs plus the serialized provider. */
function news(overrides: Partial<Record<keyof PfxBundleInputs, string>> = {}): PfxBundleInputs {
  return { privateKeyPem: key, certificatePem: cert, password: PASSWORD, __provider: PROVIDER, ...overrides } as PfxBundleInputs;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pfxbundle-test-"));
  fs.writeFileSync(path.join(dir, "k.pem"), testKeyPem(0));
  openssl(["req", "-x509", "-key", "k.pem", "-out", "c.pem", "-subj", "/CN=identity.test", "-days", "30"]);
  // The same key re-certified with a later expiry: what an early renewal of tls.SelfSignedCert gives.
  openssl(["req", "-x509", "-key", "k.pem", "-out", "c2.pem", "-subj", "/CN=identity.test", "-days", "90"]);
  openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec.pem"]);
  key = read("k.pem");
  cert = read("c.pem");
  renewedCert = read("c2.pem");
  ecKey = read("ec.pem");
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("create", () => {
  let created: { id: string; outs?: PfxBundleOutputs };
  beforeAll(async () => {
    created = await pfxBundleProvider.create(news());
  });

  it("builds a PFX that opens with the password and holds the certificate", () => {
    const pfx = Buffer.from(created.outs!.pfxBase64, "base64");
    expect(() => tls.createSecureContext({ pfx, passphrase: PASSWORD })).not.toThrow();
    expect(() => tls.createSecureContext({ pfx, passphrase: `${PASSWORD}x` })).toThrow();
    // Read by openssl (node-forge takes seconds for the full iteration count).
    fs.writeFileSync(path.join(dir, "opened.pfx"), pfx);
    const certs = openssl(["pkcs12", "-in", "opened.pfx", "-nokeys", "-clcerts", "-passin", `pass:${PASSWORD}`]);
    expect(new crypto.X509Certificate(certs.slice(certs.indexOf("-----BEGIN CERTIFICATE-----"))).raw.equals(new crypto.X509Certificate(cert).raw)).toBe(true);
  });

  it("builds it with the full iteration count", () => {
    fs.writeFileSync(path.join(dir, "created.pfx"), Buffer.from(created.outs!.pfxBase64, "base64"));
    const info = spawnSync("openssl", ["pkcs12", "-in", "created.pfx", "-info", "-noout", "-passin", `pass:${PASSWORD}`], { cwd: dir, encoding: "utf8" });
    expect(info.stderr).toContain(`MAC: sha1, Iteration ${PFX_ITERATIONS}`);
  });

  it("keeps the inputs and the expiry in state, without the provider text", () => {
    expect(created.outs).toEqual({
      privateKeyPem: key,
      certificatePem: cert,
      password: PASSWORD,
      pfxBase64: expect.any(String),
      notAfter: notAfterOf(cert),
    });
    expect(typeof created.id).toBe("string");
    expect(created.id.length).toBeGreaterThan(0);
  });

  it("diff against its own state with the same inputs plans nothing", async () => {
    const state = { ...created.outs!, __provider: PROVIDER } as PfxBundleOutputs;
    const diff = await pfxBundleProvider.diff!(created.id, state, news());
    expect(diff).toMatchObject({ changes: false, changedKeys: [] });
  });

  it("read with no state (as `pulumi import` calls it) refuses, saying why and what to do", async () => {
    for (const props of [undefined, {} as PfxBundleOutputs, { __provider: PROVIDER } as unknown as PfxBundleOutputs]) {
      await expect(pfxBundleProvider.read!("imported-id", props)).rejects.toThrow(
        /^PfxBundle imported-id cannot be imported or read without its state: the PFX it builds exists only in Pulumi's state\. Remove the import .* run `pulumi up`/,
      );
    }
  });

  it("read returns the state as it is (the PFX bytes stay the same)", async () => {
    const result = await pfxBundleProvider.read!(created.id, created.outs);
    expect(result.id).toBe(created.id);
    expect(result.props).toEqual(created.outs);
    expect(result.props!.pfxBase64).toBe(created.outs!.pfxBase64);
  });
});

describe("diff", () => {
  const olds = () =>
    ({ privateKeyPem: key, certificatePem: cert, password: PASSWORD, pfxBase64: "AAAA", notAfter: "2030-01-01T00:00:00.000Z", __provider: PROVIDER }) as PfxBundleOutputs;

  it("a new certificate is a change (an update, not a replacement), naming the property", async () => {
    const diff = await pfxBundleProvider.diff!("id", olds(), news({ certificatePem: renewedCert }));
    expect(diff).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false, changedKeys: ["certificatePem"] });
  });

  it("a new key or password is a change", async () => {
    expect(await pfxBundleProvider.diff!("id", olds(), news({ privateKeyPem: ecKey, password: "other" }))).toMatchObject({
      changes: true,
      changedKeys: ["privateKeyPem", "password"],
    });
  });

  it("a value not known yet (preview) counts as a change", async () => {
    expect(await pfxBundleProvider.diff!("id", olds(), news({ certificatePem: UNKNOWN }))).toMatchObject({ changes: true, changedKeys: ["certificatePem"] });
  });

  it("a different serialized provider alone is no change", async () => {
    expect(await pfxBundleProvider.diff!("id", olds(), news({ __provider: "other provider text" } as any))).toMatchObject({ changes: false });
  });
});

describe("update", () => {
  it("rebuilds the PFX with the new certificate and its expiry", async () => {
    const first = await quickProvider.create(news());
    const result = await quickProvider.update!(first.id, first.outs!, news({ certificatePem: renewedCert }));
    const outs = result.outs!;
    expect(outs.certificatePem).toBe(renewedCert);
    expect(outs.notAfter).toBe(notAfterOf(renewedCert));
    expect(outs.notAfter).not.toBe(first.outs!.notAfter);
    const contents = readPfx(Buffer.from(outs.pfxBase64, "base64"), PASSWORD);
    expect(contents.notAfter).toBe(notAfterOf(renewedCert));
  });
});

describe("check", () => {
  it("accepts valid inputs and returns them", async () => {
    expect(await pfxBundleProvider.check!({} as PfxBundleInputs, news())).toEqual({ inputs: news() });
  });

  it("skips values not known yet (preview)", async () => {
    const unknowns = news({ privateKeyPem: UNKNOWN, certificatePem: UNKNOWN, password: UNKNOWN });
    expect((await pfxBundleProvider.check!({} as PfxBundleInputs, unknowns)).failures).toBeUndefined();
  });

  it("names the property: missing password, ECDSA key, key of another certificate", async () => {
    const missing = await pfxBundleProvider.check!({} as PfxBundleInputs, news({ password: undefined }));
    expect(missing.failures).toEqual([{ property: "password", reason: expect.stringMatching(/^PfxBundle: password is required/) }]);

    const ecdsa = await pfxBundleProvider.check!({} as PfxBundleInputs, news({ privateKeyPem: ecKey }));
    expect(ecdsa.failures).toEqual([{ property: "privateKeyPem", reason: expect.stringMatching(/ECDSA key; only RSA keys/) }]);

    fs.writeFileSync(path.join(dir, "k3.pem"), testKeyPem(1));
    openssl(["req", "-x509", "-key", "k3.pem", "-out", "c3.pem", "-subj", "/CN=other.test", "-days", "1"]);
    const mismatch = await pfxBundleProvider.check!({} as PfxBundleInputs, news({ certificatePem: read("c3.pem") }));
    expect(mismatch.failures).toEqual([{ property: "privateKeyPem", reason: expect.stringMatching(/does not belong to certificatePem/) }]);
  });

  it("never puts a value in a reason", async () => {
    const secret = "Sëcret-password-value";
    const result = await pfxBundleProvider.check!({} as PfxBundleInputs, news({ password: secret, privateKeyPem: "not a key" }));
    expect(result.failures!.map((f) => f.property)).toEqual(["password", "privateKeyPem"]);
    expect(JSON.stringify(result.failures)).not.toContain("Sëcret");
    expect(JSON.stringify(result.failures)).not.toContain("not a key");
  });

  it("create fails with the same clear error when check was skipped", async () => {
    await expect(pfxBundleProvider.create(news({ privateKeyPem: ecKey }))).rejects.toThrow(/privateKeyPem holds an ECDSA key/);
  });
});

describe("serialization (how Pulumi ships the provider to its dynamic-provider host)", () => {
  it("serializes, and the serialized provider builds a working PFX in a separate Node process", async () => {
    const serialized = await pulumi.runtime.serializeFunction(() => pfxBundleProvider, { allowSecrets: true });
    // The host loads the text with require-from-string and calls handler() to get the provider.
    const providerFile = path.join(dir, "provider.js");
    const inputsFile = path.join(dir, "inputs.json");
    const outFile = path.join(dir, "out.json");
    fs.writeFileSync(providerFile, serialized.text);
    fs.writeFileSync(inputsFile, JSON.stringify(news()));
    const script = `
      const requireFromString = require("require-from-string");
      const fs = require("fs");
      const provider = requireFromString(fs.readFileSync(process.argv[1], "utf8")).handler();
      const inputs = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
      (async () => {
        const checked = await provider.check({}, inputs);
        const created = await provider.create(checked.inputs);
        const diff = await provider.diff(created.id, created.outs, inputs);
        fs.writeFileSync(process.argv[3], JSON.stringify({ failures: checked.failures, created, diff }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    // cwd is the project, as for the real host, so require("node-forge") resolves from its node_modules.
    const r = spawnSync(process.execPath, ["-e", script, providerFile, inputsFile, outFile], { cwd: path.resolve(__dirname, ".."), encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const result = JSON.parse(fs.readFileSync(outFile, "utf8"));
    expect(result.failures).toBeUndefined();
    expect(result.diff.changes).toBe(false);
    const pfx = Buffer.from(result.created.outs.pfxBase64, "base64");
    expect(() => tls.createSecureContext({ pfx, passphrase: PASSWORD })).not.toThrow();
  });
});

describe("PfxBundle resource (mocks)", () => {
  it("registers its type with the three inputs and exposes the provider's outputs", async () => {
    const resources = installMocks({ fakers: { [PFX_BUNDLE_TYPE]: () => ({ pfxBase64: "ZmFrZQ==", notAfter: "2031-01-01T00:00:00.000Z" }) } });
    const bundle = new PfxBundle("b", { privateKeyPem: "k", certificatePem: "c", password: "p" });
    await settle();
    const recorded = only(resources, PFX_BUNDLE_TYPE, "b");
    expect(PFX_BUNDLE_TYPE).toBe("pulumi-nodejs:dynamic/creatio-identity:PfxBundle");
    // Stacks made when PfxBundle had Pulumi's generic dynamic type move to the new type in place.
    expect(recorded.aliases).toEqual([{ type: "pulumi-nodejs:dynamic:Resource" }]);
    expect(recorded.inputs).toMatchObject({ privateKeyPem: "k", certificatePem: "c", password: "p" });
    expect(typeof recorded.inputs.__provider).toBe("string");
    // Outputs are set by the base constructor; class fields must not reset them.
    expect(await valueOf(bundle.pfxBase64)).toBe("ZmFrZQ==");
    expect(await valueOf(bundle.notAfter)).toBe("2031-01-01T00:00:00.000Z");
  });

  it("keeps the caller's own aliases and options next to its own", async () => {
    const resources = installMocks({ fakers: { [PFX_BUNDLE_TYPE]: () => ({ pfxBase64: "ZmFrZQ==", notAfter: "2031-01-01T00:00:00.000Z" }) } });
    const opts = Object.freeze({ aliases: [{ name: "renamed-from" }], protect: true });
    new PfxBundle("b2", { privateKeyPem: "k", certificatePem: "c", password: "p" }, opts);
    await settle();
    expect(only(resources, PFX_BUNDLE_TYPE, "b2").aliases).toEqual(expect.arrayContaining([{ name: "renamed-from" }, { type: "pulumi-nodejs:dynamic:Resource" }]));
    expect(opts.aliases).toEqual([{ name: "renamed-from" }]);
  });
});
