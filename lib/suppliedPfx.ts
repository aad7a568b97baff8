/**
 * The checks of a supplied PFX that the config validation pass runs before any resource exists:
 * the PFX is opened with its password as Kestrel will open it, and each problem is reported under
 * the config key that fixes it (the password, or the PFX itself), with the fix. Pure apart from
 * the PFX parsing; no message ever holds the password or the PFX's bytes.
 */
import { PfxContents, PfxError, readPfx } from "./pfx";

/** The config keys a supplied PFX comes from (without the project prefix). */
export type SuppliedPfxKey = "certificatePfxFile" | "certificatePfxBase64";

/** One problem, under the config key it belongs to. */
export interface SuppliedPfxProblem {
  readonly key: SuppliedPfxKey | "certificatePassword";
  /** What is wrong, starting lower-case (the caller prefixes the key). */
  readonly problem: string;
  /** What to do. */
  readonly fix: string;
}

/**
 * Strict standard base64 (whitespace ignored, padded): the PFX's bytes, or undefined when the text
 * is not base64. Strict, so that what passes here decodes to the same bytes everywhere.
 */
export function decodePfxBase64(text: string): Buffer | undefined {
  const compact = typeof text === "string" ? text.replace(/\s+/g, "") : "";
  if (compact === "" || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, "base64");
}

const EXPORT_PFX = "`openssl pkcs12 -export -inkey key.pem -in cert.pem -certfile chain.pem -out identity.pfx`";

/**
 * Opens a supplied PFX with its password and checks what Kestrel needs: a PKCS#12 file, the right
 * password, a private key with its certificate, and a certificate that has not expired. Returns
 * the problems (empty when it is usable) and, when it opened, what it holds.
 */
export function checkSuppliedPfx(args: {
  /** Which key the PFX came from. */
  readonly key: SuppliedPfxKey;
  /** How messages name the PFX: its path, for a file. */
  readonly source: string;
  readonly bytes: Buffer;
  readonly password: string;
  readonly now?: Date;
}): { problems: SuppliedPfxProblem[]; contents?: PfxContents } {
  const { key, source } = args;
  const resupply =
    key === "certificatePfxFile"
      ? `export the certificate with its private key as a PFX (for example ${EXPORT_PFX}) and \`pulumi config set certificatePfxFile <path>\``
      : `export the certificate with its private key as a PFX (for example ${EXPORT_PFX}) and \`pulumi config set --secret certificatePfxBase64 "$(base64 -w0 identity.pfx)"\``;
  const setPassword = "`pulumi config set --secret certificatePassword` (it prompts for the value) with the password the PFX was exported with";
  let contents: PfxContents;
  try {
    contents = readPfx(args.bytes, args.password);
  } catch (e) {
    const problem = e instanceof PfxError ? e.problem : "unreadable";
    switch (problem) {
      case "notPfx":
        return { problems: [{ key, problem: `${source} is not a PKCS#12 (PFX) file`, fix: resupply }] };
      case "wrongPassword":
        return { problems: [{ key: "certificatePassword", problem: `does not open ${source}: the password is wrong (the PFX's integrity check failed)`, fix: setPassword }] };
      case "unreadable":
        return {
          problems: [
            {
              key: "certificatePassword",
              problem: `does not open ${source}: the password is wrong, or the PFX is damaged or encrypted with an algorithm that cannot be read`,
              fix: `${setPassword}; if the password is right, export the PFX again (OpenSSL 3 uses AES-256 by default)`,
            },
          ],
        };
      case "noPrivateKey":
        return { problems: [{ key, problem: `${source} holds no private key (Kestrel needs the key, not only the certificate)`, fix: resupply }] };
      default:
        // noCertificate, unreadableKey, keyMismatch: readPfx's message says which (never a secret).
        return { problems: [{ key, problem: `${source}: ${(e as Error).message.replace(/[.;].*$/, "")}`, fix: resupply }] };
    }
  }
  const now = args.now ?? new Date();
  if (Date.parse(contents.notAfter) <= now.getTime()) {
    return {
      problems: [
        { key, problem: `the certificate in ${source} (${contents.subject}) expired on ${contents.notAfter}; clients would refuse it`, fix: `supply a current PFX: ${resupply}` },
      ],
      contents,
    };
  }
  return { problems: [], contents };
}
