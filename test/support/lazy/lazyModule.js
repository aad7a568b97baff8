/**
 * A stand-in for a CommonJS module that @pulumi/pulumi requires as it loads but most test files
 * never use: the real module is required the first time one of its exports is read.
 *
 * @pulumi/pulumi's runtime/closure/codePaths.js requires @npmcli/arborist (with pacote, sigstore,
 * cacache and the rest, about 400 modules) and normalize-package-data as it loads, for
 * computeCodePaths, which only code that packs functions into an archive calls; this package does
 * not. Jest loads every module again for each test file, so those modules were about a third of
 * what each file loaded. Its closure serializer requires typescript (9 MB) as it loads, and only
 * the tests that serialize a provider use it. jest.config.js maps the three names here
 * (moduleNameMapper); the real module is required by its resolved path, which the mapping does not
 * match.
 *
 * The stand-in says it is an ES module, so TypeScript's __importStar and __importDefault helpers
 * pass it through untouched instead of copying (and so loading) every export: `default` is the
 * CommonJS export itself, any other name is read from it.
 */
const path = require("node:path");

module.exports = function lazyModule(name) {
  const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
  const realPath = require.resolve(name, { paths: [pulumiDir] });
  let real;
  const load = () => (real ??= require(realPath));
  const exportOf = (key) => {
    if (key === "__esModule") return true;
    if (key === "default") return load().__esModule ? load().default : load();
    return load()[key];
  };
  return new Proxy(
    {},
    {
      get: (_, key) => exportOf(key),
      has: (_, key) => key === "__esModule" || key === "default" || key in load(),
      ownKeys: () => [...new Set(["__esModule", "default", ...Reflect.ownKeys(load())])],
      getOwnPropertyDescriptor: (_, key) => ({ configurable: true, enumerable: true, writable: false, value: exportOf(key) }),
    },
  );
};
