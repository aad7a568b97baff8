/** Config keys: the Identity Service's database. */
import { POSTGRESQL_PROVIDER_SSL_MODES } from "../../lib/connectionString";
import { DEFAULTS } from "../../lib/defaults";
import { portProblem, SQL_IDENTIFIER_PATTERN } from "../../lib/validators";
import { ConfigKeySpec, oneOf } from "./spec";

const DB_MODES = ["container", "server", "connectionString"];

export const DATABASE_KEYS = {
  // --- Identity Service database -----------------------------------------------------------
  databaseMode: {
    type: "string",
    default: DEFAULTS.databaseMode,
    example: "server",
    description: "container: a PostgreSQL container (dev); server: a role and database on an existing PostgreSQL server; connectionString: use databaseConnectionString.",
    check: oneOf(DB_MODES),
  },
  databaseImage: {
    type: "string",
    default: DEFAULTS.databaseImage,
    example: "postgres:16-alpine",
    description: "databaseMode container: the PostgreSQL image.",
  },
  databaseHostPort: {
    type: "integer",
    default: DEFAULTS.databaseHostPort,
    example: "55432",
    description: "databaseMode container: port published on 127.0.0.1 so Pulumi can reach the database (client rotation).",
    check: portProblem,
  },
  databaseHost: {
    type: "string",
    example: "pg.example.com",
    description: "databaseMode server: PostgreSQL host name, as both Pulumi and the Identity Service container reach it.",
  },
  databasePort: {
    type: "integer",
    default: DEFAULTS.databasePort,
    example: "5432",
    description: "databaseMode server: PostgreSQL port.",
    check: portProblem,
  },
  databaseAdminUsername: {
    type: "string",
    example: "pulumi_admin",
    description: "databaseMode server: a role that can create roles and databases (CREATEROLE and CREATEDB; it need not be a superuser).",
  },
  databaseAdminPassword: {
    type: "string",
    secret: true,
    example: "<admin password>",
    description: "databaseMode server: that role's password.",
  },
  databaseSslMode: {
    // Not prefer: it falls back to plain text (an attacker on the path can force that), and Pulumi's
    // PostgreSQL provider accepts it only since lib/pq 1.12 (lib/connectionString POSTGRESQL_PROVIDER_SSL_MODES).
    type: "string",
    default: DEFAULTS.databaseSslMode,
    example: "verify-full",
    description:
      "databaseMode server: libpq sslmode for Pulumi's PostgreSQL provider and the matching Npgsql SSL Mode for the Identity Service. Default require: always encrypted, certificate not checked (verify-full checks it); disable only for a server without TLS.",
    check: oneOf([...POSTGRESQL_PROVIDER_SSL_MODES]),
  },
  databaseRetainOnDelete: {
    type: "boolean",
    default: DEFAULTS.databaseRetainOnDelete,
    example: "false",
    description:
      "databaseMode server/container: `pulumi destroy` (or a change that would replace them) keeps the Identity Service database and its role (server) or its data volume (container), with the snapshots in it, and says how to remove them; false deletes them with the stack.",
  },
  databaseTakeBack: {
    type: "boolean",
    default: DEFAULTS.databaseTakeBack,
    example: "true",
    description:
      "databaseMode server/container: when the stack creates its database and finds one an earlier `pulumi destroy` kept under the same names, take it back (with its clients, keys and snapshots, under this stack's password) instead of stopping. Only read then; set it when an `up` says so.",
  },
  databaseName: {
    type: "string",
    default: DEFAULTS.databaseName,
    example: "identity_service",
    description: "databaseMode container/server: the Identity Service database.",
    check: (v: string) => (SQL_IDENTIFIER_PATTERN.test(v) ? undefined : "must be a lower-case SQL identifier (letters, digits, _)"),
  },
  databaseUsername: {
    type: "string",
    default: DEFAULTS.databaseUsername,
    example: "identity_service",
    description: "databaseMode container/server: the Identity Service's login role (owns the database).",
    check: (v: string) => (SQL_IDENTIFIER_PATTERN.test(v) ? undefined : "must be a lower-case SQL identifier (letters, digits, _)"),
  },
  databaseProvider: {
    type: "string",
    default: DEFAULTS.databaseProvider,
    example: "MsSqlServer",
    description: "databaseMode connectionString: Postgres or MsSqlServer (the Identity Service's DbProvider).",
    check: oneOf(["Postgres", "MsSqlServer"]),
  },
  databaseConnectionString: {
    type: "string",
    secret: true,
    example: "Host=pg;Port=5432;Database=identity;Username=is;Password=...",
    description: "databaseMode connectionString: ADO.NET connection string (Npgsql or SqlClient syntax).",
  },
} satisfies Record<string, ConfigKeySpec>;
