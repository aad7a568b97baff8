import { Client } from "pg";
import { randomBytes } from "node:crypto";
import {
  formatConnectionString,
  npgsqlConnectionString,
  parseConnectionString,
  parseNpgsqlConnectionString,
  parseSqlClientConnectionString,
  pgClientConfig,
  POSTGRESQL_PROVIDER_ALL_SSL_MODES_SINCE,
  POSTGRESQL_PROVIDER_SSL_MODES,
  postgresDatabaseIdentity,
  quoteValue,
  sqlClientConnectionString,
  sslModeSettings,
} from "../lib/connectionString";
import { adminUrl, createTestDatabase, query, TestDatabase } from "./support/pg";

/** Values that break naive `key=value;` concatenation, each for its own reason. */
const HOSTILE: Record<string, string> = {
  semicolon: "pa;ss",
  "single quote": "it's",
  "double quote": 'say "hi"',
  equals: "a=b==c",
  "both quote kinds": `a"b'c""d''`,
  "leading and trailing spaces": "  padded  ",
  "starts with a quote": "'quoted",
  "only a semicolon": ";",
  "key-like text": "x;Host=evil;Password=y",
  unicode: "pässwörd-密码-🔑",
  "tab and newline": "a\tb\nc",
  empty: "",
};

describe("quoteValue (ADO.NET DbConnectionStringBuilder rules)", () => {
  test.each([
    ["plain", "abc123", "abc123"],
    ["semicolon", "a;b", '"a;b"'],
    ["equals", "a=b", '"a=b"'],
    ["single quote", "a'b", `"a'b"`],
    ["double quote", 'a"b', `'a"b'`],
    ["both quote kinds", `a"b'c`, `"a""b'c"`],
    ["leading space", " a", '" a"'],
    ["trailing space", "a ", '"a "'],
    ["inner space", "a b", '"a b"'],
    ["unicode letters", "pässwörd", "pässwörd"],
    ["empty", "", ""],
  ])("%s", (_what, value, expected) => {
    expect(quoteValue(value)).toBe(expected);
  });

  test("a '=' in a key is doubled and undefined or empty values are left out", () => {
    expect(
      formatConnectionString([
        ["a=b", "c"],
        ["Skip", undefined],
        ["Empty", ""],
        ["Port", 5432],
        ["Flag", true],
      ]),
    ).toBe("a==b=c;Port=5432;Flag=true");
    expect(parseConnectionString("a==b=c").get("a=b")).toBe("c");
  });
});

describe("npgsqlConnectionString", () => {
  test("known answer", () => {
    expect(npgsqlConnectionString({ host: "db", port: 5432, database: "identity_service", username: "svc", password: 'p;w"' })).toBe(
      `Host=db;Port=5432;Database=identity_service;Username=svc;Password='p;w"'`,
    );
  });

  test.each(Object.entries(HOSTILE))("round trip with a hostile password, username and database: %s", (_what, hostile) => {
    const parts = { host: "db.local", port: 6543, database: `db${hostile}`, username: `user${hostile}`, password: hostile };
    const text = npgsqlConnectionString(parts);
    expect(parseNpgsqlConnectionString(text)).toEqual(parts);
    // Nothing the value holds can add or replace a key.
    expect([...parseConnectionString(text).keys()]).toEqual(hostile === "" ? ["host", "port", "database", "username"] : ["host", "port", "database", "username", "password"]);
  });

  test("SSL settings round trip and reach node-postgres", () => {
    const text = npgsqlConnectionString({ host: "h", port: 5432, database: "d", username: "u", password: "p", sslMode: "Require", trustServerCertificate: true });
    expect(text).toBe("Host=h;Port=5432;Database=d;Username=u;Password=p;SSL Mode=Require;Trust Server Certificate=true");
    expect(parseNpgsqlConnectionString(text)).toMatchObject({ sslMode: "Require", trustServerCertificate: true });
    expect(pgClientConfig(text).ssl).toEqual({ rejectUnauthorized: false });
    expect(pgClientConfig(text.replace("Require", "VerifyFull")).ssl).toEqual({ rejectUnauthorized: true });
    expect(pgClientConfig("Host=h;Database=d;Username=u;SSL Mode=Prefer").ssl).toBeUndefined();
  });

  test("Npgsql synonyms and case-insensitive keys", () => {
    expect(parseNpgsqlConnectionString("SERVER=h;DB=d;User ID=u;PWD=p;SslMode=Disable")).toEqual({
      host: "h",
      port: 5432,
      database: "d",
      username: "u",
      password: "p",
      sslMode: "Disable",
    });
    expect(parseNpgsqlConnectionString("server = h ; database = d ; user name = u ; psw = p").username).toBe("u");
    expect(parseNpgsqlConnectionString("Host=h;Database=d;UID=u;Password=p").username).toBe("u");
  });

  test("missing keys and a bad port are named", () => {
    expect(() => parseNpgsqlConnectionString("Database=d;Username=u")).toThrow("no Host");
    expect(() => parseNpgsqlConnectionString("Host=h;Username=u")).toThrow("no Database");
    expect(() => parseNpgsqlConnectionString("Host=h;Database=d")).toThrow("no Username");
    expect(() => parseNpgsqlConnectionString("Host=h;Port=99999;Database=d;Username=u")).toThrow("invalid Port");
  });
});

