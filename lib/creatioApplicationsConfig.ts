/**
 * The `creatioOAuthApplications` config key: a list of Creatio "OAuth 2.0 integrated applications",
 * each `{ key?, name, applicationUrl, redirectUrl?, description?, systemUser, active?, rotation? }`.
 * `key` names the application's resource and its entry in the `creatioOAuthApplications` output, so
 * it must never change; without one, the name plays that part (as in earlier versions, whose stacks
 * keep their resources), and then renaming the application re-creates its client.
 * Validated with zod before any resource is created; every problem names the entry (index and
 * name) and the `pulumi config set --path` command that fixes it. Pure: no Pulumi, no I/O.
 *
 * Values set with `pulumi config set --path` arrive typed: "true"/"false" as booleans and whole
 * numbers as numbers (the CLI's rule), so `active` takes either form and text fields take numbers.
 */
import { DEFAULTS } from "./defaults";
import { httpUrlProblem } from "./validators";
import { z } from "zod";

/** One application as configured, defaults applied. */
export interface CreatioApplicationConfig {
  /** Names the resource and keys the output: stable for the application's life. The name when not given. */
  readonly key: string;
  /** The application's name in Creatio: display text once a key is given. */
  readonly name: string;
  readonly applicationUrl: string;
  readonly redirectUrl?: string;
  readonly description?: string;
  /** Login name of the Creatio user the application acts as. */
  readonly systemUser: string;
  readonly active: boolean;
  /** Keeper: a new value gives the application a new client id and secret. */
  readonly rotation?: string;
}

/** Creatio's MediumText columns hold 250 characters. */
const MAX = 250;
/** Letters, digits, spaces and . _ -, starting with a letter or digit: fit for Creatio, for resource names and as an output key. */
const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u;
/** A key: ASCII letters, digits, - and _ (a resource name part and an output key that any tool can type). */
const KEY = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const FIELDS = ["key", "name", "applicationUrl", "redirectUrl", "description", "systemUser", "active", "rotation"];
const EXAMPLES: Record<string, string> = {
  key: "billing",
  name: "Billing",
  applicationUrl: "https://billing.example.com",
  redirectUrl: "https://billing.example.com/oauth/callback",
  description: "'Invoices to Creatio'",
  systemUser: "IntegrationUser",
  active: "true",
  rotation: "2026-11",
};

/** Text, or a number the CLI typed as one (`--path ... 2026`). */
const text = (what: string) => z.union([z.string(), z.number().transform(String)], { error: `${what} must be text` });
const url = (what: string) =>
  z
    .string({ error: `${what} must be an http:// or https:// URL` })
    .refine((v) => httpUrlProblem(v, "link") === undefined, { error: `${what} must be an http:// or https:// URL without user name, password or #fragment` })
    .refine((v) => v.length <= MAX, { error: `${what} is longer than ${MAX} characters` });

const entrySchema = z.strictObject({
  key: text("key")
    .refine((v) => KEY.test(v), { error: "key may hold ASCII letters, digits, - and _ and must start with a letter or digit" })
    .refine((v) => v.length <= 63, { error: "key is longer than 63 characters" })
    .optional(),
  // Free display text (Creatio allows any); the stricter rule of a key applies when it is one (below).
  name: text("name")
    .refine((v) => v.trim() !== "" && v.trim() === v && !/\p{Cc}/u.test(v), { error: "name must be text without surrounding spaces or control characters" })
    .refine((v) => v.length <= MAX, { error: `name is longer than ${MAX} characters` }),
  applicationUrl: url("applicationUrl"),
  redirectUrl: url("redirectUrl").optional(),
  description: text("description")
    .refine((v) => v.length <= MAX, { error: `description is longer than ${MAX} characters` })
    .optional(),
  systemUser: text("systemUser").refine((v) => v.trim() !== "" && v.trim() === v, { error: "systemUser must be a Creatio user's login name without surrounding spaces" }),
  active: z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")], { error: "active must be true or false" }).default(DEFAULTS.applicationActive),
  rotation: text("rotation").optional(),
});

/** `key[i] ("name")`: how a message names an entry. */
function entryLabel(key: string, index: number, entry: unknown): string {
  const name = entry && typeof entry === "object" ? (entry as { name?: unknown }).name : undefined;
  return `${key}[${index}]${typeof name === "string" || typeof name === "number" ? ` (${JSON.stringify(String(name))})` : ""}`;
}

