import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULTS } from "../lib/defaults";
import { DNS_NAME_PATTERN, earlyRenewalProblem } from "../lib/validators";
import { COMPONENT_TYPES } from "../lib/typeTokens";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { PfxContents, readPfx, readPfxTlsPair } from "../lib/pfx";
import { decodePfxBase64 } from "../lib/suppliedPfx";
import { PfxBundle } from "./pfxBundle";

/** RSA key size of the self-signed certificate. */
export const SELF_SIGNED_RSA_BITS = 3072;
/** Length of the generated PFX password (letters and digits). */
export const PFX_PASSWORD_LENGTH = 32;

export interface SelfSignedCertificateArgs {
  /** Host names the Identity Service answers on; the first is also the subject's CN. At least one. */
  readonly dnsNames: pulumi.Input<pulumi.Input<string>[]>;
  /** IP addresses the Identity Service answers on, if clients use them. */
  readonly ipAddresses?: pulumi.Input<pulumi.Input<string>[]>;
  /** Validity in days. Default 365. */
  readonly validityDays?: pulumi.Input<number>;
  /** A `pulumi up` this many days (or fewer) before expiry issues a new certificate. Default 30. */
  readonly earlyRenewalDays?: pulumi.Input<number>;
  /** Key algorithm. Default and only supported value "RSA" (3072 bits); see Certificate. */
  readonly keyAlgorithm?: "RSA" | "ECDSA";
}

export interface SuppliedPfxArgs {
  /** The PFX, base64 (whitespace is ignored). Give this or `file`. */
  readonly base64?: pulumi.Input<string>;
  /** Path of the PFX file, read when the program runs. Give this or `base64`. */
  readonly file?: string;
  /** The PFX password. */
  readonly password: pulumi.Input<string>;
  /**
   * What the caller already read from this PFX with this password (as the stack's config validation
   * does). Given, the component trusts it and does not open the PFX again, so a secret password
   * never leads to a check that can only fail later, inside an apply.
   */
  readonly contents?: PfxContents;
}

export interface CertificateArgs {
  /** Make a self-signed certificate (fine for dev/test). */
  readonly selfSigned?: SelfSignedCertificateArgs;
  /** Use a supplied PFX (from a CA). Exactly one of base64/file. */
  readonly pfx?: SuppliedPfxArgs;
}

/**
 * The Identity Service's HTTPS certificate as a PFX plus its password, for Kestrel.
 *
 * Self-signed: an RSA key and a self-signed server certificate from @pulumi/tls, a generated
 * password, and a PfxBundle that builds the AES-256 PKCS#12 once and keeps it in state (so the
 * container does not change on every run). ECDSA is rejected: node-forge, which writes the
 * PKCS#12, cannot encode ECDSA keys.
 *
 * Supplied: the PFX passes through byte-for-byte; it is opened once at program time to check the
 * password and the key, and to read the certificate and its expiry (unless the caller gives
 * `pfx.contents`, having opened it already).
 */
export class Certificate extends pulumi.ComponentResource {
  /** The PFX, base64 (secret). */
  public readonly pfxBase64: pulumi.Output<string>;
  /** The PFX password (secret). */
  public readonly password: pulumi.Output<string>;
  /** The certificate, PEM (public; what a client of a self-signed Identity Service must trust). */
  public readonly certificatePem: pulumi.Output<string>;
  /** The certificate's expiry, ISO 8601 (UTC). */
  public readonly expiresAt: pulumi.Output<string>;
  /**
   * The key and the certificate chain as PEM, for TLS served by something else (a Kubernetes
   * Ingress's `kubernetes.io/tls` Secret). The key is secret. Read from a supplied PFX only when
   * asked for: opening it again costs a key derivation.
   */
  public readonly tlsPair: () => pulumi.Output<{ privateKeyPem: string; certificateChainPem: string }>;
  /** Whether the certificate is the generated self-signed one. */
  public readonly selfSigned: boolean;

