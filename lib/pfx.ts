/**
 * PKCS#12 (PFX) building and reading for the Identity Service's HTTPS certificate.
 *
 * This module runs both in the Pulumi program and inside the PfxBundle dynamic provider, which
 * Pulumi serializes into another process. So it is pure and self-contained: no module-level
 * imports (only types), every dependency is `require`d inside the function that uses it.
 */
import type * as Forge from "node-forge";
import type * as NodeCrypto from "crypto";

/**
 * PBKDF2 (key encryption) and PKCS#12 MAC iteration count. High, but below .NET's loader limits
 * (300,000 per KDF, 600,000 in total on older .NET runtimes), which count both.
 */
const ITERATIONS = 100_000;

/** The iteration count buildPfx uses for the key encryption and for the MAC. */
export const PFX_ITERATIONS = ITERATIONS;

export interface BuildPfxArgs {
  /** The RSA private key, PEM (PKCS#1 or PKCS#8, unencrypted). */
  readonly privateKeyPem: string;
  /** The certificate for the key, PEM. */
  readonly certificatePem: string;
  /** Intermediate CA certificates, PEM, leaf-to-root order. */
  readonly chainPems?: readonly string[];
  /** Printable ASCII (see buildPfx). */
  readonly password: string;
  /** Stored as the key's and certificate's friendly name. */
  readonly friendlyName?: string;
  /**
   * Key-derivation iterations for the key encryption and the MAC. Default PFX_ITERATIONS, which
   * PfxBundle always uses; tests that only need some PFX to open pass a small count, because
   * node-forge derives the MAC key in JavaScript and each 100,000 costs about half a second.
   */
  readonly iterations?: number;
}

export interface PfxContents {
  /** The certificate that belongs to the PFX's private key, PEM. */
  readonly certificatePem: string;
  /** The certificate's expiry, ISO 8601 (UTC). */
  readonly notAfter: string;
  /** The certificate's subject, one line (`CN=..., O=...`). */
  readonly subject: string;
}

/** Why readPfx refused a PFX, for callers that report each cause under its own setting. */
export type PfxProblem = "notPfx" | "wrongPassword" | "unreadable" | "noPrivateKey" | "noCertificate" | "unreadableKey" | "keyMismatch";

/** readPfx's error: the message (never the password) and its cause. */
export class PfxError extends Error {
  constructor(
    readonly problem: PfxProblem,
    message: string,
  ) {
    super(message);
    this.name = "PfxError";
  }
}

/** One problem with buildPfx's inputs: the property and what to do. Never carries a value. */
export interface PfxInputProblem {
  readonly property: string;
  readonly reason: string;
}

/**
 * Checks buildPfx's inputs without building anything. A property given as `undefined` is skipped
 * (its value is not known yet, as during a preview); give "" for a missing one.
 */
export function pfxInputProblems(args: {
  readonly privateKeyPem?: unknown;
  readonly certificatePem?: unknown;
  readonly chainPems?: unknown;
  readonly password?: unknown;
}): PfxInputProblem[] {
  const forge: typeof Forge = require("node-forge");
  const crypto: typeof NodeCrypto = require("crypto");
  const problems: PfxInputProblem[] = [];
  const add = (property: string, reason: string) => problems.push({ property, reason });

  const { password } = args;
  if (password !== undefined) {
    if (typeof password !== "string" || password.length === 0) {
      add("password", "password is required: the PFX's password (printable ASCII).");
    } else if (!/^[\x20-\x7e]+$/.test(password)) {
      // node-forge encodes other characters differently from OpenSSL and .NET.
      add("password", "password must be printable ASCII (letters, digits, punctuation, space); use a generated alphanumeric password.");
    }
  }

  let keyObject: NodeCrypto.KeyObject | undefined;
  if (args.privateKeyPem !== undefined) {
    try {
      if (typeof args.privateKeyPem !== "string" || !args.privateKeyPem.includes("PRIVATE KEY-----")) throw new Error("not PEM");
      keyObject = crypto.createPrivateKey(args.privateKeyPem);
    } catch {
      add("privateKeyPem", "privateKeyPem must be a PEM private key (unencrypted PKCS#1 or PKCS#8, RSA).");
    }
    if (keyObject && keyObject.asymmetricKeyType !== "rsa") {
      const kind = keyObject.asymmetricKeyType === "ec" ? "ECDSA" : String(keyObject.asymmetricKeyType).toUpperCase();
      add(
        "privateKeyPem",
        `privateKeyPem holds an ${kind} key; only RSA keys can be written to the PFX (node-forge cannot encode ECDSA keys). Use an RSA key (2048 bits or more).`,
      );
      keyObject = undefined;
    }
  }

  const certificateProblem = (property: string, pem: unknown): NodeCrypto.X509Certificate | undefined => {
    try {
      if (typeof pem !== "string" || !pem.includes("-----BEGIN CERTIFICATE-----")) throw new Error("not PEM");
      const certificate = new crypto.X509Certificate(pem);
      forge.pki.certificateFromPem(pem); // node-forge must be able to write it too: RSA only.
      return certificate;
    } catch {
      add(property, `${property} must be a PEM X.509 certificate with an RSA public key.`);
      return undefined;
    }
  };
  if (args.certificatePem !== undefined) {
    const leaf = certificateProblem("certificatePem", args.certificatePem);
    if (leaf && keyObject && !leaf.checkPrivateKey(keyObject)) {
      add("privateKeyPem", "privateKeyPem does not belong to certificatePem; give the key the certificate was issued for.");
    }
  }
  if (args.chainPems !== undefined) {
    if (!Array.isArray(args.chainPems)) add("chainPems", "chainPems must be a list of PEM certificates.");
    else args.chainPems.forEach((pem, i) => certificateProblem(`chainPems[${i}]`, pem));
  }
  return problems;
}

