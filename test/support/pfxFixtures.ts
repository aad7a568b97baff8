/**
 * Real PFX files for tests of a supplied certificate: an RSA key and a certificate with the
 * validity a test asks for (node-forge), packed by lib/pfx.ts's buildPfx (AES-256, as .NET reads
 * it), or without the key. Made in memory; write them where the test needs a file.
 */
import { createPublicKey, randomBytes } from "node:crypto";
import forge from "node-forge";
import { buildPfx } from "../../lib/pfx";
import { TestKey, testKeyPem } from "./testKeys";

export interface TestCertificate {
  readonly keyPem: string;
  readonly certPem: string;
}

/** What a test certificate says, beyond its subject and validity. */
export interface TestCertificateOptions {
  /** Which of the run's keys it certifies. Default 0. */
  readonly key?: TestKey;
  /** X.509 extensions, as node-forge takes them. Default: the common name as its DNS name. */
  readonly extensions?: unknown[];
  /** The CA that signs it (a name and another key); by default it signs itself. */
  readonly issuer?: { readonly commonName: string; readonly key: TestKey };
}

/** A new certificate for `commonName`, valid from `notBefore` to `notAfter`, on one of the run's RSA 2048 keys. */
export function testCertificate(commonName: string, notBefore: Date, notAfter: Date, options: TestCertificateOptions = {}): TestCertificate {
  const key = options.key ?? 0;
  const keyPem = testKeyPem(key);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(createPublicKey(keyPem).export({ type: "spki", format: "pem" }).toString());
  cert.serialNumber = `01${randomBytes(8).toString("hex")}`;
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  cert.setSubject([{ name: "commonName", value: commonName }]);
  cert.setIssuer([{ name: "commonName", value: options.issuer?.commonName ?? commonName }]);
  cert.setExtensions(options.extensions ?? [{ name: "subjectAltName", altNames: [{ type: 2, value: commonName }] }]);
  cert.sign(forge.pki.privateKeyFromPem(testKeyPem(options.issuer?.key ?? key)), forge.md.sha256.create());
  return { keyPem, certPem: forge.pki.certificateToPem(cert) };
}

/**
 * The key-derivation iterations of test PFX files: low, so that building and opening one costs
 * milliseconds. Only test/pfx.test.ts and PfxBundle's registered provider (test/pfxBundle.test.ts)
 * build with the real count (PFX_ITERATIONS), and both check it with OpenSSL.
 */
export const TEST_PFX_ITERATIONS = 1_000;

/** A PFX of the key and certificate, under `password`. */
export function testPfx(certificate: TestCertificate, password: string): Buffer {
  return buildPfx({ privateKeyPem: certificate.keyPem, certificatePem: certificate.certPem, password, iterations: TEST_PFX_ITERATIONS });
}

/** A PFX that holds the certificate only (exported without its private key). */
export function testPfxWithoutKey(certificate: TestCertificate, password: string): Buffer {
  const asn1 = forge.pkcs12.toPkcs12Asn1(null, [forge.pki.certificateFromPem(certificate.certPem)], password, { algorithm: "3des" });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary");
}
