/**
 * The policy pack. Three layers:
 *  - each rule of policy/rules/ fed fabricated resources: one that passes, one that violates (with
 *    the message it prints, and no secret in it);
 *  - the rules run over the resources the real stack program registers (under mocks), so they match
 *    what the components actually build;
 *  - the pack itself (policy/index.ts) started the way the Pulumi CLI starts it, and driven over
 *    gRPC as the engine drives it: it registers every rule, reports violations, reports values not
 *    known yet as advisories, and its remediation makes plain sensitive values secret.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn, ChildProcess } from "node:child_process";
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import { UNKNOWN_VALUE } from "../lib/unknownValues";
import { Secret } from "@pulumi/policy";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import {
  certificateDaysLeftViolations,
  creatioKey,
  databaseTlsViolations,
  creatioApiTlsViolations,
  ENV,
  httpsPortsOf,
  identityServiceHttpsViolations,
  isPfxBundle,
  oneIdentityServicePerCreatioViolations,
  PlainResource,
  plainSensitiveValues,
  RESOURCE_TYPES,
  secretSensitiveValues,
  selfSignedCertificateViolations,
  UnknownValue,
  Violation,
} from "../policy/rules";
import { policies, POLICY_PACK_NAME } from "../policy/policies";
import { identityServiceEnvironment, KESTREL_CERTIFICATE_PATH } from "../lib/identityServiceEnv";
import { buildClientsJson } from "../lib/clientsJson";
import { npgsqlConnectionString, sqlClientConnectionString } from "../lib/connectionString";
import { PFX_BUNDLE_TYPE } from "../components/pfxBundle";
import { installMocks, settle, OutputFaker, RecordedResource } from "./support/mocks";
import { testCertificate } from "./support/pfxFixtures";
import { parseStackConfig, PROJECT } from "../config";
import { createIdentityStack } from "../stack";

// Inputs and policies only: the providers' serialization is tested elsewhere (see the stub).
jest.mock("@pulumi/pulumi/runtime/closure/serializeClosure", () => require("./support/unserializedProviders"));

const root = path.resolve(__dirname, "..");
const UNKNOWN_STRING = UNKNOWN_VALUE;
const DB_PASSWORD = "db-Pa55word;with=specials";
const CLIENT_SECRET = "S".repeat(32);
const KESTREL_PASSWORD = "kestrel-pfx-password";
const NOW = new Date("2026-11-23T12:00:00Z");
const days = (n: number) => new Date(NOW.getTime() + n * 24 * 3600 * 1000).toISOString();

const urn = (chain: string, name: string, stack = "prod") => `urn:pulumi:${stack}::creatio-identity::${chain}::${name}`;

/** The Identity Service container as the IdentityService component builds it. */
function identityContainer(
  opts: { name?: string; creatioUrl?: string; connectionString?: string; dbProvider?: "Postgres" | "MsSqlServer"; envs?: unknown; ports?: unknown } = {},
): PlainResource {
  const name = opts.name ?? "creatio-identity-service-container";
  const envs =
    opts.envs ??
    identityServiceEnvironment({
      dbProvider: opts.dbProvider ?? "Postgres",
      connectionString:
        opts.connectionString ?? npgsqlConnectionString({ host: "db", port: 5432, database: "identity_service", username: "identity_service", password: DB_PASSWORD }),
      clientsJson: buildClientsJson([
        { clientId: "C".repeat(16), clientName: "Creatio", clientSecret: CLIENT_SECRET, creatioUrl: opts.creatioUrl ?? "https://creatio.example.com" },
      ]),
      certificatePassword: KESTREL_PASSWORD,
      logLevel: "Information",
    });
  return {
    type: RESOURCE_TYPES.container,
    urn: urn(`${RESOURCE_TYPES.identityService}$${RESOURCE_TYPES.container}`, name),
    name,
    props: {
      name: "creatio-identity-service",
      envs,
      ports: opts.ports ?? [
        { internal: 443, external: 8443, ip: "0.0.0.0", protocol: "tcp" },
        { internal: 80, external: 8090, ip: "0.0.0.0", protocol: "tcp" },
      ],
      uploads: [{ file: KESTREL_CERTIFICATE_PATH, contentBase64: "UEZY" }],
    },
  };
}

function withEnv(r: PlainResource, key: string, value: string | undefined): PlainResource {
  const envs = (r.props.envs as string[]).filter((e) => !e.startsWith(`${key}=`));
  return { ...r, props: { ...r.props, envs: value === undefined ? envs : [...envs, `${key}=${value}`] } };
}

const messages = (vs: Violation[]) => vs.map((v) => v.message);
const noSecretIn = (vs: Violation[]) => {
  for (const m of messages(vs)) for (const s of [DB_PASSWORD, CLIENT_SECRET, KESTREL_PASSWORD, "dbpw", "creatio-pw"]) expect(m).not.toContain(s);
};

// The policy pack takes seconds to start (the CLI's runner type-checks it with ts-node first), so it
// starts before the first test and gets ready while the others run; its own tests, last in this
// file, wait for it.
let packStarting: Promise<PolicyPackProcess> | undefined;
beforeAll(() => {
  packStarting = PolicyPackProcess.start("prod");
  // Awaited, and so reported, by the pack's describe below.
  packStarting.catch(() => undefined);
});
afterAll(async () => {
  await (await packStarting?.catch(() => undefined))?.stop();
});

