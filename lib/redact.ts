/**
 * The one place secrets are taken out of text before it reaches an error message or a log line.
 * Pure; runs inside dynamic providers too.
 */

/** Replaces each secret (and its URL- and form-encoded forms) in a text with `[secret]`. Secrets shorter than 3 characters are left alone. */
export function redact(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  const forms = new Set<string>();
  for (const s of secrets) {
    if (typeof s !== "string" || s.length < 3) continue;
    forms.add(s);
    forms.add(encodeURIComponent(s));
    forms.add(new URLSearchParams({ v: s }).toString().slice(2));
    forms.add(JSON.stringify(s).slice(1, -1));
  }
  // Longest first, so a secret that contains another is replaced whole.
  for (const f of [...forms].sort((a, b) => b.length - a.length)) out = out.split(f).join("[secret]");
  return out;
}

/** The message of anything thrown. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Runs `work` and rethrows its failure with every secret redacted from the message, keeping the
 * properties Pulumi's dynamic-provider host reads from a failure (`id`, `properties`, `reasons`:
 * a partial-state error).
 */
export async function redactingErrors<T>(secrets: ReadonlyArray<string | undefined>, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    const redacted = new Error(redact(messageOf(e), secrets));
    const partial = e as { id?: unknown; properties?: unknown; reasons?: unknown };
    if (partial && typeof partial === "object" && partial.id !== undefined) {
      Object.assign(redacted, { id: partial.id, properties: partial.properties, reasons: (partial.reasons as string[] | undefined)?.map((r) => redact(r, secrets)) });
    }
    throw redacted;
  }
}
