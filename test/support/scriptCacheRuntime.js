/**
 * Jest's module runtime, keeping the compiled scripts of node_modules from one test file to the next.
 *
 * Jest runs each test file with a fresh module registry, so @pulumi/pulumi, grpc, zod, ... are
 * compiled again for every file. V8 could reuse its compilation (bytecode included) for the same
 * source in the same process, but only while the earlier vm.Script is still alive, and jest drops
 * it with the file's registry. This runtime keeps one vm.Script per node_modules file for the
 * worker's life and runs it in each test file's context: every file still gets its own module
 * instances (the script is run again, so no state is shared), only the compile is saved. The
 * package's own files and the tests are compiled as jest does it.
 *
 * A script may outlive the runtime that created it, so its dynamic import() goes to the runtime of
 * the test file running now (a worker runs one file at a time).
 */
const vm = require("node:vm");
const Runtime = require("jest-runtime").default;

/** filename -> { source, script } */
const scripts = new Map();
/** The runtime of the test file this worker is running. */
const running = { runtime: undefined };

class ScriptCacheRuntime extends Runtime {
  constructor(...args) {
    super(...args);
    running.runtime = this;
  }

  createScriptFromCode(scriptSource, filename) {
    if (!filename.includes("/node_modules/")) return super.createScriptFromCode(scriptSource, filename);
    const cached = scripts.get(filename);
    if (cached && cached.source === scriptSource) return cached.script;
    const script = new vm.Script(this.wrapCodeInModuleWrapper(scriptSource), {
      columnOffset: this._fileTransforms.get(filename)?.wrapperLength,
      displayErrors: true,
      filename,
      importModuleDynamically: (specifier) => running.runtime.dynamicImportFrom(specifier, filename),
    });
    scripts.set(filename, { source: scriptSource, script });
    return script;
  }

  async dynamicImportFrom(specifier, filename) {
    const context = this._environment.getVmContext?.();
    if (!context) throw new Error("Test environment has been torn down");
    return this.linkAndEvaluateModule(await this.resolveModule(specifier, filename, context));
  }
}

module.exports = ScriptCacheRuntime;
