/**
 * The Certificate component under Pulumi's mocks: the inputs of its tls/random/PfxBundle children,
 * secret-ness of its outputs, repeatability, the supplied-PFX pass-through, and its errors.
 * The PfxBundle's outputs come from a faker (the tls faker's PEMs are not real); the real PFX
 * build is covered by pfx.test.ts and pfxBundle.test.ts.
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Certificate, CertificateArgs, PFX_PASSWORD_LENGTH, SELF_SIGNED_RSA_BITS } from "../components/certificate";
import { PFX_BUNDLE_TYPE } from "../components/pfxBundle";
import { installMocks, only, RecordedResource, secretValueOf, settle, valueOf } from "./support/mocks";
import { testKeyPem } from "./support/testKeys";
import { twoRuns } from "./support/determinism";

const FAKE_PFX = Buffer.from("fake pfx bytes").toString("base64");
/** The PfxBundle's outputs (it has a type of its own, `pulumi-nodejs:dynamic/creatio-identity:PfxBundle`). */
const fakers = {
  [PFX_BUNDLE_TYPE]: (a: pulumi.runtime.MockResourceArgs) => ({ pfxBase64: FAKE_PFX, notAfter: "2027-11-23T00:00:00.000Z", certificatePem: a.inputs.certificatePem }),
};

const PASSWORD_TYPE = "random:index/randomPassword:RandomPassword";
const KEY_TYPE = "tls:index/privateKey:PrivateKey";
const CERT_TYPE = "tls:index/selfSignedCert:SelfSignedCert";

/** Runs one program (a fresh mock engine) and returns what it registered and the component. */
async function run(args: CertificateArgs, name = "identity-cert"): Promise<{ resources: RecordedResource[]; cert: Certificate }> {
  const resources = installMocks({ fakers });
  const cert = new Certificate(name, args);
  await valueOf(cert.expiresAt);
  await valueOf(cert.pfxBase64);
  await settle();
  return { resources, cert };
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return "(no error)";
}

const selfSignedArgs: CertificateArgs = { selfSigned: { dnsNames: ["identity.local", "localhost"], ipAddresses: ["127.0.0.1"] } };

describe("self-signed", () => {
  let resources: RecordedResource[];
  let cert: Certificate;
  beforeAll(async () => {
    ({ resources, cert } = await run(selfSignedArgs));
  });

  it("registers the component and its four children", () => {
    expect(resources.map((r) => `${r.type} ${r.name}`).sort()).toEqual(
      [
        "creatio:identity:Certificate identity-cert",
        `${PASSWORD_TYPE} identity-cert-password`,
        `${KEY_TYPE} identity-cert-key`,
        `${CERT_TYPE} identity-cert-cert`,
        `${PFX_BUNDLE_TYPE} identity-cert-pfx`,
      ].sort(),
    );
  });

  it("generates a 32-character password without special characters (never needs quoting)", () => {
    expect(only(resources, PASSWORD_TYPE).inputs).toMatchObject({ length: 32, special: false });
    expect(PFX_PASSWORD_LENGTH).toBe(32);
  });

  it("makes an RSA 3072 key", () => {
    expect(only(resources, KEY_TYPE).inputs).toEqual({ algorithm: "RSA", rsaBits: 3072 });
    expect(SELF_SIGNED_RSA_BITS).toBe(3072);
  });

  it("makes a server certificate for the host names, 365 days, renewed 30 days early", () => {
    const inputs = only(resources, CERT_TYPE).inputs;
    expect(inputs).toEqual({
      privateKeyPem: "-----BEGIN PRIVATE KEY-----\nfake-identity-cert-key\n-----END PRIVATE KEY-----\n",
      subject: { commonName: "identity.local" },
      dnsNames: ["identity.local", "localhost"],
      ipAddresses: ["127.0.0.1"],
      validityPeriodHours: 365 * 24,
      earlyRenewalHours: 30 * 24,
      allowedUses: ["key_encipherment", "digital_signature", "server_auth"],
    });
  });

  it("feeds the key, the certificate and the password to the PfxBundle", () => {
    const inputs = only(resources, PFX_BUNDLE_TYPE, "identity-cert-pfx").inputs;
    expect(inputs).toMatchObject({
      privateKeyPem: "-----BEGIN PRIVATE KEY-----\nfake-identity-cert-key\n-----END PRIVATE KEY-----\n",
      certificatePem: "-----BEGIN CERTIFICATE-----\nfake-identity-cert-cert\n-----END CERTIFICATE-----\n",
      password: "p".repeat(32),
    });
    expect(typeof inputs.__provider).toBe("string");
  });

  it("outputs the PFX and password as secrets, the certificate and expiry in the clear", async () => {
    expect(await secretValueOf(cert.pfxBase64)).toEqual({ value: FAKE_PFX, secret: true });
    expect(await secretValueOf(cert.password)).toEqual({ value: "p".repeat(32), secret: true });
    expect(await secretValueOf(cert.certificatePem)).toEqual({ value: "-----BEGIN CERTIFICATE-----\nfake-identity-cert-cert\n-----END CERTIFICATE-----\n", secret: false });
    expect(await secretValueOf(cert.expiresAt)).toEqual({ value: "2027-11-23T00:00:00.000Z", secret: false });
    expect(cert.selfSigned).toBe(true);
  });

  it("takes validity and early renewal (also as Outputs) in days", async () => {
    const { resources: r } = await run({ selfSigned: { dnsNames: pulumi.output(["a.test"]), validityDays: pulumi.output(90), earlyRenewalDays: 14 } });
    expect(only(r, CERT_TYPE).inputs).toMatchObject({ dnsNames: ["a.test"], subject: { commonName: "a.test" }, validityPeriodHours: 2160, earlyRenewalHours: 336 });
    expect(only(r, CERT_TYPE).inputs.ipAddresses).toBeUndefined();
  });

  it("gives identical child inputs on a second run with the same args", async () => {
    const { first, second } = await twoRuns(async () => (await run(selfSignedArgs)).resources);
    expect(second).toEqual(first);
  });
});

