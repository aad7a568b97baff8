/**
 * Real PFX files for tests of a supplied certificate: an RSA key and a certificate with the
 * validity a test asks for (node-forge), packed by lib/pfx.ts's buildPfx (AES-256, as .NET reads
 * it), or without the key. Made in memory; write them where the test needs a file.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import forge from "node-forge";
import { buildPfx } from "../../lib/pfx";

export interface TestCertificate {
  readonly keyPem: string;
  readonly certPem: string;
}

/** A self-signed RSA 2048 certificate for `commonName`, valid from `notBefore` to `notAfter`. */
export function testCertificate(commonName: string, notBefore: Date, notAfter: Date): TestCertificate {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: "spki", format: "pem" }).toString());
  cert.serialNumber = `01${randomBytes(8).toString("hex")}`;
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  const attrs = [{ name: "commonName", value: commonName }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([{ name: "subjectAltName", altNames: [{ type: 2, value: commonName }] }]);
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
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