  constructor(name: string, args: CertificateArgs, opts?: pulumi.ComponentResourceOptions) {
    const where = `Certificate "${name}"`;
    const mode = chooseMode(where, args);
    // Fail before registering anything: a supplied file or plain values can be checked right away.
    const suppliedBytes = mode === "pfx" ? readSuppliedFile(where, args.pfx!) : undefined;
    if (mode === "selfSigned") checkSelfSignedNow(where, args.selfSigned!);
    const openedNow = mode === "pfx" ? (args.pfx!.contents ?? checkSuppliedNow(where, args.pfx!, suppliedBytes)) : undefined;

    super(COMPONENT_TYPES.certificate, name, {}, opts);
    this.selfSigned = mode === "selfSigned";

    if (mode === "selfSigned") {
      const s = args.selfSigned!;
      const password = new random.RandomPassword(`${name}-password`, { length: PFX_PASSWORD_LENGTH, special: false }, { parent: this });
      const key = new tls.PrivateKey(`${name}-key`, { algorithm: "RSA", rsaBits: SELF_SIGNED_RSA_BITS }, { parent: this });
      const dnsNames = pulumi.output(s.dnsNames).apply((names) => checkDnsNames(where, names));
      const cert = new tls.SelfSignedCert(
        `${name}-cert`,
        {
          privateKeyPem: key.privateKeyPem,
          subject: { commonName: dnsNames.apply((names) => names[0]) },
          dnsNames,
          ipAddresses: s.ipAddresses,
          validityPeriodHours: pulumi.output(s.validityDays ?? DEFAULTS.certificateValidityDays).apply((d) => checkDays(where, "selfSigned.validityDays", d, 1) * 24),
          earlyRenewalHours: pulumi
            .all([s.validityDays ?? DEFAULTS.certificateValidityDays, s.earlyRenewalDays ?? DEFAULTS.certificateEarlyRenewalDays])
            .apply(([validity, early]) => checkEarlyRenewal(where, validity, early) * 24),
          allowedUses: ["key_encipherment", "digital_signature", "server_auth"],
        },
        { parent: this },
      );
      const bundle = new PfxBundle(`${name}-pfx`, { privateKeyPem: key.privateKeyPem, certificatePem: cert.certPem, password: password.result }, { parent: this });

      this.pfxBase64 = pulumi.secret(bundle.pfxBase64);
      this.password = pulumi.secret(password.result);
      this.certificatePem = cert.certPem;
      this.expiresAt = cert.validityEndTime.apply((t) => new Date(t).toISOString());
      this.tlsPair = () => pulumi.secret(pulumi.all([key.privateKeyPem, cert.certPem]).apply(([privateKeyPem, certificateChainPem]) => ({ privateKeyPem, certificateChainPem })));
    } else {
      const p = args.pfx!;
      const base64 = suppliedBytes !== undefined ? pulumi.output(suppliedBytes.toString("base64")) : pulumi.output(p.base64!);
      // Only a direct user with a secret (Output) password reaches openSupplied here; its failure
      // then ends the program from inside this apply. The stack opens the PFX in config validation.
      const opened = pulumi.all([base64, p.password]).apply(([b64, password]) => {
        const contents = openedNow ?? openSupplied(where, decodeBase64(where, b64), password);
        if (Date.parse(contents.notAfter) < Date.now()) {
          pulumi.log.warn(`${where}: the supplied certificate (${contents.subject}) expired on ${contents.notAfter}; clients will reject it. Supply a current PFX.`, this);
        }
        return { ...contents, base64: b64.replace(/\s+/g, "") };
      });

      this.pfxBase64 = pulumi.secret(opened.base64);
      this.password = pulumi.secret(p.password);
      // Read from the PFX with the password, hence marked secret by Pulumi; the certificate is public.
      this.certificatePem = pulumi.unsecret(opened.certificatePem);
      this.expiresAt = pulumi.unsecret(opened.notAfter);
      let pair: pulumi.Output<{ privateKeyPem: string; certificateChainPem: string }> | undefined;
      this.tlsPair = () =>
        (pair ??= pulumi.secret(pulumi.all([opened.base64, p.password]).apply(([b64, password]) => ({ ...readPfxTlsPair(Buffer.from(b64, "base64"), password) }))));
    }

    this.registerOutputs({
      pfxBase64: this.pfxBase64,
      password: this.password,
      certificatePem: this.certificatePem,
      expiresAt: this.expiresAt,
      selfSigned: this.selfSigned,
    });
  }
}

function chooseMode(where: string, args: CertificateArgs): "selfSigned" | "pfx" {
  const given = [args.selfSigned !== undefined && "selfSigned", args.pfx !== undefined && "pfx"].filter(Boolean);
  if (given.length !== 1) {
    throw new Error(
      `${where}: give exactly one of selfSigned (a generated self-signed certificate, for dev/test) or pfx (a PFX from your CA, with its password); ${given.length === 0 ? "neither was given" : "both were given"}.`,
    );
  }
  return given[0] as "selfSigned" | "pfx";
}

