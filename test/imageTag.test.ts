import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { builtImageReference, contentTag, parseImageReference, shortImageLabel, sourceContentTag } from "../lib/imageTag";
import { quoteLiteral, snapshotName } from "../lib/databaseSnapshotSql";

/** Every folder sourceFolder made, removed after the file's tests. */
const made: string[] = [];
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** An unpacked IdentityService.zip in miniature. */
function sourceFolder(files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "is-src-"));
  made.push(dir);
  const all = {
    "Dockerfile-OAuth": "FROM mcr.microsoft.com/dotnet/aspnet:6.0\nCOPY . /app\n",
    "appsettings.json": '{"DbProvider":"Postgres"}',
    "bin/Identity.dll": "\u0000MZ binary",
    ...files,
  };
  for (const [rel, content] of Object.entries(all)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

describe("content tag of the unpacked IdentityService.zip", () => {
  it("is src- and 12 hex digits, the same for the same files wherever they are", () => {
    const a = sourceContentTag(sourceFolder());
    const b = sourceContentTag(sourceFolder());
    expect(a).toMatch(/^src-[0-9a-f]{12}$/);
    expect(b).toBe(a);
  });

  it("changes with one byte, a file name, a new file or the executable bit", () => {
    const base = sourceContentTag(sourceFolder());
    expect(sourceContentTag(sourceFolder({ "appsettings.json": '{"DbProvider":"Postgrex"}' }))).not.toBe(base);
    expect(sourceContentTag(sourceFolder({ "bin/extra.dll": "" }))).not.toBe(base);
    const renamed = sourceFolder();
    fs.renameSync(path.join(renamed, "bin", "Identity.dll"), path.join(renamed, "bin", "Identity2.dll"));
    expect(sourceContentTag(renamed)).not.toBe(base);
    const executable = sourceFolder();
    fs.chmodSync(path.join(executable, "appsettings.json"), 0o755);
    expect(sourceContentTag(executable)).not.toBe(base);
  });

  it("does not depend on the order files are listed in, and cannot be fooled by moving bytes between fields", () => {
    const entries = [
      { path: "a", kind: "file" as const, content: Buffer.from("xy") },
      { path: "b", kind: "file" as const, content: Buffer.from("z") },
    ];
    expect(contentTag([...entries].reverse())).toBe(contentTag(entries));
    expect(
      contentTag([
        { path: "a", kind: "file", content: "x" },
        { path: "b", kind: "file", content: "yz" },
      ]),
    ).not.toBe(contentTag(entries));
  });

  it("tags a built image as <repository>:<content tag>", () => {
    const dir = sourceFolder();
    expect(builtImageReference("registry.example.com:5000/creatio-identity-service", dir)).toBe(`registry.example.com:5000/creatio-identity-service:${sourceContentTag(dir)}`);
  });
});

describe("image references", () => {
  it("splits repository, tag and digest, with a registry port not taken for a tag", () => {
    expect(parseImageReference("creatio-identity-service:src-0123456789ab")).toEqual({ repository: "creatio-identity-service", tag: "src-0123456789ab" });
    expect(parseImageReference("registry:5000/is")).toEqual({ repository: "registry:5000/is" });
    expect(parseImageReference("registry:5000/is:8.1@sha256:abc")).toEqual({ repository: "registry:5000/is", tag: "8.1", digest: "sha256:abc" });
  });

  it("labels an image for a snapshot name with its tag, or its digest, in identifier characters", () => {
    expect(shortImageLabel("creatio-identity-service:src-0123456789ab")).toBe("src_0123456789ab");
    expect(shortImageLabel("registry.example.com/is:8.1.4-RC")).toBe("8_1_4_rc");
    expect(shortImageLabel("is@sha256:0123456789abcdef0123")).toBe("0123456789ab");
    expect(shortImageLabel("registry.example.com/creatio-identity-service")).toBe("creatio_identity_service");
    expect(shortImageLabel("is:" + "v".repeat(60))).toHaveLength(24);
  });

  it("names a snapshot by its UTC time to the second and the image's label", () => {
    expect(snapshotName(new Date("2026-12-02T06:42:16.999Z"), "src_0123456789ab")).toBe("snapshot_20261202064216_src_0123456789ab");
  });

  it("quotes SQL literals, with backslashes in an E'' literal", () => {
    expect(quoteLiteral(`it's`)).toBe(`'it''s'`);
    expect(quoteLiteral(`a\\b'`)).toBe(`E'a\\\\b'''`);
  });
});