describe("identity-service-https", () => {
  it("passes the container the IdentityService component builds", () => {
    expect(identityServiceHttpsViolations(identityContainer())).toEqual([]);
  });

  it("reports a container that serves HTTP only", () => {
    const vs = identityServiceHttpsViolations(withEnv(identityContainer(), ENV.urls, "http://+:80"));
    expect(messages(vs)).toEqual([expect.stringContaining('does not serve HTTPS: ASPNETCORE_URLS is "http://+:80", with no https:// address')]);
    expect(vs[0].message).toContain("Set ASPNETCORE_URLS=https://+;http://+");
    expect(identityServiceHttpsViolations(withEnv(identityContainer(), ENV.urls, undefined))[0].message).toContain("ASPNETCORE_URLS is not set");
    noSecretIn(vs);
  });

  it("reports an HTTPS port that is not published, and follows a custom HTTPS port", () => {
    const httpOnlyPorts = identityContainer({ ports: [{ internal: 80, external: 8090 }] });
    expect(messages(identityServiceHttpsViolations(httpOnlyPorts))).toEqual([expect.stringContaining("serves HTTPS on container port 443, but that port is not published")]);
    const custom = withEnv(identityContainer({ ports: [{ internal: 8443, external: 443 }] }), ENV.urls, "https://+:8443;http://+:8080");
    expect(identityServiceHttpsViolations(custom)).toEqual([]);
    expect(httpsPortsOf("https://+;http://+")).toEqual([443]);
    expect(httpsPortsOf("http://*:80;https://[::]:5001;https://0.0.0.0:5002/")).toEqual([5001, 5002]);
  });

  it("reports HTTPS without a Kestrel certificate", () => {
    const vs = identityServiceHttpsViolations(withEnv(identityContainer(), ENV.kestrelCertificatePath, undefined));
    expect(messages(vs)).toEqual([expect.stringContaining("ASPNETCORE_Kestrel__Certificates__Default__Path is not set")]);
  });

  it("leaves other containers alone and cannot judge an environment not known yet", () => {
    const db: PlainResource = {
      type: RESOURCE_TYPES.container,
      urn: urn(`creatio:identity:IdentityDatabase$${RESOURCE_TYPES.container}`, "creatio-identity-db-postgres"),
      name: "creatio-identity-db-postgres",
      props: { envs: ["POSTGRES_PASSWORD=x"], ports: [{ internal: 5432, external: 55432 }] },
    };
    expect(identityServiceHttpsViolations(db)).toEqual([]);
    // A hand-built Identity Service container (no component) is recognised by its environment.
    const handBuilt = { ...withEnv(identityContainer(), ENV.urls, "http://+:80"), urn: urn(RESOURCE_TYPES.container, "is") };
    expect(identityServiceHttpsViolations(handBuilt)).toHaveLength(1);
    expect(() => identityServiceHttpsViolations(identityContainer({ envs: UNKNOWN_STRING }))).toThrow(UnknownValue);
  });
});

/** A certificate (PEM): self-signed, or issued by a throwaway CA (on another key). */
function certificatePem(selfSigned: boolean): string {
  const day = 24 * 3600 * 1000;
  const issuer = selfSigned ? undefined : { commonName: "Example CA", key: 1 as const };
  return testCertificate("identity.example.com", new Date(NOW.getTime() - day), new Date(NOW.getTime() + 365 * day), { issuer }).certPem;
}

describe("no-self-signed-certificate-in-production", () => {
  const component = (props: Record<string, unknown>): PlainResource => ({
    type: RESOURCE_TYPES.certificate,
    urn: urn(RESOURCE_TYPES.certificate, "creatio-identity-certificate"),
    name: "creatio-identity-certificate",
    props,
  });
  const generated = [
    component({ selfSigned: true, expiresAt: days(365) }),
    {
      type: RESOURCE_TYPES.selfSignedCert,
      urn: urn(`${RESOURCE_TYPES.certificate}$${RESOURCE_TYPES.selfSignedCert}`, "creatio-identity-certificate-cert"),
      name: "creatio-identity-certificate-cert",
      props: { validityPeriodHours: 8760 },
    },
  ];

  it("passes any certificate on a stack that is not production", () => {
    expect(selfSignedCertificateViolations(generated, { stack: "dev" })).toEqual([]);
  });

  it("reports a generated self-signed certificate on a production stack, once", () => {
    const vs = selfSignedCertificateViolations(generated, { stack: "prod" });
    expect(vs).toEqual([
      {
        urn: generated[0].urn,
        message: expect.stringMatching(
          /^Stack "prod" is a production stack \(policy config productionStacks\), but the certificate "creatio-identity-certificate" is a generated self-signed one/,
        ),
      },
    ]);
    expect(vs[0].message).toContain("pulumi config set certificatePfxFile <path>");
    // A self-signed certificate outside the component is reported itself.
    const bare = { ...generated[1], urn: urn(RESOURCE_TYPES.selfSignedCert, "my-cert") };
    expect(selfSignedCertificateViolations([bare], { stack: "prod" })).toEqual([
      { urn: bare.urn, message: expect.stringContaining('"creatio-identity-certificate-cert" is a self-signed certificate') },
    ]);
  });

  it("tells a supplied self-signed PFX from a CA-issued one", () => {
    expect(selfSignedCertificateViolations([component({ selfSigned: false, certificatePem: certificatePem(false) })], { stack: "prod" })).toEqual([]);
    const vs = selfSignedCertificateViolations([component({ selfSigned: false, certificatePem: certificatePem(true) })], { stack: "prod" });
    expect(messages(vs)).toEqual([expect.stringContaining('the supplied certificate of "creatio-identity-certificate" is self-signed (its issuer is its subject)')]);
  });

  it("takes the production stacks from the policy config, case-insensitively", () => {
    expect(selfSignedCertificateViolations(generated, { stack: "prod", productionStacks: ["live"] })).toEqual([]);
    expect(selfSignedCertificateViolations(generated, { stack: "Live", productionStacks: ["live"] })).toHaveLength(1);
    expect(selfSignedCertificateViolations(generated, { stack: "PRODUCTION" })).toHaveLength(1);
  });
});

