// @ts-check
/**
 * ESLint for every TypeScript file of the package (and these .js/.mjs configs): `npm run lint`.
 * typescript-eslint's type-aware rules read one TypeScript program, tsconfig.eslint.json (the
 * package's tsconfig plus e2e/), which is faster than a program per tsconfig. eslint-config-prettier
 * comes last so no rule argues with Prettier about layout.
 */
import eslint from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import prettier from "eslint-config-prettier";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  globalIgnores(["bin/", "coverage/", ".tmp/", "IdentityService/"]),
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { project: "./tsconfig.eslint.json", tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `any` is how this code base types JSON off the wire: a dynamic provider's inputs and
      // outputs (the SDK types them `any`), Creatio's and Docker's HTTP bodies, pg rows, the
      // resources of Pulumi's mocks and policy packs. The no-unsafe-* rules report every read of
      // such a value (about a thousand places); strict TypeScript still checks everything typed.
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      // Dynamic providers (and the lib/ helpers they call) are serialized into the engine's process
      // and must load Node and npm modules inside their function bodies; tests load index.ts only
      // after setting Pulumi's mocks.
      "@typescript-eslint/no-require-imports": "off",
      // ResourceProvider methods (check, diff, read, ...) return Promises by contract; an `async`
      // method with no `await` is how they are written, and turns a throw into a rejection.
      "@typescript-eslint/require-await": "off",
      // A dynamic resource's outputs are declared by an interface of the class's name that extends its
      // state's Output form (lib/dynamicResource.ts DynamicOutputs): an interface with one `extends`
      // and no members of its own is that declaration, not an empty type.
      "@typescript-eslint/no-empty-object-type": ["error", { allowInterfaces: "with-single-extends" }],
      // `const { secret: _omitted, ...rest } = x` is how an object is copied without a key.
      "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true }],
      // Rethrowing what a catch received (typed unknown) is fine, as only-throw-error allows by default.
      "@typescript-eslint/prefer-promise-reject-errors": ["error", { allowThrowingUnknown: true }],
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          // pulumi.log.* never rejects (it reports a failed delivery on stderr) and keeps the program
          // alive until the message is sent; setMocks does its work before it returns. Pulumi's own
          // examples call them without await.
          allowForKnownSafeCalls: [{ from: "package", package: "@pulumi/pulumi", name: ["debug", "info", "warn", "error", "setMocks"] }],
        },
      ],
    },
  },
  {
    // Creatio's JSON values arrive as `unknown` and become text with String(v) after the null
    // checks; TypeScript narrows that to `{}`, which no-base-to-string reports though the values
    // are JSON scalars. Only the Creatio wire code (and its stand-ins in the tests) does this.
    files: ["components/creatio*/**/*.ts", "lib/creatio/**/*.ts", "test/support/creatio*/**/*.ts", "test/support/creatio*.ts"],
    rules: { "@typescript-eslint/no-base-to-string": "off" },
  },
  {
    // Tests run the text Pulumi serialized a provider into, as the engine would (new Function);
    // the bench imports the tests' ES-module PostgreSQL starter through a Function so that
    // ts-node's CommonJS output does not turn import() into require().
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: { "@typescript-eslint/no-implied-eval": "off" },
  },
  {
    // The .js/.mjs configs and jest's global set-up are not in a TypeScript program.
    files: ["**/*.js", "**/*.mjs"],
    extends: [tseslint.configs.disableTypeChecked],
  },
  { files: ["**/*.js"], languageOptions: { sourceType: "commonjs" } },
  prettier,
);
