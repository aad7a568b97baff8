/**
 * Image references for the Identity Service: a tag that identifies the content of the unpacked
 * IdentityService.zip, so every version built from it stays addressable (`pulumi config set image
 * <repository>:src-<hash>` runs it again without the old zip), and the parts of a reference.
 * No Pulumi here; `sourceContentTag` reads the folder, everything else is pure.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** Tags this package gives built images start with this (`src-` + 12 hex digits). */
export const CONTENT_TAG_PREFIX = "src-";
const CONTENT_TAG_HEX_DIGITS = 12;

/** One entry of a build context, as the hash sees it. */
export interface SourceEntry {
  /** Path relative to the folder, `/`-separated. */
  readonly path: string;
  readonly kind: "file" | "dir" | "symlink";
  /** The executable bit matters to `COPY` (it is kept in the image). */
  readonly executable?: boolean;
  /** File bytes, or a symlink's target. Not used for directories. */
  readonly content?: Buffer | string;
}

/**
 * `src-` + the first 12 hex digits of SHA-256 over every entry (kind, path, executable bit, length,
 * bytes), sorted by path: the same files give the same tag on any machine, in any order, at any
 * time; one changed byte, mode bit or file name gives another.
 */
export function contentTag(entries: Iterable<SourceEntry>): string {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const hash = createHash("sha256");
  for (const e of sorted) {
    const content = e.kind === "dir" ? Buffer.alloc(0) : Buffer.from(e.content ?? "");
    // Lengths delimit every field, so no two different trees can produce the same byte stream.
    const header = `${e.kind}\0${Buffer.byteLength(e.path)}\0${e.path}\0${e.executable ? "x" : "-"}\0${content.length}\0`;
    hash.update(header);
    hash.update(content);
  }
  return `${CONTENT_TAG_PREFIX}${hash.digest("hex").slice(0, CONTENT_TAG_HEX_DIGITS)}`;
}

/** Every entry under `dir` (the Docker build context), read from disk. Symlinks are not followed. */
export function readSourceEntries(dir: string): SourceEntry[] {
  const entries: SourceEntry[] = [];
  const walk = (absolute: string, relative: string) => {
    for (const d of fs.readdirSync(absolute, { withFileTypes: true })) {
      const abs = path.join(absolute, d.name);
      const rel = relative ? `${relative}/${d.name}` : d.name;
      if (d.isSymbolicLink()) entries.push({ path: rel, kind: "symlink", content: fs.readlinkSync(abs) });
      else if (d.isDirectory()) {
        entries.push({ path: rel, kind: "dir" });
        walk(abs, rel);
      } else if (d.isFile()) {
        entries.push({ path: rel, kind: "file", executable: (fs.statSync(abs).mode & 0o111) !== 0, content: fs.readFileSync(abs) });
      }
    }
  };
  walk(dir, "");
  return entries;
}

/** The content tag of the unpacked IdentityService.zip in `dir` (see contentTag). */
export function sourceContentTag(dir: string): string {
  return contentTag(readSourceEntries(dir));
}

/** The parts of an image reference `[registry/]repository[:tag][@digest]`. */
export interface ImageReference {
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** Splits a reference; a `:` before the last `/` belongs to a registry host (`registry:5000/repo`). */
export function parseImageReference(ref: string): ImageReference {
  const at = ref.indexOf("@");
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const name = at >= 0 ? ref.slice(0, at) : ref;
  const colon = name.lastIndexOf(":");
  if (colon > name.lastIndexOf("/")) return { repository: name.slice(0, colon), tag: name.slice(colon + 1), digest };
  return { repository: name, digest };
}

/** `<repository>:<tag>` for an image built from `sourceDir`. */
export function builtImageReference(repository: string, sourceDir: string): string {
  return `${repository}:${sourceContentTag(sourceDir)}`;
}

/**
 * A short label for an image, usable in a PostgreSQL identifier: the tag (or the digest's first 12
 * hex digits, or the repository's last part), lower-case, other characters as `_`, at most 24.
 * `creatio-identity-service:src-3f2a9c1b7d4e` → `src_3f2a9c1b7d4e`.
 */
export function shortImageLabel(ref: string): string {
  const { repository, tag, digest } = parseImageReference(ref);
  const raw = tag ?? (digest ? digest.replace(/^[a-z0-9]+:/i, "").slice(0, 12) : (repository.split("/").pop() ?? "image"));
  const label = raw
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 24);
  return label || "image";
}

/**
 * The registry host of a repository, as Docker reads it: the first path part when it has a `.` or
 * a `:` or is `localhost` (`registry.example.com/team/is`, `registry:5000/is`); otherwise none, and
 * Docker means Docker Hub (`creatio-identity-service`, `team/is`).
 */
export function registryHost(repository: string): string | undefined {
  const slash = repository.indexOf("/");
  if (slash < 0) return undefined;
  const first = repository.slice(0, slash);
  return /[.:]/.test(first) || first === "localhost" ? first : undefined;
}