describe("certificate-days-left", () => {
  const check = (resources: PlainResource[], minDaysLeft = 30) => certificateDaysLeftViolations(resources, { minDaysLeft, now: NOW });
  const component = (expiresAt: unknown): PlainResource => ({
    type: RESOURCE_TYPES.certificate,
    urn: urn(RESOURCE_TYPES.certificate, "creatio-identity-certificate"),
    name: "creatio-identity-certificate",
    props: { expiresAt },
  });

  it("passes a certificate with enough days left", () => {
    expect(check([component(days(31))])).toEqual([]);
    expect(check([component(days(31))], 31)).toEqual([]);
  });

  it("reports one that expires too soon or has expired, with the date and the days left", () => {
    expect(check([component(days(10))])).toEqual([
      {
        urn: component("").urn,
        message: expect.stringMatching(
          /^The certificate "creatio-identity-certificate" expires on 2026-12-03T12:00:00.000Z, in 10 day\(s\); at least 30 days must be left \(policy config minCertificateDaysLeft\)/,
        ),
      },
    ]);
    expect(messages(check([component(days(-2))]))).toEqual([expect.stringContaining("expired on 2026-11-21T12:00:00.000Z")]);
    expect(check([component(days(40))], 45)).toHaveLength(1);
  });

  it("reads a PfxBundle's notAfter unless its Certificate component already reports the certificate", () => {
    const pfx = (chain: string): PlainResource => ({ type: RESOURCE_TYPES.pfxBundle, urn: urn(chain, "c-pfx"), name: "c-pfx", props: { pfxBase64: "UEZY", notAfter: days(5) } });
    expect(check([pfx(RESOURCE_TYPES.pfxBundle)])).toHaveLength(1);
    expect(check([pfx(`${RESOURCE_TYPES.certificate}$${RESOURCE_TYPES.pfxBundle}`)])).toEqual([]);
  });

  it("reports a generated certificate whose validity or renewal window is below the minimum", () => {
    const cert = (validityDays: number, earlyRenewalDays: number): PlainResource => ({
      type: RESOURCE_TYPES.selfSignedCert,
      urn: urn(`${RESOURCE_TYPES.certificate}$${RESOURCE_TYPES.selfSignedCert}`, "c-cert"),
      name: "c-cert",
      props: { validityPeriodHours: validityDays * 24, earlyRenewalHours: earlyRenewalDays * 24, validityEndTime: days(300) },
    });
    expect(check([cert(365, 30)])).toEqual([]);
    expect(messages(check([cert(20, 10)]))).toEqual([
      expect.stringContaining("is valid for 20 day(s), fewer than the 30 days that must be left"),
      expect.stringContaining("is renewed only 10 day(s) before it expires"),
    ]);
  });

  it("skips certificates whose expiry is not known yet (about to be created or renewed)", () => {
    expect(check([component(UNKNOWN_STRING)])).toEqual([]);
    expect(check([component(new Secret(UNKNOWN_STRING))])).toEqual([]);
  });
});

