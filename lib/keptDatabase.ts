/**
 * What an `up` does with an Identity Service database that an earlier `pulumi destroy` kept
 * (databaseRetainOnDelete): the decision, and the words. No Pulumi and no I/O here; the check
 * itself (components/keptDatabaseCheck.ts) finds what exists and hands it to `decideKeptDatabase`.
 *
 * A kept database has the password of the stack that made it, which went with that stack's state.
 * So "is it this stack's?" is answered by what this stack holds: its password opens the role
 * (server), or its container uses the volume (container). Anything else is kept (or another
 * stack's), and an `up` takes it over only when told to (`databaseTakeBack`): the names are the
 * same for every stack unless set, and taking a role over changes its password under whoever
 * uses it.
 */

/** What exists on the PostgreSQL server under the stack's names. */
export interface ServerFindings {
  readonly kind: "server";
  /** `host:port`, for messages. */
  readonly where: string;
  readonly role: string;
  readonly database: string;
  readonly roleExists: boolean;
  readonly databaseExists: boolean;
  /** The database's owner, when it exists. */
  readonly databaseOwner?: string;
  /**
   * Whether this stack's password opens the role: true (it is this stack's), false (PostgreSQL
   * refused the password: kept or another's), undefined (not tried, or refused for another reason,
   * such as pg_hba.conf: cannot tell, so it is left to the stack, as before this check).
   */
  readonly passwordOpensRole?: boolean;
}

/** What exists on the Docker host under the stack's volume name. */
export interface ContainerFindings {
  readonly kind: "container";
  /** The engine's address, for messages. */
  readonly where: string;
  readonly volume: string;
  readonly volumeExists: boolean;
  /** Names of the containers (running or not) that use the volume. */
  readonly usedBy: readonly string[];
}

export type KeptDatabaseFindings = ServerFindings | ContainerFindings;

export type KeptDatabaseDecision =
  /** Nothing kept: the stack creates (or already has) its database. */
  | { readonly outcome: "none" }
  /** A kept database, taken back (databaseTakeBack): its words say what. */
  | { readonly outcome: "takeBack"; readonly kept: string }
  /** Stop: the message says what was found and the ways on. */
  | { readonly outcome: "refuse"; readonly message: string };

const AGAIN = "Nothing of the database was created; choose one, then run `pulumi up` again:";
const OTHER_NAMES = "`pulumi config set databaseName <name>` and `pulumi config set databaseUsername <name>`";

export function decideKeptDatabase(found: KeptDatabaseFindings, takeBack: boolean): KeptDatabaseDecision {
  return found.kind === "server" ? decideServer(found, takeBack) : decideContainer(found, takeBack);
}

function decideServer(f: ServerFindings, takeBack: boolean): KeptDatabaseDecision {
  const nothing = !f.roleExists && !f.databaseExists;
  // This stack's own role (an `up` after the first, or an upgrade of the package): nothing to decide.
  if (f.roleExists && f.passwordOpensRole !== false) return { outcome: "none" };
  if (nothing) return takeBack ? { outcome: "refuse", message: nothingToTakeBack(`no role "${f.role}" and no database "${f.database}" on ${f.where}`) } : { outcome: "none" };

  const what = serverWhat(f);
  const drop = [f.databaseExists ? `DROP DATABASE "${f.database}";` : "", f.roleExists ? `DROP ROLE "${f.role}";` : ""].filter(Boolean).join(" ");
  const complete = f.roleExists && f.databaseExists && f.databaseOwner === f.role;
  if (takeBack && complete) return { outcome: "takeBack", kept: `${what} on ${f.where}` };
  if (takeBack) {
    return {
      outcome: "refuse",
      message:
        `databaseTakeBack is set, but ${f.where} has ${what}: taking back needs the role and a database it owns, both. ` +
        `Remove what is there, as the admin role: ${drop} (then \`pulumi config rm databaseTakeBack\`), ` +
        `or use other names: ${OTHER_NAMES}.`,
    };
  }
  const lines = [
    `The PostgreSQL server ${f.where} already has ${what}` +
      (f.roleExists ? ", and this stack's password does not open the role" : "") +
      ": an earlier `pulumi destroy` kept them (databaseRetainOnDelete), or another stack uses these names. " +
      AGAIN,
  ];
  if (complete) lines.push("- take them back, with their clients, keys and snapshots (this stack gives the role its own password): `pulumi config set databaseTakeBack true`");
  lines.push(`- use new ones beside them: ${OTHER_NAMES}`, `- remove them, as the admin role: ${drop}`);
  return { outcome: "refuse", message: lines.join("\n") };
}

function serverWhat(f: ServerFindings): string {
  const owner = f.databaseOwner && f.databaseOwner !== f.role ? ` (owned by "${f.databaseOwner}")` : "";
  if (f.roleExists && f.databaseExists) return `the role "${f.role}" and the database "${f.database}"${owner}`;
  if (f.roleExists) return `the role "${f.role}" (no database "${f.database}")`;
  return `the database "${f.database}"${owner} (no role "${f.role}")`;
}

function decideContainer(f: ContainerFindings, takeBack: boolean): KeptDatabaseDecision {
  // In use by a container: this stack's own database container (an `up` after the first).
  if (f.volumeExists && f.usedBy.length > 0) return { outcome: "none" };
  if (!f.volumeExists) return takeBack ? { outcome: "refuse", message: nothingToTakeBack(`no Docker volume "${f.volume}" on ${f.where}`) } : { outcome: "none" };
  if (takeBack) return { outcome: "takeBack", kept: `the Docker volume "${f.volume}" on ${f.where}` };
  return {
    outcome: "refuse",
    message: [
      `The Docker host ${f.where} already has the volume "${f.volume}", which no container uses: an earlier \`pulumi destroy\` kept it (databaseRetainOnDelete), ` +
        "with the database of the stack that made it, whose password went with that stack. " +
        AGAIN,
      "- take it back, with its clients, keys and snapshots (this stack gives the database's role its own password): `pulumi config set databaseTakeBack true`",
      `- remove it: docker volume rm ${f.volume}`,
    ].join("\n"),
  };
}

function nothingToTakeBack(missing: string): string {
  return `databaseTakeBack is set, but there is nothing to take back: ${missing}. Fix: \`pulumi config rm databaseTakeBack\`, then \`pulumi up\`.`;
}

/** What the check says when it takes a kept database back (once, as it happens). */
export function tookBackNotice(kept: string): string {
  return (
    `Taking back ${kept}, kept by an earlier \`pulumi destroy\` (databaseTakeBack): the Identity Service uses its clients, keys and snapshots again, under this stack's password. ` +
    "Once this `up` has finished, `pulumi config rm databaseTakeBack` is safe: it is read only when the database is created."
  );
}

/**
 * The shell command that gives the database container's role the password of the container's own
 * environment (POSTGRES_PASSWORD, which the image applies only to an empty volume). It runs inside
 * the container, where the official image trusts local socket connections; the password reaches
 * psql on its standard input, never as an argument. The generated passwords are letters and
 * digits, so quoting them in SQL needs nothing more.
 */
export const CONTAINER_PASSWORD_COMMAND = [
  "sh",
  "-c",
  'psql -v ON_ERROR_STOP=1 --no-psqlrc -q -U "$POSTGRES_USER" -d "$POSTGRES_DB" <<EOSQL\nALTER ROLE CURRENT_USER WITH PASSWORD \'$POSTGRES_PASSWORD\';\nEOSQL',
] as const;