describe("argument errors", () => {
  beforeEach(() => installMocks({ fakers }));

  it("rejects both or neither of selfSigned and pfx", () => {
    expect(errorOf(() => new Certificate("c", {}))).toBe(
      'Certificate "c": give exactly one of selfSigned (a generated self-signed certificate, for dev/test) or pfx (a PFX from your CA, with its password); neither was given.',
    );
    expect(errorOf(() => new Certificate("c", { ...selfSignedArgs, pfx: { base64: "AAAA", password: "x" } }))).toMatch(
      /give exactly one of selfSigned .* or pfx .*; both were given\./,
    );
  });

  it("rejects ECDSA, saying why and what to use", () => {
    expect(errorOf(() => new Certificate("c", { selfSigned: { dnsNames: ["a"], keyAlgorithm: "ECDSA" } }))).toMatch(
      /^Certificate "c": selfSigned.keyAlgorithm "ECDSA" is not supported: .*node-forge.*Use "RSA"/,
    );
  });

  it("rejects empty host names and renewal windows as long as the validity", () => {
    expect(errorOf(() => new Certificate("c", { selfSigned: { dnsNames: [] } }))).toMatch(/selfSigned.dnsNames is empty/);
    expect(errorOf(() => new Certificate("c", { selfSigned: { dnsNames: ["a b"] } }))).toMatch(/selfSigned.dnsNames\[0\] must be a host name/);
    expect(errorOf(() => new Certificate("c", { selfSigned: { dnsNames: ["a"], validityDays: 0 } }))).toMatch(/selfSigned.validityDays must be a whole number of days, at least 1/);
    expect(errorOf(() => new Certificate("c", { selfSigned: { dnsNames: ["a"], validityDays: 30 } }))).toMatch(/earlyRenewalDays must be less than the validity/);
  });

  it("rejects both or neither of pfx.base64 and pfx.file", () => {
    expect(errorOf(() => new Certificate("c", { pfx: { password: "x" } }))).toMatch(/give exactly one of pfx.base64 .* or pfx.file .*; neither was given/);
    expect(errorOf(() => new Certificate("c", { pfx: { base64: "AAAA", file: "/x.pfx", password: "x" } }))).toMatch(/both were given/);
  });
});