describe("database-tls-in-production", () => {
  const pg = (sslMode?: string, password = DB_PASSWORD) =>
    npgsqlConnectionString({ host: "db.example.com", port: 5432, database: "identity_service", username: "identity_service", password, sslMode });

  it("passes TLS connections on production and anything elsewhere", () => {
    expect(databaseTlsViolations(identityContainer({ connectionString: pg("Require") }), { stack: "prod" })).toEqual([]);
    expect(databaseTlsViolations(identityContainer({ connectionString: pg() }), { stack: "prod" })).toEqual([]);
    expect(databaseTlsViolations(identityContainer({ connectionString: pg("Disable") }), { stack: "dev" })).toEqual([]);
  });

  it("reports SSL Mode=Disable or Allow in the Identity Service's PostgresConnection, without the password", () => {
    const vs = databaseTlsViolations(identityContainer({ connectionString: pg("Disable") }), { stack: "prod" });
    expect(messages(vs)).toEqual([
      expect.stringMatching(
        /^Stack "prod" is a production stack .*, but PostgresConnection of the Identity Service container "creatio-identity-service-container" sets SSL Mode=Disable: /,
      ),
    ]);
    expect(vs[0].message).toContain("pulumi config set databaseSslMode verify-full");
    noSecretIn(vs);
    expect(messages(databaseTlsViolations(identityContainer({ connectionString: pg("Allow") }), { stack: "production" }))).toEqual([
      expect.stringContaining("sets SSL Mode=Allow"),
    ]);
  });

  it("parses the connection string: a password that merely contains the words is no violation", () => {
    expect(databaseTlsViolations(identityContainer({ connectionString: pg("Require", "x;SSL Mode=Disable") }), { stack: "prod" })).toEqual([]);
  });

  it("reports Encrypt=false in an MS SQL connection string", () => {
    const ms = (encrypt: boolean) => sqlClientConnectionString({ server: "sql", port: 1433, database: "is", userId: "u", password: DB_PASSWORD, encrypt });
    expect(databaseTlsViolations(identityContainer({ dbProvider: "MsSqlServer", connectionString: ms(true) }), { stack: "prod" })).toEqual([]);
    const vs = databaseTlsViolations(identityContainer({ dbProvider: "MsSqlServer", connectionString: ms(false) }), { stack: "prod" });
    expect(messages(vs)).toEqual([expect.stringContaining('MsSqlConnection of the Identity Service container "creatio-identity-service-container" sets Encrypt=false')]);
    noSecretIn(vs);
  });

  it("reports the client sync's connection string", () => {
    const sync: PlainResource = {
      type: RESOURCE_TYPES.identityClientSync,
      urn: urn(RESOURCE_TYPES.identityClientSync, "s"),
      name: "s",
      props: { dbProvider: "Postgres", connectionString: pg("Disable") },
    };
    expect(messages(databaseTlsViolations(sync, { stack: "prod" }))).toEqual([
      expect.stringContaining('the connection string of "s" (the Identity Service database) sets SSL Mode=Disable'),
    ]);
  });

  it("reports a Creatio integration that reaches Creatio's API over http:// on production only", () => {
    const integration = (url: string): PlainResource => ({
      type: RESOURCE_TYPES.creatioIntegration,
      urn: urn(RESOURCE_TYPES.creatioIntegration, "i"),
      name: "i",
      props: { creatio: { url, username: "Supervisor", password: "creatio-pw" } },
    });
    const vs = creatioApiTlsViolations(integration("http://creatio.example.com/"), { stack: "prod" });
    expect(messages(vs)).toEqual([expect.stringContaining('"i" reaches Creatio\'s API at http://creatio.example.com over http://')]);
    noSecretIn(vs);
    expect(creatioApiTlsViolations(integration("https://creatio.example.com"), { stack: "prod" })).toEqual([]);
    expect(creatioApiTlsViolations(integration("http://creatio.example.com"), { stack: "dev" })).toEqual([]);
    expect(() => creatioApiTlsViolations({ ...integration("x"), props: { creatio: UNKNOWN_STRING } }, { stack: "prod" })).toThrow(UnknownValue);
  });

  it("cannot judge a connection string not known yet", () => {
    const sync: PlainResource = {
      type: RESOURCE_TYPES.identityClientSync,
      urn: urn(RESOURCE_TYPES.identityClientSync, "s"),
      name: "s",
      props: { dbProvider: "Postgres", connectionString: UNKNOWN_STRING },
    };
    expect(() => databaseTlsViolations(sync, { stack: "prod" })).toThrow(UnknownValue);
  });
});

describe("sensitive-values-are-secrets", () => {
  it("passes the container when its environment and upload are secrets", () => {
    const c = identityContainer();
    const secret = { ...c, props: { ...c.props, envs: new Secret(c.props.envs), uploads: [{ file: KESTREL_CERTIFICATE_PATH, contentBase64: new Secret("UEZY") }] } };
    expect(plainSensitiveValues(secret)).toEqual([]);
    expect(secretSensitiveValues(secret)).toBeUndefined();
    // Secret entries one by one do as well.
    const perEntry = {
      ...secret,
      props: {
        ...secret.props,
        envs: (c.props.envs as string[]).map((e) => (/^(ASPNETCORE_Kestrel__Certificates__Default__Password|Clients|PostgresConnection)=/.test(e) ? new Secret(e) : e)),
      },
    };
    expect(plainSensitiveValues(perEntry)).toEqual([]);
  });

  it("reports the Kestrel password, the Clients JSON, the connection string and the PFX in plain text, and makes them secret", () => {
    const c = identityContainer();
    expect(plainSensitiveValues(c)).toEqual([
      { property: "envs", what: "the PostgresConnection environment variable" },
      { property: "envs", what: "the Clients environment variable" },
      { property: "envs", what: "the ASPNETCORE_Kestrel__Certificates__Default__Password environment variable" },
      { property: "uploads", what: "the uploaded PFX (uploads[].contentBase64)" },
    ]);
    const fixed = secretSensitiveValues(c)!;
    expect(fixed.envs).toBeInstanceOf(Secret);
    expect((fixed.envs as Secret).value).toBe(c.props.envs);
    expect(fixed.uploads).toBeInstanceOf(Secret);
    expect(fixed.ports).toBe(c.props.ports);
    expect(plainSensitiveValues({ ...c, props: fixed })).toEqual([]);
  });

  it("reports the client secret and the password of the dynamic resources", () => {
    const integration: PlainResource = {
      type: RESOURCE_TYPES.creatioIntegration,
      urn: urn(RESOURCE_TYPES.creatioIntegration, "i"),
      name: "i",
      props: {
        clientId: "C".repeat(16),
        clientSecret: CLIENT_SECRET,
        identityServerUrl: "https://is",
        creatio: { url: "https://c", password: new Secret("creatio-pw"), databaseConnectionString: "postgres://c:dbpw@db/creatio" },
      },
    };
    expect(plainSensitiveValues(integration)).toEqual([
      { property: "clientSecret", what: "clientSecret" },
      { property: "creatio", what: "creatio.databaseConnectionString" },
    ]);
    expect(
      plainSensitiveValues({ ...integration, props: { ...integration.props, clientSecret: new Secret(CLIENT_SECRET), creatio: new Secret(integration.props.creatio) } }),
    ).toEqual([]);

    const pfx: PlainResource = {
      type: RESOURCE_TYPES.pfxBundle,
      urn: urn(RESOURCE_TYPES.pfxBundle, "p"),
      name: "p",
      props: { privateKeyPem: new Secret("KEY"), certificatePem: "CERT", password: KESTREL_PASSWORD },
    };
    expect(isPfxBundle(pfx)).toBe(true);
    expect(plainSensitiveValues(pfx)).toEqual([{ property: "password", what: "password" }]);
    // Its own type is enough, whatever the properties look like.
    expect(isPfxBundle({ ...pfx, props: {} })).toBe(true);
    // A stack not yet moved off the generic dynamic type: recognized by its properties.
    const legacy: PlainResource = { ...pfx, type: RESOURCE_TYPES.pfxBundleLegacy, urn: urn(RESOURCE_TYPES.pfxBundleLegacy, "p") };
    expect(isPfxBundle(legacy)).toBe(true);
    expect(plainSensitiveValues(legacy)).toEqual([{ property: "password", what: "password" }]);
    // Another dynamic resource of the generic type is not taken for a PfxBundle.
    expect(isPfxBundle({ ...legacy, props: { password: "x" } })).toBe(false);
    expect(plainSensitiveValues({ ...legacy, props: { password: "x" } })).toEqual([]);

    const sync: PlainResource = {
      type: RESOURCE_TYPES.identityClientSync,
      urn: urn(RESOURCE_TYPES.identityClientSync, "s"),
      name: "s",
      props: { dbProvider: "Postgres", connectionString: new Secret("Host=x"), clientsJson: "[]" },
    };
    expect(plainSensitiveValues(sync)).toEqual([{ property: "clientsJson", what: "clientsJson" }]);
  });
});

