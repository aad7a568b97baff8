/**
 * Pulumi.yaml's config block and the README's key table are generated from config/keys/
 * (`npm run generate:config`): the committed files must be what the generator writes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { CONFIG_KEYS } from "../config";
import { generatedFiles, readmeTable, renderPulumiYaml } from "../scripts/configDocs";

describe("generated config documentation", () => {
  it.each(generatedFiles(path.join(__dirname, "..")).map((f) => [f.file, f]))("%s is what `npm run generate:config` writes", (_file, f) => {
    expect({ file: f.file, upToDate: f.actual === f.expected }).toEqual({ file: f.file, upToDate: true });
  });

  it("declares every key with its type, default and secret note, as the CLI needs them", () => {
    const doc = YAML.parse(renderPulumiYaml("name: x\nconfig: {}\n"));
    expect(Object.keys(doc.config)).toEqual(Object.keys(CONFIG_KEYS));
    expect(doc.config.httpPort).toEqual({ type: "integer", description: CONFIG_KEYS.httpPort.description, default: 8090 });
    // Optional keys get "" (the CLI makes a typed key without a default required).
    expect(doc.config.clientId.default).toBe("");
    expect(doc.config.clientSecret.description).toMatch(/Secret: set with `pulumi config set --secret`\.$/);
    expect(doc.config.certificateDnsNames).toMatchObject({ type: "array", items: { type: "string" }, default: ["localhost"] });
    expect(doc.config.creatioOAuthApplications).toMatchObject({ type: "array", items: { type: "object" }, default: [] });
  });

  it("gives every default the type it declares, or the Pulumi CLI refuses to load the project", () => {
    // The CLI's rule when it loads Pulumi.yaml (3.248: "The default value specified for configuration
    // key 'replicasMax' is not of the expected type 'integer'"), for every command in the folder.
    const problems = (text: string): string[] => {
      const found: string[] = [];
      for (const [key, decl] of Object.entries<{ type?: string; items?: { type: string }; default?: unknown }>(YAML.parse(text).config)) {
        if (decl.type === undefined || decl.default === undefined) continue;
        const d = decl.default;
        const ok =
          decl.type === "integer"
            ? Number.isInteger(d)
            : decl.type === "boolean"
              ? typeof d === "boolean"
              : decl.type === "array"
                ? Array.isArray(d) && (decl.items?.type !== "string" || d.every((x) => typeof x === "string"))
                : typeof d === "string";
        if (!ok) found.push(`${key}: default ${JSON.stringify(d)} is not of type ${decl.type}`);
      }
      return found;
    };
    expect(problems(fs.readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8"))).toEqual([]);
    // An optional integer is declared without a type (the program checks it), and the check above catches a typed one.
    const replicasMax = YAML.parse(renderPulumiYaml("config: {}\n")).config.replicasMax;
    expect(replicasMax).toEqual({ description: CONFIG_KEYS.replicasMax.description, default: "" });
    expect(problems(YAML.stringify({ config: { replicasMax: { type: "integer", default: "" } } }))).toEqual(['replicasMax: default "" is not of type integer']);
  });

  it("a changed default shows in both files", () => {
    const spec = CONFIG_KEYS.httpPort as { default: number };
    const original = spec.default;
    try {
      spec.default = 9999;
      expect(readmeTable()).toContain("| `httpPort` | integer | `9999` |");
      expect(YAML.parse(renderPulumiYaml("config: {}\n")).config.httpPort.default).toBe(9999);
    } finally {
      spec.default = original;
    }
  });
});