describe("sqlClientConnectionString", () => {
  test("known answer", () => {
    expect(sqlClientConnectionString({ server: "sql", port: 1433, database: "identity", userId: "sa", password: `a"b'c`, encrypt: true, trustServerCertificate: false })).toBe(
      `Server=sql,1433;Database=identity;User Id=sa;Password="a""b'c";Encrypt=true;TrustServerCertificate=false`,
    );
  });

  test.each(Object.entries(HOSTILE))("round trip with a hostile password, user and database: %s", (_what, hostile) => {
    const parts = { server: "sql.local", port: 1444, database: `db${hostile}`, userId: `user${hostile}`, password: hostile, encrypt: true, trustServerCertificate: true };
    expect(parseSqlClientConnectionString(sqlClientConnectionString(parts))).toEqual(parts);
  });

  test("SqlClient synonyms: Data Source, Initial Catalog, User ID, tcp: prefix, default port", () => {
    expect(parseSqlClientConnectionString("Data Source=tcp:sql,1444;Initial Catalog=cat;User ID=u;Pwd=p;Trust Server Certificate=yes")).toEqual({
      server: "sql",
      port: 1444,
      database: "cat",
      userId: "u",
      password: "p",
      encrypt: undefined,
      trustServerCertificate: true,
    });
    expect(parseSqlClientConnectionString("Address=sql;Database=d;UID=u")).toMatchObject({ server: "sql", port: 1433, userId: "u", password: "" });
  });

  test("missing keys and a bad port are named", () => {
    expect(() => parseSqlClientConnectionString("Database=d")).toThrow("no Server");
    expect(() => parseSqlClientConnectionString("Server=s")).toThrow("no Database");
    expect(() => parseSqlClientConnectionString("Server=s,notaport;Database=d")).toThrow("invalid Server");
    expect(() => parseSqlClientConnectionString("Server=s,0;Database=d")).toThrow("invalid Server");
  });
});

