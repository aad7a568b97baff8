/**
 * lib/pfx.ts against the real readers: the `openssl pkcs12` CLI (OpenSSL 3) and Node's TLS stack.
 * Keys and certificates are made with `openssl req`; passwords reach openssl through the
 * environment (`-passin env:PFX_PASS`), never on a command line.
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tls from "tls";
import { buildPfx, PFX_ITERATIONS, pfxInputProblems, readPfx } from "../lib/pfx";
import { TEST_PFX_ITERATIONS } from "./support/pfxFixtures";
import { TestKey, testKeyPem } from "./support/testKeys";

const PASSWORD = "Correct-Horse-42 battery;staple";
const WRONG = "Correct-Horse-43 battery;staple";

let dir: string;

function openssl(args: string[], password?: string): { status: number; out: string } {
  const result = spawnSync("openssl", args, { cwd: dir, env: { ...process.env, PFX_PASS: password ?? "" }, encoding: "utf8" });
  return { status: result.status ?? -1, out: `${result.stdout}${result.stderr}` };
}

function mustOpenssl(args: string[], password?: string): string {
  const r = openssl(args, password);
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.out}`);
  return r.out;
}

function file(name: string): string {
  return fs.readFileSync(path.join(dir, name), "utf8");
}

/** A self-signed certificate made by `openssl req`, on one of the run's RSA keys or on a new P-256 key. */
function selfSigned(prefix: string, key: TestKey | "ec", subject: string): { key: string; cert: string } {
  if (key !== "ec") fs.writeFileSync(path.join(dir, `${prefix}.key`), testKeyPem(key));
  const keyOpts = key === "ec" ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${prefix}.key`] : ["-key", `${prefix}.key`];
  mustOpenssl(["req", "-x509", ...keyOpts, "-out", `${prefix}.crt`, "-subj", subject, "-days", "30", "-addext", "subjectAltName=DNS:identity.test"]);
  return { key: file(`${prefix}.key`), cert: file(`${prefix}.crt`) };
}

function writePfx(name: string, pfx: Buffer): string {
  fs.writeFileSync(path.join(dir, name), pfx);
  return name;
}

/** The certificate's notAfter as OpenSSL prints it, converted to ISO. */
function opensslNotAfter(certFile: string): string {
  const line = mustOpenssl(["x509", "-in", certFile, "-noout", "-enddate"]).trim(); // notAfter=Dec 23 11:29:08 2026 GMT
  return new Date(line.replace(/^notAfter=/, "")).toISOString();
}

function pkcs8Der(pem: string): Buffer {
  return crypto.createPrivateKey(pem).export({ type: "pkcs8", format: "der" });
}

let rsa: { key: string; cert: string };
let ec: { key: string; cert: string };
/** Built with the real iteration count, as PfxBundle builds it. */
let built: Buffer;
/** The same, with few iterations, for tests that only need some PFX of this key to open. */
let quick: Buffer;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pfx-test-"));
  rsa = selfSigned("rsa", 0, "/CN=identity.test/O=Creatio Test");
  ec = selfSigned("ec", "ec", "/CN=ec.identity.test");
  built = buildPfx({ privateKeyPem: rsa.key, certificatePem: rsa.cert, password: PASSWORD, friendlyName: "creatio-identity" });
  writePfx("built.pfx", built);
  quick = buildPfx({ privateKeyPem: rsa.key, certificatePem: rsa.cert, password: PASSWORD, friendlyName: "creatio-identity", iterations: TEST_PFX_ITERATIONS });
  writePfx("quick.pfx", quick);
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("buildPfx read by openssl pkcs12", () => {
  it("uses PBES2 with AES-256-CBC and PBKDF2-HMAC-SHA256 for the key, a MAC, and the high iteration count", () => {
    const info = mustOpenssl(["pkcs12", "-in", "built.pfx", "-info", "-noout", "-passin", "env:PFX_PASS"], PASSWORD);
    expect(info).toMatch(new RegExp(`Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration ${PFX_ITERATIONS}, PRF hmacWithSHA256`));
    expect(info).toMatch(new RegExp(`MAC: sha1, Iteration ${PFX_ITERATIONS}`));
    expect(info).toContain("Certificate bag");
    // .NET refuses a PFX whose KDFs exceed 300,000 iterations each (600,000 in total on older runtimes).
    expect(PFX_ITERATIONS).toBeGreaterThanOrEqual(10_000);
    expect(2 * PFX_ITERATIONS).toBeLessThanOrEqual(600_000);
  });

  it("takes a lower iteration count for both KDFs when asked, and refuses one .NET would not load", () => {
    const info = mustOpenssl(["pkcs12", "-in", "quick.pfx", "-info", "-noout", "-passin", "env:PFX_PASS"], PASSWORD);
    expect(info).toMatch(new RegExp(`Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration ${TEST_PFX_ITERATIONS}, PRF hmacWithSHA256`));
    expect(info).toMatch(new RegExp(`MAC: sha1, Iteration ${TEST_PFX_ITERATIONS}`));
    for (const iterations of [0, 1.5, PFX_ITERATIONS + 1]) {
      expect(() => buildPfx({ privateKeyPem: rsa.key, certificatePem: rsa.cert, password: PASSWORD, iterations })).toThrow(
        /^buildPfx: iterations must be a whole number from 1 to 100000/,
      );
    }
  });

  it("gives back the same key and certificate", () => {
    const out = mustOpenssl(["pkcs12", "-in", "built.pfx", "-nodes", "-passin", "env:PFX_PASS"], PASSWORD);
    const keyPem = out.match(/-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/)![0];
    const certPem = out.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0];
    expect(pkcs8Der(keyPem).equals(pkcs8Der(rsa.key))).toBe(true);
    expect(new crypto.X509Certificate(certPem).raw.equals(new crypto.X509Certificate(rsa.cert).raw)).toBe(true);
    expect(out).toContain("friendlyName: creatio-identity");
  });

  it("fails with a wrong password", () => {
    const r = openssl(["pkcs12", "-in", "built.pfx", "-nodes", "-passin", "env:PFX_PASS"], WRONG);
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/mac verify|invalid password/i);
    expect(r.out).not.toContain("BEGIN PRIVATE KEY");
  });

  it("puts a CA chain after the leaf", () => {
    fs.writeFileSync(path.join(dir, "ca.key"), testKeyPem(1));
    fs.writeFileSync(path.join(dir, "leaf.key"), testKeyPem(0));
    mustOpenssl(["req", "-x509", "-key", "ca.key", "-out", "ca.crt", "-subj", "/CN=Test CA", "-days", "60"]);
    mustOpenssl(["req", "-new", "-key", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=leaf.identity.test"]);
    mustOpenssl(["x509", "-req", "-in", "leaf.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "leaf.crt", "-days", "20"]);
    const pfx = buildPfx({ privateKeyPem: file("leaf.key"), certificatePem: file("leaf.crt"), chainPems: [file("ca.crt")], password: PASSWORD, iterations: TEST_PFX_ITERATIONS });
    writePfx("chain.pfx", pfx);
    const certs = mustOpenssl(["pkcs12", "-in", "chain.pfx", "-nokeys", "-passin", "env:PFX_PASS"], PASSWORD);
    expect(certs.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    // readPfx picks the certificate that belongs to the key, not the CA.
    const read = readPfx(pfx, PASSWORD);
    expect(read.subject).toBe("CN=leaf.identity.test");
    expect(read.notAfter).toBe(opensslNotAfter("leaf.crt"));
  });
});

describe("buildPfx read by Node's TLS (OpenSSL 3 via tls.createSecureContext)", () => {
  it("opens with the password and fails with a wrong one", () => {
    expect(() => tls.createSecureContext({ pfx: built, passphrase: PASSWORD })).not.toThrow();
    expect(() => tls.createSecureContext({ pfx: built, passphrase: WRONG })).toThrow(/mac verify|password/i);
  });

  it("serves HTTPS that a client trusting the certificate accepts for the DNS name", async () => {
    const server = tls.createServer({ pfx: built, passphrase: PASSWORD }, (socket) => socket.end("ok"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = tls.connect({ host: "127.0.0.1", port, servername: "identity.test", ca: rsa.cert }, () => {
          if (!socket.authorized) reject(socket.authorizationError);
        });
        let data = "";
        socket.on("data", (d) => (data += d));
        socket.on("end", () => resolve(data));
        socket.on("error", reject);
      });
      expect(reply).toBe("ok");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("salts randomly: two builds of the same inputs differ (why PfxBundle keeps the bytes in state)", () => {
    const again = buildPfx({ privateKeyPem: rsa.key, certificatePem: rsa.cert, password: PASSWORD, friendlyName: "creatio-identity", iterations: TEST_PFX_ITERATIONS });
    expect(again.equals(quick)).toBe(false);
  });
});

describe("readPfx", () => {
  it("returns the certificate, its expiry and subject", () => {
    // The 1,000-iteration copy: the count changes how long opening takes, not what is read.
    const read = readPfx(quick, PASSWORD);
    expect(read.subject).toBe("CN=identity.test, O=Creatio Test");
    expect(read.notAfter).toBe(opensslNotAfter("rsa.crt"));
    expect(new crypto.X509Certificate(read.certificatePem).raw.equals(new crypto.X509Certificate(rsa.cert).raw)).toBe(true);
  });

  it("fails with a clear error that does not contain the password", () => {
    let message = "";
    try {
      readPfx(quick, WRONG);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^the PFX could not be opened with the given password/);
    expect(message).not.toContain(WRONG);
    expect(message).not.toContain(PASSWORD);
  });

  it("rejects data that is not a PFX", () => {
    expect(() => readPfx(Buffer.from("certainly not DER"), PASSWORD)).toThrow(/^the PFX could not be opened with the given password: the data is not a PKCS#12/);
    expect(() => readPfx(quick.subarray(0, quick.length / 2), PASSWORD)).toThrow(/^the PFX could not be opened with the given password/);
  });

  it("reads an OpenSSL 3 export (PBES2 everywhere, SHA-256 MAC) of an ECDSA key with a non-ASCII password", () => {
    const password = "pässwörd-ключ";
    mustOpenssl(["pkcs12", "-export", "-inkey", "ec.key", "-in", "ec.crt", "-out", "ec.pfx", "-passout", "env:PFX_PASS"], password);
    expect(mustOpenssl(["pkcs12", "-in", "ec.pfx", "-info", "-noout", "-passin", "env:PFX_PASS"], password)).toContain("MAC: sha256");
    const pfx = fs.readFileSync(path.join(dir, "ec.pfx"));
    const read = readPfx(pfx, password);
    expect(read.subject).toBe("CN=ec.identity.test");
    expect(read.notAfter).toBe(opensslNotAfter("ec.crt"));
    let message = "";
    try {
      readPfx(pfx, "pässwörd-ключ!");
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^the PFX could not be opened with the given password/);
    expect(message).not.toContain("pässwörd");
  });

  it("reads a legacy 3DES export", () => {
    mustOpenssl(
      [
        "pkcs12",
        "-export",
        "-inkey",
        "rsa.key",
        "-in",
        "rsa.crt",
        "-out",
        "legacy.pfx",
        "-passout",
        "env:PFX_PASS",
        "-keypbe",
        "PBE-SHA1-3DES",
        "-certpbe",
        "PBE-SHA1-3DES",
        "-macalg",
        "sha1",
      ],
      PASSWORD,
    );
    expect(readPfx(fs.readFileSync(path.join(dir, "legacy.pfx")), PASSWORD).subject).toBe("CN=identity.test, O=Creatio Test");
  });

  it("rejects a PFX without a private key (Kestrel needs one)", () => {
    mustOpenssl(["pkcs12", "-export", "-nokeys", "-in", "rsa.crt", "-out", "nokey.pfx", "-passout", "env:PFX_PASS"], PASSWORD);
    expect(() => readPfx(fs.readFileSync(path.join(dir, "nokey.pfx")), PASSWORD)).toThrow(/holds no private key/);
  });
});

describe("buildPfx input errors", () => {
  const build = (overrides: Record<string, unknown>) => () => buildPfx({ privateKeyPem: rsa.key, certificatePem: rsa.cert, password: PASSWORD, ...overrides });

  it("rejects an ECDSA key, naming node-forge's limit", () => {
    expect(build({ privateKeyPem: ec.key, certificatePem: ec.cert })).toThrow(/privateKeyPem holds an ECDSA key; only RSA keys/);
  });

  it("rejects a key that does not belong to the certificate", () => {
    const other = selfSigned("other", 1, "/CN=other.test");
    expect(build({ privateKeyPem: other.key })).toThrow(/privateKeyPem does not belong to certificatePem/);
  });

  it("rejects garbage PEM, naming the property", () => {
    expect(build({ privateKeyPem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" })).toThrow(/privateKeyPem must be a PEM private key/);
    expect(build({ certificatePem: "hello" })).toThrow(/certificatePem must be a PEM X.509 certificate/);
    expect(build({ chainPems: ["nope"] })).toThrow(/chainPems\[0\] must be a PEM X.509 certificate/);
  });

  it("rejects an empty or non-ASCII password without echoing it", () => {
    expect(build({ password: "" })).toThrow(/password is required/);
    let message = "";
    try {
      build({ password: "geheimnis-ä" })();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/password must be printable ASCII/);
    expect(message).not.toContain("geheimnis");
  });

  it("skips values not known yet (undefined) and reports every known problem", () => {
    expect(pfxInputProblems({ privateKeyPem: undefined, certificatePem: undefined, password: undefined })).toEqual([]);
    expect(pfxInputProblems({ privateKeyPem: "", certificatePem: "", password: "" }).map((p) => p.property)).toEqual(["password", "privateKeyPem", "certificatePem"]);
  });
});