describe("one-identity-service-per-creatio", () => {
  it("passes one Identity Service per Creatio", () => {
    const a = identityContainer({ name: "a", creatioUrl: "https://creatio-a.example.com" });
    const b = identityContainer({ name: "b", creatioUrl: "https://creatio-b.example.com" });
    expect(oneIdentityServicePerCreatioViolations([a, b])).toEqual([]);
  });

  it("reports a second Identity Service for the same Creatio, however its URL is spelled", () => {
    const a = identityContainer({ name: "a", creatioUrl: "https://creatio.example.com" });
    const b = identityContainer({ name: "b", creatioUrl: "https://CREATIO.example.com/" });
    const vs = oneIdentityServicePerCreatioViolations([a, b]);
    expect(vs).toEqual([
      {
        urn: b.urn,
        message: expect.stringMatching(
          /^The Identity Service containers "a", "b" all serve the Creatio at https:\/\/creatio\.example\.com: one Identity Service serves one Creatio instance/,
        ),
      },
    ]);
    noSecretIn(vs);
  });

  it("reports two Creatio integrations for the same Creatio", () => {
    const integration = (name: string, url: string): PlainResource => ({
      type: RESOURCE_TYPES.creatioIntegration,
      urn: urn(RESOURCE_TYPES.creatioIntegration, name),
      name,
      props: { creatio: new Secret({ url, password: "creatio-pw" }) },
    });
    expect(oneIdentityServicePerCreatioViolations([integration("x", "https://c.example.com"), integration("y", "https://d.example.com")])).toEqual([]);
    const vs = oneIdentityServicePerCreatioViolations([integration("x", "https://c.example.com/0"), integration("y", "https://c.example.com")]);
    expect(messages(vs)).toEqual([expect.stringContaining('The Creatio integrations "x", "y" all switch the Creatio at https://c.example.com')]);
  });

  it("skips Identity Services whose environment is not known yet", () => {
    const a = identityContainer({ name: "a" });
    const b = identityContainer({ name: "b", envs: UNKNOWN_STRING });
    expect(oneIdentityServicePerCreatioViolations([a, b])).toEqual([]);
    expect(creatioKey("https://x.example.com/lib/")).toBe("https://x.example.com");
    expect(creatioKey("https://x.example.com/app/0/")).toBe("https://x.example.com/app");
  });
});

// ---------------------------------------------------------------------------------------------------

/** The wire form of a Pulumi secret (what a provider's secret output looks like to the SDK). */
const secretWire = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });

/**
 * The providers' secret outputs, which the real engine marks secret (additionalSecretOutputs from
 * their schemas) and mocks do not: without this every generated password would look plain.
 */
const secretOutputFakers: Record<string, OutputFaker> = {
  "random:index/randomPassword:RandomPassword": (a) => ({ result: secretWire("p".repeat(a.inputs.length)) }),
  "tls:index/privateKey:PrivateKey": (a) => ({
    privateKeyPem: secretWire(`-----BEGIN PRIVATE KEY-----\nfake-${a.name}\n-----END PRIVATE KEY-----\n`),
    publicKeyPem: "fake-public",
  }),
  [PFX_BUNDLE_TYPE]: (a) => ({ ...a.inputs, pfxBase64: secretWire("UEZY"), notAfter: "2027-11-23T00:00:00.000Z" }),
};