describe("parseConnectionString", () => {
  test("ADO.NET parsing details: last key wins, whitespace, quoted values with doubled quotes", () => {
    const m = parseConnectionString(`  Password = first ; password="x;""y" ; Name='it''s' ;; Empty=; Spaced Key  =  v w  `);
    expect(m.get("password")).toBe('x;"y');
    expect(m.get("name")).toBe("it's");
    expect(m.get("empty")).toBe("");
    expect(m.get("spaced key")).toBe("v w");
  });

  test.each([
    ["an unterminated quote", 'Host=h;Password="s3cr3t-tail'],
    ["text after a quoted value", "Host=h;Password='s3cr3t'-tail"],
    ["a key without '='", "Host=h;s3cr3t-tail"],
    ["an empty key", "Host=h;=s3cr3t-tail"],
  ])("errors name the problem, never the text: %s", (what, text) => {
    let message = "";
    try {
      parseConnectionString(text);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain(what);
    expect(message).not.toMatch(/s3cr3t|tail/);
  });
});

describe("sslModeSettings", () => {
  test.each([
    ["disable", "disable", { sslMode: "Disable" }],
    ["Prefer", "prefer", { sslMode: "Prefer" }],
    ["require", "require", { sslMode: "Require", trustServerCertificate: true }],
    ["verify-ca", "verify-ca", { sslMode: "VerifyCA" }],
    ["VerifyFull", "verify-full", { sslMode: "VerifyFull" }],
  ])("%s", (input, libpq, npgsql) => {
    expect(sslModeSettings(input)).toEqual({ libpq, npgsql });
  });

  test("unknown modes are refused", () => {
    expect(sslModeSettings("on")).toBeUndefined();
    expect(sslModeSettings("")).toBeUndefined();
  });

  test("hands the PostgreSQL provider only modes the pinned @pulumi/postgresql accepts", () => {
    for (const mode of ["disable", "allow", "prefer", "require", "verify-ca", "verify-full", "VerifyFull", "Prefer"]) {
      expect(POSTGRESQL_PROVIDER_SSL_MODES).toContain(sslModeSettings(mode)!.libpq);
    }
    // prefer and allow are accepted from the release whose provider ships lib/pq 1.12 on; an older
    // pin would turn them into "pq: unsupported sslmode" at `pulumi up`.
    const pinned: string = require("@pulumi/postgresql/package.json").version;
    const [major, minor] = pinned.split(".").map(Number);
    const [sinceMajor, sinceMinor] = POSTGRESQL_PROVIDER_ALL_SSL_MODES_SINCE.split(".").map(Number);
    expect(major > sinceMajor || (major === sinceMajor && minor >= sinceMinor)).toBe(true);
    expect(require("../package.json").dependencies["@pulumi/postgresql"]).toBe(pinned);
  });
});

describe("postgresDatabaseIdentity", () => {
  test("names host:port/database, without the credentials, whatever the spelling", () => {
    const base = npgsqlConnectionString({ host: "db.example.com", port: 5432, database: "identity", username: "is", password: "s3cret;=x" });
    expect(postgresDatabaseIdentity(base)).toBe("db.example.com:5432/identity");
    expect(postgresDatabaseIdentity(`Server=DB.Example.com;Database=identity;User ID=other;Pwd='x';Timeout=30;Pooling=false`)).toBe("db.example.com:5432/identity");
    expect(postgresDatabaseIdentity(base)).not.toContain("s3cret");
    // The database name is case-sensitive in PostgreSQL; the port counts.
    expect(postgresDatabaseIdentity("Host=db;Port=5433;Database=Identity;Username=u")).toBe("db:5433/Identity");
  });
});

describe("an Npgsql string with hostile values logs in to a real PostgreSQL", () => {
  let db: TestDatabase;
  const roles: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase("connstr");
  });

  afterAll(async () => {
    await db?.drop();
    for (const role of roles) {
      const [{ sql }] = await query<{ sql: string }>(adminUrl(), "SELECT format('DROP ROLE IF EXISTS %I', $1::text) AS sql", [role]);
      await query(adminUrl(), sql);
    }
  });

  /** Creates a login role; the server does the SQL quoting (format %I/%L), so the test cannot share a quoting bug with the code. */
  async function createRole(name: string, password: string): Promise<void> {
    const [{ sql }] = await query<{ sql: string }>(adminUrl(), "SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', $1::text, $2::text) AS sql", [name, password]);
    await query(adminUrl(), sql);
    roles.push(name);
  }

  async function whoAmI(connectionString: string): Promise<{ user: string; database: string }> {
    const client = new Client(pgClientConfig(connectionString));
    await client.connect();
    try {
      const { rows } = await client.query("SELECT current_user AS user, current_database() AS database");
      return rows[0];
    } finally {
      await client.end();
    }
  }

  const cases = Object.entries(HOSTILE).filter(([what]) => what !== "empty");
  test.each(cases)("%s", async (_what, hostile) => {
    const suffix = randomBytes(3).toString("hex");
    const username = `is ${suffix};"'=`;
    const password = `${hostile}$$-${suffix}`;
    await createRole(username, password);
    const text = npgsqlConnectionString({ host: db.host, port: db.port, database: db.name, username, password });
    expect(await whoAmI(text)).toEqual({ user: username, database: db.name });
    // The server really checks passwords (so the login above proves the password arrived intact).
    await expect(whoAmI(npgsqlConnectionString({ host: db.host, port: db.port, database: db.name, username, password: `${password}x` }))).rejects.toThrow(
      /password authentication failed/,
    );
  });
});
