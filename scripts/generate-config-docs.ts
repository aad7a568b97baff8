/** `npm run generate:config`: rewrites Pulumi.yaml's config block and the README's key table from CONFIG_KEYS. */
import * as fs from "node:fs";
import * as path from "node:path";
import { generatedFiles } from "./configDocs";

const root = path.resolve(__dirname, "..");
for (const { file, expected, actual } of generatedFiles(root)) {
  if (expected === actual) {
    console.log(`${file}: up to date`);
  } else {
    fs.writeFileSync(path.join(root, file), expected);
    console.log(`${file}: written`);
  }
}
