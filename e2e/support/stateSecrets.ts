/**
 * Looking for secrets in Pulumi state: what a secret looks like in a checkpoint, and a search of
 * every file under a file backend (stack checkpoints, their .bak copies, the history) for values
 * that must only ever be there encrypted. Findings name the file and the value's label, never the
 * value, so a failing test does not print the secret either.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { gunzipSync } from "node:zlib";

/** The signature key and value Pulumi puts on an encrypted secret in a checkpoint (`{sig: value, ciphertext}`). */
export const SECRET_SIGNATURE_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIGNATURE_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** True for a checkpoint value that is an encrypted secret. */
export function isEncryptedSecret(value: unknown): boolean {
  const v = value as Record<string, unknown> | null;
  return !!v && typeof v === "object" && v[SECRET_SIGNATURE_KEY] === SECRET_SIGNATURE_VALUE && typeof v.ciphertext === "string" && v.ciphertext.length > 0;
}

/** Every regular file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Which labelled values occur in `text` (labels only). */
export function labelsFoundIn(text: string, secrets: Readonly<Record<string, string>>): string[] {
  return Object.entries(secrets)
    .filter(([, value]) => value.length > 0 && text.includes(value))
    .map(([label]) => label);
}

/**
 * `<file>: <label>` for each labelled value found in plain text in a file under `dir` (gzipped
 * checkpoints are unpacked first). Also returns how many files were searched.
 */
export function plaintextSecretsInFiles(dir: string, secrets: Readonly<Record<string, string>>): { findings: string[]; filesSearched: number } {
  const files = filesUnder(dir);
  const findings: string[] = [];
  for (const file of files) {
    let data = readFileSync(file);
    if (file.endsWith(".gz")) data = gunzipSync(data);
    for (const label of labelsFoundIn(data.toString("utf8"), secrets)) findings.push(`${relative(dir, file)}: ${label}`);
  }
  return { findings, filesSearched: files.length };
}