/**
 * Builds a PKCS#12 that .NET on Linux and OpenSSL 3 both read: the key in a PBES2 shrouded key
 * bag (PBKDF2 with HMAC-SHA256, AES-256-CBC), the certificates unencrypted (they are public), and
 * an HMAC-SHA1 integrity MAC, all with PFX_ITERATIONS iterations (or `iterations`). The output is random-salted,
 * so two calls never give the same bytes.
 *
 * Only RSA keys: node-forge, which writes the PKCS#12, cannot encode ECDSA keys or certificates.
 * The password must be printable ASCII, because node-forge encodes passwords differently from
 * OpenSSL and .NET outside ASCII (the PFX would open in one and not the other).
 */
export function buildPfx(args: BuildPfxArgs): Buffer {
  const forge: typeof Forge = require("node-forge");
  const problems = pfxInputProblems({
    privateKeyPem: args.privateKeyPem ?? "",
    certificatePem: args.certificatePem ?? "",
    chainPems: args.chainPems ?? [],
    password: args.password ?? "",
  });
  if (problems.length > 0) throw new Error(`buildPfx: ${problems[0].reason}`);
  const iterations = args.iterations ?? ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > ITERATIONS) {
    throw new Error(`buildPfx: iterations must be a whole number from 1 to ${ITERATIONS} (.NET refuses PFX files above its loader's limits).`);
  }

  const certificates = [args.certificatePem, ...(args.chainPems ?? [])].map((pem) => forge.pki.certificateFromPem(pem));
  const key = forge.pki.privateKeyFromPem(args.privateKeyPem);
  // prfAlgorithm is passed through to the PBES2 encryption but missing from @types/node-forge.
  const options: Record<string, unknown> = {
    algorithm: "aes256",
    prfAlgorithm: "sha256",
    count: iterations,
    saltSize: 16,
    useMac: true,
    generateLocalKeyId: true,
  };
  if (args.friendlyName !== undefined) options.friendlyName = args.friendlyName;
  const pfxAsn1 = withNativePbkdf2(() => forge.pkcs12.toPkcs12Asn1(key, certificates, args.password, options as any));
  return Buffer.from(forge.asn1.toDer(pfxAsn1).getBytes(), "binary");
}

/**
 * Runs `fn` with node-forge's PBKDF2 computed by Node's crypto. node-forge falls back to its
 * pure-JavaScript PBKDF2 whenever the PRF is HMAC-SHA256 (it passes a digest object), which is
 * ~5x slower at PFX_ITERATIONS. Same inputs, same bytes out; synchronous, restored afterwards.
 */
function withNativePbkdf2<T>(fn: () => T): T {
  const forge: typeof Forge = require("node-forge");
  const crypto: typeof NodeCrypto = require("crypto");
  const pkcs5 = forge.pkcs5 as any;
  const original = pkcs5.pbkdf2;
  pkcs5.pbkdf2 = function (this: unknown, ...a: any[]) {
    const [p, s, c, dkLen, md, callback] = a;
    if (callback === undefined && md && typeof md === "object" && typeof md.algorithm === "string") {
      return crypto.pbkdf2Sync(Buffer.from(p, "binary"), Buffer.from(s, "binary"), c, dkLen, md.algorithm).toString("binary");
    }
    return original.apply(this, a);
  };
  try {
    return fn();
  } finally {
    pkcs5.pbkdf2 = original;
  }
}

/**
 * Opens a PFX and returns the certificate that belongs to its private key. Checks that the PFX
 * holds a private key and that the key matches a certificate in it (Kestrel needs both).
 * Reads PBES2 (AES) and legacy PKCS#12 (3DES) encryption with SHA-1/SHA-2 MACs, RSA and ECDSA.
 * Errors are PfxErrors (the cause in `problem`) and never contain the password.
 */
export function readPfx(pfx: Buffer | Uint8Array, password: string): PfxContents {
  return openPfx(pfx, password).contents;
}

/** A PFX's key and certificates as PEM, for TLS terminated elsewhere (a Kubernetes `kubernetes.io/tls` Secret). */
export interface PfxTlsPair {
  /** The private key, PKCS#8 PEM. Secret. */
  readonly privateKeyPem: string;
  /** The key's certificate, then the PFX's other certificates (its chain), PEM. */
  readonly certificateChainPem: string;
}

