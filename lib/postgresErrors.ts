/**
 * How the dynamic providers read a failure of `pg` (node-postgres): PostgreSQL's SQLSTATE codes they
 * act on, and the text they put in their errors. No Pulumi here; nothing captured at module load, so
 * the providers' closures serialize it.
 */

/** PostgreSQL's SQLSTATE for a password it refuses (invalid_password). */
export const INVALID_PASSWORD_SQLSTATE = "28P01";

/** PostgreSQL's (or the driver's) message, with the SQLSTATE when there is one: `… (SQLSTATE 28P01)`. Never the connection's settings. */
export function postgresErrorText(e: unknown): string {
  const err = e as { message?: string; code?: string };
  return `${err.message ?? String(e)}${err.code ? ` (SQLSTATE ${err.code})` : ""}`;
}