/** The resources the stack program registers, as the rules see them (secret inputs as Secret). */
async function stackResources(stack: string, values: Record<string, string> = {}, secretKeys: string[] = []): Promise<PlainResource[]> {
  const projectDir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-stack-"));
  fs.mkdirSync(path.join(projectDir, "IdentityService"));
  fs.writeFileSync(path.join(projectDir, "IdentityService", "Dockerfile-OAuth"), "FROM scratch\n");
  const recorded = installMocks({ stack, fakers: secretOutputFakers });
  const full = Object.fromEntries(Object.entries(values).map(([k, v]) => [`${PROJECT}:${k}`, v]));
  const outputs = createIdentityStack(parseStackConfig({ values: full, secretKeys: new Set(secretKeys.map((k) => `${PROJECT}:${k}`)), projectDir, env: {} }));
  await new Promise<void>((resolve) => pulumi.all(Object.values(outputs).filter(Boolean)).apply(() => resolve()));
  await settle();
  fs.rmSync(projectDir, { recursive: true, force: true });
  return recorded.map((r: RecordedResource) => ({
    type: r.type,
    name: r.name,
    // Mocks do not report parents; the rules recognise the Identity Service container by its environment.
    urn: urn(r.type, r.name, stack),
    props: Object.fromEntries(Object.entries(r.inputs).map(([k, v]) => [k, r.secretInputs.has(k) ? new Secret(v) : v])),
  }));
}

function allViolations(resources: PlainResource[], stack: string, minDaysLeft = 30): string[] {
  const ctx = { stack };
  return [
    ...resources.flatMap((r) => identityServiceHttpsViolations(r)),
    ...resources.flatMap((r) => databaseTlsViolations(r, ctx)),
    ...resources.flatMap((r) => creatioApiTlsViolations(r, ctx)),
    ...selfSignedCertificateViolations(resources, ctx),
    ...certificateDaysLeftViolations(resources, { minDaysLeft, now: NOW }),
    ...oneIdentityServicePerCreatioViolations(resources),
  ].map((v) => v.message);
}

describe("the rules over what the stack program registers", () => {
  it("pass the dev stack: HTTPS, secrets kept secret, a certificate renewed in time", async () => {
    const resources = await stackResources("dev");
    expect(resources.map((r) => r.name)).toEqual(
      expect.arrayContaining(["creatio-identity-service-container", "creatio-identity-certificate-pfx", "creatio-identity-client-sync"]),
    );
    expect(allViolations(resources, "dev")).toEqual([]);
    expect(resourcesWithPlainSecrets(resources)).toEqual([]);
    // The dev stack renews its certificate 30 days before expiry: a stricter minimum catches that.
    expect(allViolations(resources, "dev", 31)).toEqual([expect.stringContaining("is renewed only 30 day(s) before it expires")]);
  });

  it("stop the same program on a production stack because of its self-signed certificate", async () => {
    const resources = await stackResources("prod");
    expect(allViolations(resources, "prod")).toEqual([expect.stringContaining('"creatio-identity-certificate-cert" is a self-signed certificate')]);
  });

  it("pass the Creatio integration's secrets and find an http:// Creatio on production", async () => {
    const creatio = { creatioIntegration: "true", creatioPassword: "creatio-pw" };
    const ok = await stackResources("prod", { ...creatio, creatioUrl: "https://creatio.example.com" }, ["creatioPassword"]);
    const integration = ok.find((r) => r.type === RESOURCE_TYPES.creatioIntegration);
    expect(integration).toBeDefined();
    expect(resourcesWithPlainSecrets(ok)).toEqual([]);
    expect(allViolations(ok, "prod").filter((m) => !m.includes("self-signed"))).toEqual([]);

    const plain = await stackResources("prod", { ...creatio, creatioUrl: "http://creatio.example.com" }, ["creatioPassword"]);
    const tls = allViolations(plain, "prod").filter((m) => !m.includes("self-signed"));
    expect(tls).toEqual([expect.stringContaining("reaches Creatio's API at http://creatio.example.com over http://")]);
    for (const m of tls) expect(m).not.toContain("creatio-pw");
  });
});

function resourcesWithPlainSecrets(resources: PlainResource[]): string[] {
  return resources.flatMap((r) => plainSensitiveValues(r).map((f) => `${r.name}: ${f.what}`));
}

// ---------------------------------------------------------------------------------------------------

/** The policy pack started as the Pulumi CLI starts it: node runs @pulumi/pulumi's run-policy-pack in policy/. */
class PolicyPackProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly client: AnalyzerClient,
    readonly stderr: () => string,
  ) {}

  static async start(stack: string): Promise<PolicyPackProcess> {
    const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [path.join(root, "policy")] });
    // The CLI passes the engine's address and "." (the pack's folder is the working directory) and the stack in the environment.
    const child = spawn(process.execPath, [runner, "127.0.0.1:0", "."], {
      cwd: path.join(root, "policy"),
      env: { ...process.env, PULUMI_NODEJS_STACK: stack, PULUMI_NODEJS_PROJECT: "creatio-identity", PULUMI_NODEJS_DRY_RUN: "true" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d) => {
        out += d;
        const m = /^(\d+)\s*$/m.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once("exit", (code) => reject(new Error(`the policy pack exited (${code}) before serving: ${stderr}`)));
      // Not a timing assertion: a pack that never serves must not outlive the test run.
      const guard = setTimeout(() => {
        child.kill();
        reject(new Error(`the policy pack did not print its port: ${stderr}`));
      }, 100000);
      child.stdout.once("data", () => clearTimeout(guard));
    });
    const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    return new PolicyPackProcess(child, client, () => stderr);
  }

  call<Req, Res>(method: "getAnalyzerInfo" | "analyze" | "analyzeStack" | "remediate" | "configure", request: Req): Promise<Res> {
    return new Promise((resolve, reject) => {
      (this.client as any)[method](request, (err: Error | null, res: Res) => (err ? reject(err) : resolve(res)));
    });
  }

  stop(): Promise<void> {
    this.client.close();
    if (this.child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once("exit", () => resolve());
      this.child.kill();
    });
  }
}