/** Plain values are checked before anything is registered; Outputs are checked when they resolve. */
function checkSelfSignedNow(where: string, s: SelfSignedCertificateArgs): void {
  const algorithm = s.keyAlgorithm ?? "RSA";
  if (algorithm === "ECDSA") {
    throw new Error(
      `${where}: selfSigned.keyAlgorithm "ECDSA" is not supported: the PFX is written with node-forge, which cannot encode ECDSA keys. Use "RSA" (the default, ${SELF_SIGNED_RSA_BITS} bits), or supply an ECDSA PFX with pfx.`,
    );
  }
  if (algorithm !== "RSA") throw new Error(`${where}: selfSigned.keyAlgorithm must be "RSA" (got an unknown value).`);
  if (isPlain(s.dnsNames) && (s.dnsNames as unknown[]).every(isPlain)) checkDnsNames(where, s.dnsNames as string[]);
  const validityDays = isPlain(s.validityDays) ? ((s.validityDays as number | undefined) ?? DEFAULTS.certificateValidityDays) : undefined;
  const earlyRenewalDays = isPlain(s.earlyRenewalDays) ? ((s.earlyRenewalDays as number | undefined) ?? DEFAULTS.certificateEarlyRenewalDays) : undefined;
  if (validityDays !== undefined) checkDays(where, "selfSigned.validityDays", validityDays, 1);
  if (validityDays !== undefined && earlyRenewalDays !== undefined) checkEarlyRenewal(where, validityDays, earlyRenewalDays);
}

function isPlain(value: unknown): boolean {
  return !pulumi.Output.isInstance(value) && !(value instanceof Promise);
}

function checkDnsNames(where: string, names: string[]): string[] {
  if (!Array.isArray(names) || names.length === 0) {
    throw new Error(`${where}: selfSigned.dnsNames is empty; give the host names the Identity Service is reached by (e.g. ["localhost"]).`);
  }
  names.forEach((n, i) => {
    if (typeof n !== "string" || !DNS_NAME_PATTERN.test(n)) {
      throw new Error(`${where}: selfSigned.dnsNames[${i}] must be a host name without spaces (e.g. "identity.example.com").`);
    }
  });
  return names;
}

function checkDays(where: string, property: string, days: number, min: number): number {
  if (typeof days !== "number" || !Number.isInteger(days) || days < min) {
    throw new Error(`${where}: ${property} must be a whole number of days, at least ${min}.`);
  }
  return days;
}

function checkEarlyRenewal(where: string, validityDays: number, earlyRenewalDays: number): number {
  const problem = earlyRenewalProblem(validityDays, earlyRenewalDays);
  if (problem) throw new Error(`${where}: selfSigned.earlyRenewalDays ${problem}.`);
  return earlyRenewalDays;
}

/** Reads pfx.file at program time. Errors name the path (not the content). */
function readSuppliedFile(where: string, p: SuppliedPfxArgs): Buffer | undefined {
  if ((p.base64 === undefined) === (p.file === undefined)) {
    throw new Error(`${where}: give exactly one of pfx.base64 (the PFX as base64) or pfx.file (its path); ${p.file === undefined ? "neither was given" : "both were given"}.`);
  }
  if (p.password === undefined) throw new Error(`${where}: pfx.password is required: the password the PFX was exported with.`);
  if (p.file === undefined) return undefined;
  try {
    return fs.readFileSync(p.file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "unreadable";
    throw new Error(`${where}: pfx.file "${p.file}" could not be read (${code}); put the PFX at that path or give it as pfx.base64.`);
  }
}

/**
 * With a plain password and a plain PFX, a wrong password fails at construction rather than when
 * the outputs resolve. Returns what it read (undefined when something is an Output).
 */
function checkSuppliedNow(where: string, p: SuppliedPfxArgs, fileBytes: Buffer | undefined): PfxContents | undefined {
  if (!isPlain(p.password)) return undefined;
  const bytes = fileBytes ?? (typeof p.base64 === "string" ? decodeBase64(where, p.base64) : undefined);
  return bytes !== undefined ? openSupplied(where, bytes, p.password as string) : undefined;
}

function decodeBase64(where: string, value: string): Buffer {
  const bytes = decodePfxBase64(value);
  if (!bytes) throw new Error(`${where}: pfx.base64 is not base64 (standard alphabet, padded); encode the PFX file with \`base64 -w0 cert.pfx\`.`);
  return bytes;
}

function openSupplied(where: string, bytes: Buffer, password: string): PfxContents {
  if (typeof password !== "string" || password === "") {
    throw new Error(`${where}: pfx.password is empty; give the password the PFX was exported with.`);
  }
  try {
    return readPfx(bytes, password);
  } catch (e) {
    // readPfx's messages never contain the password.
    throw new Error(`${where}: ${(e as Error).message} Check pfx.password and the PFX.`);
  }
}