/** The key and certificate chain of a PFX (same checks and errors as readPfx). */
export function readPfxTlsPair(pfx: Buffer | Uint8Array, password: string): PfxTlsPair {
  const { contents, privateKeyPem, otherCertificatePems } = openPfx(pfx, password);
  return { privateKeyPem, certificateChainPem: [contents.certificatePem, ...otherCertificatePems].join("") };
}

function openPfx(pfx: Buffer | Uint8Array, password: string): { contents: PfxContents; privateKeyPem: string; otherCertificatePems: string[] } {
  const forge: typeof Forge = require("node-forge");
  const crypto: typeof NodeCrypto = require("crypto");
  const prefix = "the PFX could not be opened with the given password";
  // Defensive: no message from a library may carry the password out.
  const redact = (message: string): string => (password ? message.split(password).join("***") : message);

  let pfxAsn1: Forge.asn1.Asn1;
  try {
    pfxAsn1 = forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(pfx).toString("binary")), false);
  } catch {
    throw new PfxError("notPfx", `${prefix}: the data is not a PKCS#12 (PFX) file.`);
  }

  let opened: Forge.pkcs12.Pkcs12Pfx;
  try {
    opened = withNativePbkdf2(() => forge.pkcs12.pkcs12FromAsn1(pfxAsn1, false, password));
  } catch (first) {
    const reason = first instanceof Error ? first.message : String(first);
    if (/Cannot read PKCS#12 PFX|not an PKCS#12 PFX/i.test(reason)) {
      throw new PfxError("notPfx", `${prefix}: the data is not a PKCS#12 (PFX) file.`);
    }
    const macFailed = /MAC could not be verified/i.test(reason);
    // node-forge derives PBES2 keys from the password's Latin-1 bytes, OpenSSL and .NET from its
    // UTF-8 bytes. When the MAC (UCS-2, same in all three) passed, retry the decryption with the
    // UTF-8 bytes and the MAC left out (it was just verified).
    const nonAscii = /[\u0080-\uffff]/.test(password);
    const hasMac = Array.isArray(pfxAsn1.value) && pfxAsn1.value.length > 2;
    if (nonAscii && hasMac && !macFailed) {
      try {
        const withoutMac = forge.asn1.create(pfxAsn1.tagClass, pfxAsn1.type, pfxAsn1.constructed, (pfxAsn1.value as Forge.asn1.Asn1[]).slice(0, 2));
        opened = withNativePbkdf2(() => forge.pkcs12.pkcs12FromAsn1(withoutMac, false, forge.util.encodeUtf8(password)));
      } catch {
        throw new PfxError("unreadable", `${prefix}: the password is wrong or the file is damaged.`);
      }
    } else if (macFailed) {
      throw new PfxError("wrongPassword", `${prefix}: the password is wrong (the integrity check failed).`);
    } else {
      throw new PfxError("unreadable", redact(`${prefix}: the password is wrong, the file is damaged, or it uses an unsupported algorithm (${reason}).`));
    }
  }

  const bagsOf = (type: string): Forge.pkcs12.Bag[] => opened.getBags({ bagType: type })[type] ?? [];
  const keyBags = [...bagsOf(forge.pki.oids.pkcs8ShroudedKeyBag), ...bagsOf(forge.pki.oids.keyBag)];
  const certBags = bagsOf(forge.pki.oids.certBag);
  if (keyBags.length === 0) {
    throw new PfxError("noPrivateKey", "the PFX holds no private key; export it again with its private key (Kestrel needs the key).");
  }
  if (certBags.length === 0) {
    throw new PfxError("noCertificate", "the PFX holds no certificate; export it again with its certificate.");
  }

  const derOf = (asn1: Forge.asn1.Asn1): Buffer => Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary");
  let keyObject: NodeCrypto.KeyObject;
  try {
    const keyBag = keyBags[0];
    const privateKeyInfo = keyBag.key ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(keyBag.key)) : keyBag.asn1;
    keyObject = crypto.createPrivateKey({ key: derOf(privateKeyInfo), format: "der", type: "pkcs8" });
  } catch {
    throw new PfxError("unreadableKey", "the PFX's private key could not be read; export it again as RSA or ECDSA.");
  }

  const certificates: NodeCrypto.X509Certificate[] = [];
  for (const bag of certBags) {
    try {
      certificates.push(new crypto.X509Certificate(derOf(bag.cert ? forge.pki.certificateToAsn1(bag.cert) : bag.asn1)));
    } catch {
      /* not a certificate Node reads: skipped */
    }
  }
  const certificate = certificates.find((c) => c.checkPrivateKey(keyObject));
  if (certificate) {
    return {
      contents: {
        certificatePem: certificate.toString(),
        notAfter: new Date(certificate.validTo).toISOString(),
        subject: certificate.subject.split("\n").join(", "),
      },
      privateKeyPem: keyObject.export({ format: "pem", type: "pkcs8" }).toString(),
      otherCertificatePems: certificates.filter((c) => c !== certificate).map((c) => c.toString()),
    };
  }
  throw new PfxError("keyMismatch", "the PFX's private key matches none of its certificates; export the certificate together with its own key.");
}