/** An AnalyzeRequest as the engine sends it: properties with secrets marked. */
function analyzeRequest(r: PlainResource, wireProps: Record<string, unknown>): analyzer.AnalyzeRequest {
  const req = new analyzer.AnalyzeRequest();
  req.setType(r.type);
  req.setUrn(r.urn);
  req.setName(r.name);
  req.setProperties(Struct.fromJavaScript(wireProps as any));
  req.setOptions(new analyzer.AnalyzerResourceOptions());
  return req;
}

function stackResource(r: PlainResource, wireProps: Record<string, unknown>): analyzer.AnalyzerResource {
  const res = new analyzer.AnalyzerResource();
  res.setType(r.type);
  res.setUrn(r.urn);
  res.setName(r.name);
  res.setProperties(Struct.fromJavaScript(wireProps as any));
  res.setOptions(new analyzer.AnalyzerResourceOptions());
  return res;
}

type Diagnostic = { policyname: string; message: string; enforcementlevel: number; urn: string };
const diagnosticsOf = (res: analyzer.AnalyzeResponse): Diagnostic[] => res.toObject().diagnosticsList;
const ENFORCEMENT = analyzer.EnforcementLevel;

describe("the policy pack's project files", () => {
  it("declare a Node.js pack whose dependencies are the root's pinned versions (resolved from the root node_modules)", () => {
    const policyYaml = fs.readFileSync(path.join(root, "policy", "PulumiPolicy.yaml"), "utf8");
    expect(policyYaml).toMatch(/^runtime: nodejs$/m);
    const pack = JSON.parse(fs.readFileSync(path.join(root, "policy", "package.json"), "utf8"));
    const rootPackage = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
    const rootPins = { ...rootPackage.dependencies, ...rootPackage.devDependencies };
    expect(pack.main).toBe("index.ts");
    expect(pack.version).toMatch(/^\d+\.\d+\.\d+$/);
    for (const [name, version] of Object.entries(pack.dependencies)) expect({ name, version }).toEqual({ name, version: rootPins[name] });
    // Node resolves them from policy/ by walking up to the root node_modules.
    for (const name of Object.keys(pack.dependencies)) expect(require.resolve(name, { paths: [path.join(root, "policy")] })).toContain(path.join(root, "node_modules"));
  });
});

