/**
 * The first pass over raw config: every key read as its declared type and checked on its own, and
 * the small vocabulary the cross-key rules (rules/) report problems with.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { CONFIG_KEYS, ConfigKey, ConfigKeySpec, KeyType, PROJECT, RETIRED_KEYS } from "./keys";
import { nearest } from "./suggest";
import { RawConfig, Secret } from "./types";

const typeParsers: Record<KeyType, z.ZodType> = {
  string: z.string(),
  integer: z
    .string()
    .trim()
    .regex(/^-?\d+$/)
    .transform(Number),
  boolean: z.enum(["true", "false"]).transform((v) => v === "true"),
  array: z.string().transform((text, ctx) => {
    try {
      const parsed = JSON.parse(text);
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === "string")) return parsed;
    } catch {
      /* reported below */
    }
    ctx.addIssue({ code: "custom", message: "not a list" });
    return z.NEVER;
  }),
};

/** A list of objects (`items: object`), as the CLI hands structured config to the program: JSON. */
const objectListParser = z.string().transform((text, ctx) => {
  try {
    const parsed = JSON.parse(text);
    if (Array.isArray(parsed)) return parsed as unknown[];
  } catch {
    /* reported below */
  }
  ctx.addIssue({ code: "custom", message: "not a list" });
  return z.NEVER;
});

const typeWords: Record<KeyType, string> = { string: "a string", integer: "a whole number", boolean: "true or false", array: "a list of strings" };

/** The command that sets a key, for "Fix:" texts. */
export function setCommand(key: string, spec: ConfigKeySpec = CONFIG_KEYS[key as ConfigKey]): string {
  if (spec.items === "object") return `set it in Pulumi.<stack>.yaml as a YAML list of objects, or \`pulumi config set --path '${key}[0].name' ${spec.example}\``;
  if (spec.type === "array") return `set it in Pulumi.<stack>.yaml as a YAML list, or \`pulumi config set --path '${key}[0]' <value>\``;
  return `\`pulumi config set ${spec.secret ? "--secret " : ""}${key} ${spec.example}\``;
}

/** What the rules work with: the typed values (defaults applied) and how to report on them. */
export interface ConfigContext {
  /** Every key's typed value; the default where unset or invalid (an invalid key is reported once). */
  readonly typed: Readonly<Record<ConfigKey, any>>;
  readonly raw: RawConfig;
  /** Reports a problem with a key: `creatio-identity:<key>: <text>`. */
  problem(key: string, text: string): void;
  /** Reports a problem with a setting that is not one of this package's keys (`docker:host`, an environment variable), under its own name. */
  problemWith(setting: string, text: string): void;
  /** Reports the key as missing when it has no value. */
  need(key: ConfigKey, why: string): void;
  /** Reports each of the keys that was set (differs from its default) although it is not used. */
  onlyWith(keys: readonly ConfigKey[], why: string): void;
  /** The key's value as a Pulumi secret, or undefined when unset. */
  secret(key: ConfigKey): Secret | undefined;
  /** A path from config, resolved against the project folder. */
  resolvePath(p: string): string;
}

/** Reads every key as its declared type; returns the context the rules use and the problem list. */
export function readConfig(raw: RawConfig): { ctx: ConfigContext; problems: string[] } {
  const problems: string[] = [];
  const prefix = `${PROJECT}:`;
  const typed: Record<string, any> = {};
  const explicit = new Set<string>();

  for (const fullKey of Object.keys(raw.values)) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    if (key in RETIRED_KEYS) {
      problems.push(`${fullKey}: is no longer used: ${RETIRED_KEYS[key]} Remove it with \`pulumi config rm ${key}\`.`);
    } else if (!(key in CONFIG_KEYS)) {
      const near = nearest(key, Object.keys(CONFIG_KEYS));
      problems.push(`${fullKey}: unknown key.${near ? ` Did you mean ${near}?` : ""} Remove it with \`pulumi config rm ${key}\`; the README lists every key.`);
    }
  }

  for (const [key, spec] of Object.entries(CONFIG_KEYS) as [ConfigKey, ConfigKeySpec][]) {
    const fullKey = `${prefix}${key}`;
    const text = raw.values[fullKey];
    // Until proven valid, a key keeps its default, so one bad value is reported once and does not
    // cascade into the cross-key rules. Unset and empty mean the same: Pulumi.yaml declares
    // optional keys with `default: ""`, because the CLI requires a value for a key without one.
    typed[key] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
    if (text === undefined || text === "") continue;
    if (spec.secret && !raw.secretKeys.has(fullKey)) {
      problems.push(`${fullKey}: is a secret but is stored in plain text. Fix: \`pulumi config set --secret ${key} <value>\`.`);
      continue;
    }
    const parsed = (spec.items === "object" ? objectListParser : typeParsers[spec.type]).safeParse(text);
    const shown = spec.secret ? "" : ` (got ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text)})`;
    if (!parsed.success) {
      problems.push(`${fullKey}: must be ${spec.items === "object" ? "a list of objects" : typeWords[spec.type]}${shown}. Fix: ${setCommand(key, spec)}.`);
      continue;
    }
    const problem = spec.check?.(parsed.data);
    if (problem) {
      problems.push(`${fullKey}: ${problem}${shown}. Fix: ${setCommand(key, spec)}.`);
      continue;
    }
    typed[key] = parsed.data;
    // The CLI injects Pulumi.yaml's defaults into the stack's config, so "set" means "differs from the default".
    if (JSON.stringify(parsed.data) !== JSON.stringify(spec.default)) explicit.add(key);
  }

  const ctx: ConfigContext = {
    typed: typed as Record<ConfigKey, any>,
    raw,
    problem: (key, text) => void problems.push(`${prefix}${key}: ${text}`),
    problemWith: (setting, text) => void problems.push(`${setting.includes(":") ? setting : `${setting} (environment variable)`}: ${text}`),
    need(key, why) {
      // A value that was given but refused (malformed, or a secret in plain text) is reported once, where it was refused.
      if (raw.values[`${prefix}${key}`]) return;
      if (typed[key] === undefined || typed[key] === "") problems.push(`${prefix}${key}: is required ${why}. Fix: ${setCommand(key)}.`);
    },
    onlyWith(keys, why) {
      for (const k of keys) if (explicit.has(k)) problems.push(`${prefix}${k}: is only used ${why}; remove it (\`pulumi config rm ${k}\`) or change that setting.`);
    },
    secret: (key) => (typed[key] === undefined ? undefined : pulumi.secret(String(typed[key]))),
    resolvePath: (p) => (path.isAbsolute(p) ? p : path.resolve(raw.projectDir, p)),
  };
  return { ctx, problems };
}
