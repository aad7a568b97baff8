/**
 * Pulumi.yaml's `config:` block and the README's key table, written from CONFIG_KEYS, so the keys'
 * types, defaults and descriptions live in one place. `npm run generate:config` rewrites both
 * files; test/configDocs.test.ts fails when the committed files differ from what this writes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { CONFIG_KEYS, ConfigKeySpec } from "../config";

const SECRET_NOTE = " Secret: set with `pulumi config set --secret`.";
export const README_TABLE_BEGIN = "<!-- config-keys: generated from config/keys/ by `npm run generate:config`; do not edit by hand -->";
export const README_TABLE_END = "<!-- /config-keys -->";

/**
 * One key as Pulumi.yaml declares it. Keys without a default get `""` (or `[]`): the CLI makes a typed
 * key without a default required. The CLI also refuses to load a project whose default does not have
 * the declared type ("The default value specified for configuration key 'replicasMax' is not of the
 * expected type 'integer'"), so an optional integer or boolean is declared without a type: the
 * program checks its value (config/values.ts) as it checks every key.
 */
function declaration(spec: ConfigKeySpec): Record<string, unknown> {
  const untyped = spec.default === undefined && (spec.type === "integer" || spec.type === "boolean");
  const out: Record<string, unknown> = untyped ? {} : { type: spec.type };
  if (spec.type === "array") out.items = { type: spec.items ?? "string" };
  out.description = spec.secret ? `${spec.description}${SECRET_NOTE}` : spec.description;
  out.default = spec.default !== undefined ? (Array.isArray(spec.default) ? [...spec.default] : spec.default) : spec.type === "array" ? [] : "";
  return out;
}

/** Pulumi.yaml with its `config:` block written from CONFIG_KEYS (everything before it kept). */
export function renderPulumiYaml(current: string): string {
  const at = current.search(/^config:/m);
  if (at < 0) throw new Error("Pulumi.yaml has no top-level config: block");
  const config = Object.fromEntries(Object.entries(CONFIG_KEYS).map(([key, spec]) => [key, declaration(spec as ConfigKeySpec)]));
  return current.slice(0, at) + YAML.stringify({ config }, { lineWidth: 0 });
}

function defaultCell(spec: ConfigKeySpec): string {
  if (spec.default === undefined) return "";
  if (Array.isArray(spec.default)) return spec.default.length === 0 ? "`[]`" : `\`${JSON.stringify(spec.default)}\``;
  return `\`${String(spec.default)}\``;
}

/** The README's key table rows. */
export function readmeTable(): string {
  const rows = Object.entries(CONFIG_KEYS).map(([key, raw]) => {
    const spec = raw as ConfigKeySpec;
    const type = `${spec.type}${spec.type === "array" && spec.items === "object" ? " of objects" : ""}${spec.secret ? " (secret)" : ""}`;
    return `| \`${key}\` | ${type} | ${defaultCell(spec)} | ${spec.description.replace(/\|/g, "\\|")} |`;
  });
  return ["| key | type | default | meaning |", "|---|---|---|---|", ...rows].join("\n");
}

/** README.md with the text between the table markers replaced by the generated table. */
export function renderReadme(current: string): string {
  const begin = current.indexOf(README_TABLE_BEGIN);
  const end = current.indexOf(README_TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`README.md lacks the markers ${README_TABLE_BEGIN} ... ${README_TABLE_END}`);
  return `${current.slice(0, begin + README_TABLE_BEGIN.length)}\n${readmeTable()}\n${current.slice(end)}`;
}

/** The files this writes, relative to the repository, with their generated content. */
export function generatedFiles(root: string): Array<{ file: string; expected: string; actual: string }> {
  return [
    { file: "Pulumi.yaml", render: renderPulumiYaml },
    { file: "README.md", render: renderReadme },
  ].map(({ file, render }) => {
    const actual = fs.readFileSync(path.join(root, file), "utf8");
    return { file, expected: render(actual), actual };
  });
}
