/**
 * Arguments every Creatio resource of this package shares: how it logs in to Creatio's API, and
 * how it checks that the Identity Service issues tokens before it changes anything.
 */
import type * as pulumi from "@pulumi/pulumi";
import { isUnknown, trimUrl } from "../inputChecks";
import type { PropertySpec } from "../dynamicResource";

/** The connection to Creatio's API, as resource arguments. */
export interface CreatioConnectionArgs {
  /** Creatio's base URL, without `/0`. */
  readonly url: pulumi.Input<string>;
  /** A Creatio administrator (a user with the CanManageSolution right), e.g. Supervisor. */
  readonly username: pulumi.Input<string>;
  /** That user's password (pass a secret). */
  readonly password: pulumi.Input<string>;
  /** false (default): .NET Framework Creatio, app under `{url}/0`; true: .NET 6/8 Creatio. */
  readonly netCore?: pulumi.Input<boolean>;
}

/**
 * `creatio` as both Creatio resources declare it (lib/dynamicResource.ts): secret, since it holds the
 * password; another URL is another Creatio and replaces the resource; the login only reaches Creatio
 * (a new administrator or password is recorded, nothing in Creatio changes).
 */
export const CREATIO_CONNECTION_PROPERTY: PropertySpec = {
  secret: true,
  parts: { url: { replaces: true }, username: { recordOnly: true }, password: { recordOnly: true }, netCore: { recordOnly: true } },
};

/** Where the Identity Service is, for Creatio and for the readiness check made from this machine. */
export interface IdentityServiceReachArgs {
  /** The Identity Service URL as Creatio's server reaches it. */
  readonly identityServerUrl: pulumi.Input<string>;
  /** The Identity Service URL as the machine running Pulumi reaches it, if not identityServerUrl. */
  readonly identityServerCheckUrl?: pulumi.Input<string>;
  /** CA certificate (PEM) to trust for the Identity Service's HTTPS, e.g. a self-signed one (for these checks only). */
  readonly identityServerCaPem?: pulumi.Input<string>;
  /** How long to wait for the Identity Service to issue a token. */
  readonly readinessTimeoutSeconds?: pulumi.Input<number>;
}

/** How this machine checks the Identity Service (IdentityServiceReachArgs but its URL for Creatio): recorded only, since nothing in Creatio depends on it. */
export const IDENTITY_SERVICE_CHECK_PROPERTIES = {
  identityServerCaPem: { recordOnly: true },
  identityServerCheckUrl: { recordOnly: true },
  readinessTimeoutSeconds: { recordOnly: true },
} satisfies Record<string, PropertySpec>;

/**
 * Whether a Creatio resource's new inputs name another Creatio than its state (the URL, trailing
 * slashes aside), or one not known yet: both resources replace for it, and a preview must not
 * promise an update that becomes a replacement.
 */
export function isAnotherCreatio(olds: Record<string, any>, news: Record<string, any>): boolean {
  const newUrl = isUnknown(news.creatio) ? news.creatio : news.creatio?.url;
  return isUnknown(newUrl) || (typeof newUrl === "string" && trimUrl(newUrl) !== trimUrl(String(olds.creatio?.url ?? "")));
}

/**
 * Every value of a Creatio resource's inputs or state that must never show in a message: the client
 * secret and Creatio's password (and, in a state written by the integration's first version, Creatio's
 * database URL and its password).
 */
export function creatioSecretsOf(...states: Array<Record<string, any> | undefined>): string[] {
  const out: string[] = [];
  for (const s of states) {
    if (!s) continue;
    if (typeof s.clientSecret === "string") out.push(s.clientSecret);
    if (typeof s.creatio?.password === "string") out.push(s.creatio.password);
    const db = s.creatio?.databaseConnectionString;
    if (typeof db === "string") {
      out.push(db);
      try {
        const u = new URL(db);
        if (u.password) out.push(decodeURIComponent(u.password), u.password);
      } catch {
        // not a URL: the whole string is redacted above
      }
    }
  }
  return out;
}