describe("the policy pack, run as the Pulumi CLI runs it", () => {
  let pack: PolicyPackProcess;
  beforeAll(async () => {
    pack = await packStarting!;
  }, 120000);

  it("loads policy/index.ts and registers every policy with its enforcement level and config", async () => {
    const info = await pack.call<Empty, analyzer.AnalyzerInfo>("getAnalyzerInfo", new Empty());
    expect(info.getName()).toBe(POLICY_PACK_NAME);
    expect(info.getVersion()).toBe(JSON.parse(fs.readFileSync(path.join(root, "policy", "package.json"), "utf8")).version);
    const registered = info.getPoliciesList().map((p) => ({ name: p.getName(), level: p.getEnforcementlevel(), config: p.getConfigschema()?.getProperties()?.toJavaScript() }));
    expect(registered.map((p) => p.name)).toEqual(policies.map((p) => p.name));
    expect(registered.map((p) => p.name)).toEqual([
      "identity-service-https",
      "no-self-signed-certificate-in-production",
      "certificate-days-left",
      "database-tls-in-production",
      "creatio-api-tls-in-production",
      "sensitive-values-are-secrets",
      "one-identity-service-per-creatio",
      "no-administrator-as-application-user",
      "kubernetes-credentials-from-secrets",
      "kubernetes-availability-outside-dev",
    ]);
    for (const p of policies) expect(p.description.length).toBeGreaterThan(20);
    expect(Object.fromEntries(registered.map((p) => [p.name, p.level]))).toMatchObject({
      "identity-service-https": ENFORCEMENT.MANDATORY,
      "sensitive-values-are-secrets": ENFORCEMENT.REMEDIATE,
    });
    expect(registered.find((p) => p.name === "certificate-days-left")!.config).toMatchObject({ minCertificateDaysLeft: { type: "integer", default: 30 } });
    expect(registered.find((p) => p.name === "database-tls-in-production")!.config).toMatchObject({ productionStacks: { default: ["prod", "production"] } });
    expect(registered.find((p) => p.name === "kubernetes-availability-outside-dev")!.config).toMatchObject({ devStacks: { default: ["dev"] } });
  });

  it("reports violations of a resource, secrets arriving marked as the engine sends them", async () => {
    const c = withEnv(identityContainer({ connectionString: "Host=db;Database=d;Username=u;Password=pw;SSL Mode=Disable" }), ENV.urls, "http://+:80");
    const res = await pack.call<analyzer.AnalyzeRequest, analyzer.AnalyzeResponse>("analyze", analyzeRequest(c, { ...c.props, envs: secretWire(c.props.envs) }));
    const ds = diagnosticsOf(res);
    expect(ds.map((d) => [d.policyname, d.enforcementlevel])).toEqual([
      ["identity-service-https", ENFORCEMENT.MANDATORY],
      ["database-tls-in-production", ENFORCEMENT.MANDATORY],
    ]);
    expect(ds[0].message).toContain('does not serve HTTPS: ASPNETCORE_URLS is "http://+:80"');
    // The stack name comes from the CLI's environment (PULUMI_NODEJS_STACK=prod).
    expect(ds[1].message).toContain('Stack "prod" is a production stack');
    for (const d of ds) expect(d.message).not.toContain(KESTREL_PASSWORD);
  });

  it("turns a value not known yet into the library's advisory instead of a pass or a failure", async () => {
    const c = identityContainer({ envs: UNKNOWN_STRING });
    const ds = diagnosticsOf(await pack.call("analyze", analyzeRequest(c, c.props)));
    expect(ds.map((d) => [d.policyname, d.enforcementlevel])).toEqual([
      ["identity-service-https", ENFORCEMENT.ADVISORY],
      ["database-tls-in-production", ENFORCEMENT.ADVISORY],
    ]);
    expect(ds[0].message).toMatch(/can't run policy 'identity-service-https' .* during preview: string value at \.envs can't be known during preview/);
  });

  it("checks the whole stack: two Identity Services for one Creatio, a self-signed certificate", async () => {
    const a = identityContainer({ name: "a" });
    const b = identityContainer({ name: "b" });
    const cert: PlainResource = {
      type: RESOURCE_TYPES.certificate,
      urn: urn(RESOURCE_TYPES.certificate, "creatio-identity-certificate"),
      name: "creatio-identity-certificate",
      props: { selfSigned: true, expiresAt: "2099-01-01T00:00:00.000Z" },
    };
    const req = new analyzer.AnalyzeStackRequest();
    req.setResourcesList([
      stackResource(a, { ...a.props, envs: secretWire(a.props.envs) }),
      stackResource(b, { ...b.props, envs: secretWire(b.props.envs) }),
      stackResource(cert, cert.props),
    ]);
    const ds = diagnosticsOf(await pack.call("analyzeStack", req));
    expect(ds.map((d) => [d.policyname, d.urn])).toEqual([
      ["no-self-signed-certificate-in-production", cert.urn],
      ["one-identity-service-per-creatio", b.urn],
    ]);
  });

  it("makes plain sensitive values secret (remediation) and leaves secret ones alone", async () => {
    const c = identityContainer();
    const plainRes = await pack.call<analyzer.AnalyzeRequest, analyzer.RemediateResponse>(
      "remediate",
      analyzeRequest(c, { ...c.props, uploads: [{ file: KESTREL_CERTIFICATE_PATH, contentBase64: secretWire("UEZY") }] }),
    );
    const remediations = plainRes.getRemediationsList();
    expect(remediations.map((r) => r.getPolicyname())).toEqual(["sensitive-values-are-secrets"]);
    const props = remediations[0].getProperties()!.toJavaScript() as Record<string, any>;
    expect(props.envs).toEqual(secretWire(c.props.envs));
    expect(props.uploads).toEqual([{ file: KESTREL_CERTIFICATE_PATH, contentBase64: secretWire("UEZY") }]);
    expect(props.ports).toEqual(c.props.ports);

    const secretRes = await pack.call<analyzer.AnalyzeRequest, analyzer.RemediateResponse>(
      "remediate",
      analyzeRequest(c, { ...c.props, envs: secretWire(c.props.envs), uploads: secretWire(c.props.uploads) }),
    );
    expect(secretRes.getRemediationsList()).toEqual([]);
  });

  it("takes the production stacks and the minimum days from the policy config", async () => {
    const configure = new analyzer.ConfigureAnalyzerRequest();
    const set = (name: string, props: Record<string, unknown>) => {
      const c = new analyzer.PolicyConfig();
      c.setEnforcementlevel(ENFORCEMENT.MANDATORY);
      c.setProperties(Struct.fromJavaScript(props as any));
      configure.getPolicyconfigMap().set(name, c);
    };
    set("no-self-signed-certificate-in-production", { productionStacks: ["live"] });
    set("certificate-days-left", { minCertificateDaysLeft: 100000 });
    await pack.call("configure", configure);
    const cert: PlainResource = {
      type: RESOURCE_TYPES.certificate,
      urn: urn(RESOURCE_TYPES.certificate, "creatio-identity-certificate"),
      name: "creatio-identity-certificate",
      props: { selfSigned: true, expiresAt: "2099-01-01T00:00:00.000Z" },
    };
    const req = new analyzer.AnalyzeStackRequest();
    req.setResourcesList([stackResource(cert, cert.props)]);
    const ds = diagnosticsOf(await pack.call("analyzeStack", req));
    // "prod" is no longer production; the certificate has fewer than 100000 days left.
    expect(ds.map((d) => d.policyname)).toEqual(["certificate-days-left"]);
    expect(ds[0].message).toContain("at least 100000 days must be left");
  });
});