describe("supplied PFX", () => {
  const PASSWORD = "Supplied;Pass=word'\"42";
  let dir: string;
  let pfxFile: string;
  let pfxBytes: Buffer;
  let certPem: string;
  let notAfter: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "certificate-test-"));
    const sh = (args: string[]) => {
      const r = spawnSync("openssl", args, { cwd: dir, env: { ...process.env, PFX_PASS: PASSWORD }, encoding: "utf8" });
      if (r.status !== 0) throw new Error(r.stderr);
    };
    fs.writeFileSync(path.join(dir, "k.pem"), testKeyPem(0));
    sh(["req", "-x509", "-key", "k.pem", "-out", "c.pem", "-subj", "/CN=identity.example.com", "-days", "200"]);
    sh(["pkcs12", "-export", "-inkey", "k.pem", "-in", "c.pem", "-out", "ca.pfx", "-passout", "env:PFX_PASS"]);
    pfxFile = path.join(dir, "ca.pfx");
    pfxBytes = fs.readFileSync(pfxFile);
    certPem = fs.readFileSync(path.join(dir, "c.pem"), "utf8");
    notAfter = new Date(new crypto.X509Certificate(certPem).validTo).toISOString();
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("passes base64 through unchanged, secret, with the certificate and expiry read from it, and no children", async () => {
    const base64 = pfxBytes.toString("base64");
    const { resources, cert } = await run({ pfx: { base64, password: pulumi.secret(PASSWORD) } });
    expect(resources.map((r) => r.type)).toEqual(["creatio:identity:Certificate"]);
    expect(await secretValueOf(cert.pfxBase64)).toEqual({ value: base64, secret: true });
    expect(await secretValueOf(cert.password)).toEqual({ value: PASSWORD, secret: true });
    const pem = await secretValueOf(cert.certificatePem);
    expect(pem.secret).toBe(false);
    expect(new crypto.X509Certificate(pem.value).raw.equals(new crypto.X509Certificate(certPem).raw)).toBe(true);
    expect(await secretValueOf(cert.expiresAt)).toEqual({ value: notAfter, secret: false });
    expect(cert.selfSigned).toBe(false);
  });

  it("reads pfx.file byte-for-byte, and a plain password works too", async () => {
    const { cert } = await run({ pfx: { file: pfxFile, password: PASSWORD } });
    const out = await secretValueOf(cert.pfxBase64);
    expect(out.secret).toBe(true);
    expect(Buffer.from(out.value, "base64").equals(pfxBytes)).toBe(true);
  });

  it("ignores line breaks in wrapped base64 (same bytes)", async () => {
    const wrapped = pfxBytes.toString("base64").replace(/.{76}/g, "$&\n");
    const { cert } = await run({ pfx: { base64: wrapped, password: PASSWORD } });
    expect(Buffer.from(await valueOf(cert.pfxBase64), "base64").equals(pfxBytes)).toBe(true);
  });

  it("names the path of a missing file", () => {
    installMocks({ fakers });
    const missing = path.join(dir, "nope.pfx");
    expect(errorOf(() => new Certificate("c", { pfx: { file: missing, password: PASSWORD } }))).toBe(
      `Certificate "c": pfx.file "${missing}" could not be read (ENOENT); put the PFX at that path or give it as pfx.base64.`,
    );
  });

  // With a secret (Output) password the same check runs when it resolves (the first test takes
  // that path); a failure there ends the program with the same message, so it is tested here.
  it("rejects a wrong plain password at construction, without the password", () => {
    installMocks({ fakers });
    const wrong = "Wrong-password-123";
    const message = errorOf(() => new Certificate("c", { pfx: { file: pfxFile, password: wrong } }));
    expect(message).toMatch(/^Certificate "c": the PFX could not be opened with the given password/);
    expect(message).not.toContain(wrong);
    expect(message).not.toContain(PASSWORD);
  });

  it("takes pfx.contents from a caller that opened the PFX already, and does not open it again", async () => {
    const { readPfx } = await import("../lib/pfx");
    const contents = readPfx(pfxBytes, PASSWORD);
    const opened = jest.spyOn(await import("../lib/pfx"), "readPfx");
    try {
      const { cert } = await run({ pfx: { base64: pfxBytes.toString("base64"), password: pulumi.secret(PASSWORD), contents } });
      expect(await secretValueOf(cert.expiresAt)).toEqual({ value: notAfter, secret: false });
      expect(await valueOf(cert.certificatePem)).toBe(contents.certificatePem);
      expect(opened).not.toHaveBeenCalled();
    } finally {
      opened.mockRestore();
    }
  });

  it("rejects base64 that is not base64", () => {
    installMocks({ fakers });
    expect(errorOf(() => new Certificate("c", { pfx: { base64: "not*base64!", password: PASSWORD } }))).toMatch(/pfx.base64 is not base64/);
  });
});
