/**
 * RSA 2048 keys for the tests' certificates. Making one costs about 300 ms of CPU here, and the
 * tests build a dozen certificates that need only two distinct keys (a leaf's and its CA's, or a
 * certificate's and another certificate's). globalSetup.mjs makes the two once per run, while
 * PostgreSQL starts, in a private temporary folder (TEST_KEYS_DIR) that globalTeardown.mjs removes;
 * outside jest (the bench) they are made here, once per process. Each certificate is still new.
 */
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Which of the two keys: they differ from each other, and are the same in every test of a run. */
export type TestKey = 0 | 1;

const made = new Map<TestKey, string>();

/** The key's private half, PKCS#8 PEM (what `openssl req -key` and Node's crypto read). */
export function testKeyPem(key: TestKey = 0): string {
  let pem = made.get(key);
  if (pem === undefined) {
    const dir = process.env.TEST_KEYS_DIR;
    pem = dir
      ? readFileSync(join(dir, `rsa-${key}.pem`), "utf8")
      : generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    made.set(key, pem);
  }
  return pem;
}