function fixFor(bareKey: string, index: number, field: string): string {
  return `Fix: \`pulumi config set --path '${bareKey}[${index}].${field}' ${EXAMPLES[field] ?? "<value>"}\`.`;
}

/**
 * Validates the parsed config value (a JSON array). `fullKey` is `creatio-identity:creatioOAuthApplications`.
 * Returns the applications and, for each problem, one message naming the entry and the fix.
 */
export function parseCreatioApplications(value: unknown, fullKey: string): { applications: CreatioApplicationConfig[]; problems: string[] } {
  const bareKey = fullKey.slice(fullKey.indexOf(":") + 1);
  const problems: string[] = [];
  const applications: CreatioApplicationConfig[] = [];
  if (!Array.isArray(value)) {
    return {
      applications,
      problems: [`${fullKey}: must be a list of { key, name, applicationUrl, systemUser, ... } objects. Fix: \`pulumi config set --path '${bareKey}[0].name' Billing\`.`],
    };
  }
  const seen = new Map<string, number>();
  value.forEach((entry, index) => {
    const label = `${fullKey.slice(0, fullKey.indexOf(":") + 1)}${entryLabel(bareKey, index, entry)}`;
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
      problems.push(
        `${label}: must be an object { key?, name, applicationUrl, systemUser, redirectUrl?, description?, active?, rotation? }. Fix: \`pulumi config set --path '${bareKey}[${index}].name' Billing\`.`,
      );
      return;
    }
    // Every problem of the entry is reported in the same run: none hides the others.
    const found: string[] = [];
    // The key is what must be unique (it names the resource); without one, the name is the key.
    const { key: rawKey, name: rawName } = entry as { key?: unknown; name?: unknown };
    const keyGiven = rawKey !== undefined;
    const identity = keyGiven ? rawKey : rawName;
    if (typeof identity === "string" || typeof identity === "number") {
      const id = String(identity).toLowerCase();
      if (seen.has(id)) {
        found.push(
          keyGiven
            ? `${label}: the key is already used by ${bareKey}[${seen.get(id)}]; application keys must be unique (ignoring case). Fix: \`pulumi config set --path '${bareKey}[${index}].key' <another key>\`.`
            : `${label}: the name is already used by ${bareKey}[${seen.get(id)}] (without a key, the name names the application's resource, so it must be unique, ignoring case). ` +
                `Fix: give each a key (\`pulumi config set --path '${bareKey}[${index}].key' <key>\`), or another name.`,
        );
      } else seen.set(id, index);
    }
    // Without a key the name is one: it must fit a resource name and an output key.
    if (!keyGiven && typeof rawName === "string" && rawName !== "" && !NAME.test(rawName)) {
      found.push(
        `${label}: without a key, the name names the application's resource and its output entry, so it may hold only letters, digits, spaces and . _ - and must start with a letter or digit (got ${JSON.stringify(rawName)}). ` +
          `Fix: give it a key (\`pulumi config set --path '${bareKey}[${index}].key' ${EXAMPLES.key}\`); the name may then be any text.`,
      );
    }
    const parsed = entrySchema.safeParse(entry);
    for (const issue of parsed.success ? [] : parsed.error.issues) {
      if (issue.code === "unrecognized_keys") {
        for (const k of issue.keys) {
          const near = FIELDS.find((f) => f.toLowerCase() === k.toLowerCase());
          found.push(
            `${label}: unknown field "${k}"${near ? ` (did you mean ${near}?)` : ""}; the fields are ${FIELDS.join(", ")}. Fix: \`pulumi config rm --path '${bareKey}[${index}].${k}'\`.`,
          );
        }
        continue;
      }
      const field = String(issue.path[0] ?? "");
      const given = (entry as Record<string, unknown>)[field];
      const message = given === undefined ? `${field} is required` : issue.message;
      const shown = given === undefined ? "" : ` (got ${JSON.stringify(given)})`;
      found.push(`${label}: ${message}${shown}. ${fixFor(bareKey, index, field)}`);
    }
    problems.push(...found);
    if (found.length > 0 || !parsed.success) return;
    const fields = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined));
    applications.push({ ...fields, key: parsed.data.key ?? parsed.data.name } as unknown as CreatioApplicationConfig);
  });
  return { applications, problems };
}
