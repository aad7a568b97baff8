/**
 * CreatioOAuthApplication's provider: check, and create with what can go wrong before and after
 * Creatio adds the client. Against the Creatio stand-in (Creatio's API over a real PostgreSQL holding
 * the fixture, with 8.1's OAuthConfigService and OAuthClientAppListener) and the Identity Service
 * stand-in, which registers the clients Creatio adds. What the provider did is read back from the
 * database and from the Identity Service.
 */
import { CREATIO_OAUTH_APPLICATION_SECRET_OUTPUTS, creatioOAuthApplicationProvider as provider } from "../components/creatioOAuthApplication";
import { UNKNOWN_VALUE } from "../lib/creatio/constants";
import { applicationInputs, checked, createApplication, integrate, storedApps, tokenStatus } from "./support/creatioApplications";
import { CREATIO_PASSWORD, expectNoSecrets, failureOf, INTEGRATION_USER_ID, logged, SUPERVISOR_ID, useCreatioWorld } from "./support/creatioHarness";
import { query } from "./support/pg";
import { withSkippedWaits } from "./support/skippedWaits";

const h = useCreatioWorld();

/** Non-secret outputs must hold no secret (the secret ones are encrypted by the engine). */
function expectSecretsOnlyInSecretOutputs(outs: object): void {
  const open = Object.fromEntries(Object.entries(outs).filter(([k]) => !CREATIO_OAUTH_APPLICATION_SECRET_OUTPUTS.includes(k)));
  expectNoSecrets(h, JSON.stringify(open));
}

describe("check", () => {
  it("fills the defaults: redirectUrl is the application URL, no description, active, a 60 s token wait", async () => {
    const result = await provider.check!({} as any, applicationInputs(h, { readinessTimeoutSeconds: undefined }) as any);
    expect(result.failures).toEqual([]);
    expect(result.inputs).toMatchObject({ redirectUrl: "https://billing.example.com", description: "", active: true, readinessTimeoutSeconds: 60 });
    expect(result.inputs!.creatio.netCore).toBe(false);
    // A redirect URI is compared character by character: its trailing slash is kept.
    expect((await checked(h, { redirectUrl: "https://billing.example.com/cb/" })).redirectUrl).toBe("https://billing.example.com/cb/");
  });

  it("names each bad property with the fix, and never echoes a secret", async () => {
    const result = await provider.check!(
      {} as any,
      {
        creatio: { url: "ftp://creatio", username: "Supervisor", password: CREATIO_PASSWORD },
        name: "x".repeat(251),
        applicationUrl: "billing.example.com",
        redirectUrl: "https://billing.example.com/#frag",
        systemUser: "",
        active: "yes",
        rotation: 7,
        identityServerUrl: "https://identity.example.com",
      } as any,
    );
    const byProperty = Object.fromEntries((result.failures ?? []).map((f) => [f.property, f.reason]));
    expect(Object.keys(byProperty).sort()).toEqual(["active", "applicationUrl", "creatio.url", "name", "redirectUrl", "rotation", "systemUser"]);
    expect(byProperty.systemUser).toContain("login name of the Creatio user");
    expect(byProperty.name).toContain("250 characters");
    expect(byProperty.applicationUrl).toContain("https://billing.example.com");
    for (const reason of Object.values(byProperty)) expectNoSecrets(h, reason);
  });

  it("lets unknown values (preview) through", async () => {
    const result = await provider.check!(
      {} as any,
      { creatio: UNKNOWN_VALUE, name: UNKNOWN_VALUE, applicationUrl: UNKNOWN_VALUE, systemUser: UNKNOWN_VALUE, identityServerUrl: UNKNOWN_VALUE } as any,
    );
    expect(result.failures).toEqual([]);
  });
});

describe("create", () => {
  beforeEach(() => integrate(h));

  it("adds the record through AddClient, writes its description, and the Identity Service issues the new client a token", async () => {
    const { id, outs } = await createApplication(h, { description: "Invoices to Creatio", redirectUrl: "https://billing.example.com/oauth/callback" });
    const [app] = await storedApps(h);
    expect(id).toBe(app.id);
    expect(outs).toMatchObject({ recordId: app.id, clientId: app.ClientId, systemUserId: INTEGRATION_USER_ID, systemUserIsAdministrator: false, active: true, complete: true });
    expect(app).toMatchObject({
      Name: "Billing",
      ApplicationUrl: "https://billing.example.com",
      RedirectUrl: "https://billing.example.com/oauth/callback",
      Description: "Invoices to Creatio",
      IsActive: true,
      systemUserId: INTEGRATION_USER_ID,
      grants: 1, // access to the default resource, as Creatio's listener grants it
    });
    // Creatio stores the secret the Identity Service generated, encrypted.
    expect(app.ClientSecret).not.toContain(outs.clientSecret);
    expect(h.creatio.decrypt(app.ClientSecret)).toBe(outs.clientSecret);
    const registered = h.identity.registeredClients.get(outs.clientId)!;
    expect(registered).toMatchObject({
      name: "Billing",
      enabled: true,
      systemUserId: INTEGRATION_USER_ID,
      redirectUris: ["https://billing.example.com/oauth/callback"],
      description: "Invoices to Creatio",
    });
    expect(registered.secret).toBe(outs.clientSecret);
    expect(await tokenStatus(h, outs.clientId, outs.clientSecret)).toBe(200);
    expect(logged(h, "info").some((l) => l.includes(`issues a token for the new client ${outs.clientId}`))).toBe(true);
    expectSecretsOnlyInSecretOutputs(outs);
  });

  it("sends the application URL as the redirect URL when none is given (Creatio would send the Identity Service [null])", async () => {
    const { outs } = await createApplication(h);
    expect((await storedApps(h))[0].RedirectUrl).toBe("https://billing.example.com");
    expect(h.identity.registeredClients.get(outs.clientId)!.redirectUris).toEqual(["https://billing.example.com"]);
  });

  it("creates an inactive application after checking its token, and the Identity Service then refuses it", async () => {
    const { outs } = await createApplication(h, { active: false });
    expect((await storedApps(h))[0].IsActive).toBe(false);
    expect(outs.active).toBe(false);
    expect(h.identity.registeredClients.get(outs.clientId)!.enabled).toBe(false);
    expect(await tokenStatus(h, outs.clientId, outs.clientSecret)).toBe(400);
  });

  it("says when the system user is an administrator", async () => {
    const { outs } = await createApplication(h, { systemUser: "Supervisor" });
    expect(outs).toMatchObject({ systemUserId: SUPERVISOR_ID, systemUserIsAdministrator: true });
    expect(logged(h, "warn")).toEqual([expect.stringContaining(`"Billing" acts as "Supervisor", a member of System administrators`)]);
  });

  it("refuses an unknown system user before anything is changed", async () => {
    const e = await failureOf(h, provider.create(await checked(h, { systemUser: "NoSuchUser" })));
    expect(e.message).toMatch(/^systemUser: Creatio has no user named "NoSuchUser"\. Set systemUser of "Billing" to the login name of a Creatio user/);
    expect(e.message).toContain("Nothing was changed in Creatio.");
    expect(await storedApps(h)).toEqual([]);
    expect(h.identity.registeredClients.size).toBe(0);
  });

  it("refuses a role given as system user, and Creatio's own check agrees", async () => {
    for (const [role, what] of [
      ["System administrators", "a functional role"],
      ["All employees", "an organization"],
    ]) {
      const e = await failureOf(h, provider.create(await checked(h, { systemUser: role })));
      expect(e.message).toContain(`systemUser: "${role}" is ${what} in Creatio, not a user`);
    }
    expect(await storedApps(h)).toEqual([]);
    // What AddClient itself answers for a role (the provider never gets there): Creatio 8.1's message.
    const { callOAuthConfigService } = await import("../lib/creatio/services");
    const { uiSession } = await import("./support/creatioApplications");
    await expect(
      callOAuthConfigService(await uiSession(h), "AddClient", {
        addClientRequest: { name: "x", applicationUrl: "https://x", systemUserId: "83a43ebc-f36b-1410-298d-001e8c82bcad" },
      }),
    ).rejects.toThrow("Specified system user is not valid.");
  });

  it("deletes the new client again when the Identity Service does not issue it a token", async () => {
    const checkedInputs = await checked(h, { identityServerCheckUrl: "http://127.0.0.1:1", readinessTimeoutSeconds: 1 });
    const { result: e } = await withSkippedWaits(() => failureOf(h, provider.create(checkedInputs)));
    expect(e.message).toContain("was not ready after 1 s");
    expect(e.message).toContain("The new client was deleted again: nothing stays changed in Creatio.");
    expect(e.properties).toBeUndefined();
    expect(await storedApps(h)).toEqual([]);
    expect(h.identity.registeredClients.size).toBe(0);
  });

  it("returns Pulumi's partial state when the new client cannot be deleted again, and a later update finishes it", async () => {
    h.creatio.options.refuse = (r) => (r.operation === "DeleteClient" ? "Creatio is shutting down" : undefined);
    const checkedInputs = await checked(h, { identityServerCheckUrl: "http://127.0.0.1:1", readinessTimeoutSeconds: 1 });
    const { result: e } = await withSkippedWaits(() => failureOf(h, provider.create(checkedInputs)));
    expect(e.message).toContain("Deleting the new client");
    expect(e.message).toContain("Creatio is shutting down");
    const [app] = await storedApps(h);
    expect(e.id).toBe(app.id);
    expect(e.properties).toMatchObject({ recordId: app.id, clientId: app.ClientId, complete: false });
    h.extraSecrets.push(e.properties.clientSecret);
    expectSecretsOnlyInSecretOutputs(e.properties);

    h.creatio.options.refuse = undefined;
    const news = await checked(h);
    expect(await provider.diff!(e.id!, e.properties, news)).toMatchObject({ changes: true, replaces: [] });
    const repaired = (await provider.update!(e.id!, e.properties, news)).outs!;
    expect(repaired).toMatchObject({ complete: true, clientId: app.ClientId });
    expect(await tokenStatus(h, repaired.clientId, repaired.clientSecret)).toBe(200);
  });
});

describe("whether Creatio accepts the application's tokens", () => {
  it("on .NET Framework: yes, shown by a bearer call to Creatio's OData API with the new client's token", async () => {
    await integrate(h);
    const { outs } = await createApplication(h);
    expect(outs.creatioAcceptsTokens).toBe(true);
    const odata = h.creatio.requests.filter((r) => r.operation === "OData");
    expect(odata).toEqual([expect.objectContaining({ method: "GET", path: "/0/odata/SysAdminUnit", status: 200 })]);
    expect(logged(h, "info")).toContainEqual(expect.stringContaining(`Creatio accepts the tokens of "Billing" (client ${outs.clientId})`));
  });

  it("on .NET 6/8 not restarted since the switch-over: no, up still succeeds; refresh after a restart says yes, and neither is a diff", async () => {
    // Creatio started before the integration wrote OAuth20IdentityServerUrl: its bearer set-up knows no Identity Service.
    await h.creatio.stop();
    h.creatio = await (await import("./support/creatioStandIn")).startCreatioStandIn({ databaseUrl: h.db.url, password: CREATIO_PASSWORD, netCore: true });
    await integrate(h, {}, { netCore: true });
    const netCore = { creatio: { url: h.creatio.url, username: "Supervisor", password: CREATIO_PASSWORD, netCore: true } };
    const { id, outs } = await createApplication(h, netCore);
    expect(outs).toMatchObject({ complete: true, creatioAcceptsTokens: false });
    expect(await storedApps(h)).toHaveLength(1);
    expect(h.creatio.requests.filter((r) => r.operation === "OData")).toEqual([expect.objectContaining({ path: "/odata/SysAdminUnit", status: 401 })]);
    expect(logged(h, "info")).toContainEqual(expect.stringContaining("Restart Creatio"));
    const news = await checked(h, netCore);
    expect(await provider.diff!(id, outs, news)).toMatchObject({ changes: false });

    // Still no after a refresh without a restart; yes once Creatio has restarted.
    expect((await provider.read!(id, outs)).props).toMatchObject({ creatioAcceptsTokens: false });
    await h.creatio.restart();
    const refreshed = (await provider.read!(id, outs)).props!;
    expect(refreshed.creatioAcceptsTokens).toBe(true);
    expect(await provider.diff!(id, refreshed, news)).toMatchObject({ changes: false });
  });

  it("a state written before creatioAcceptsTokens existed gets it from one update, which needs no Creatio login", async () => {
    await integrate(h);
    const { id, outs } = await createApplication(h);
    const legacy: Record<string, unknown> = { ...outs };
    delete legacy.creatioAcceptsTokens;
    const news = await checked(h);
    expect(await provider.diff!(id, legacy as any, news)).toMatchObject({ changes: true, replaces: [] });
    const logins = h.creatio.requests.filter((r) => r.path.endsWith("/Login")).length;
    const updated = (await provider.update!(id, legacy as any, news)).outs!;
    expect(updated.creatioAcceptsTokens).toBe(true);
    expect(h.creatio.requests.filter((r) => r.path.endsWith("/Login")).length).toBe(logins);
    expect(await provider.diff!(id, updated, news)).toMatchObject({ changes: false });
  });
});

describe("the default resource", () => {
  it("is required: without one nothing is changed and the message says how to make it", async () => {
    await integrate(h, { createDefaultResource: false });
    const e = await failureOf(h, provider.create(await checked(h)));
    expect(e.message).toContain("Creatio has no default OAuth resource, which every integrated application needs");
    expect(e.message).toContain("creatioCreateDefaultResource");
    expect(await storedApps(h)).toEqual([]);
    expect(h.identity.registeredClients.size).toBe(0);
  });

  it("must be the only one", async () => {
    await integrate(h);
    await query(
      h.db.url,
      `INSERT INTO "OAuthResource" ("Id", "Name", "DisplayName", "IsDefault") VALUES (gen_random_uuid(), 'ApplicationAccess_second', 'Application access', true)`,
    );
    const e = await failureOf(h, provider.create(await checked(h)));
    expect(e.message).toContain("Creatio has 2 default OAuth resources");
    expect(await storedApps(h)).toEqual([]);
  });

  it("is checked by Creatio too, whose refusal comes through with nothing changed", async () => {
    await integrate(h, { createDefaultResource: false });
    // Skip the provider's own check to see Creatio's listener answer.
    const { addClient } = await import("../lib/creatio/clientApps");
    const { uiSession } = await import("./support/creatioApplications");
    await expect(addClient(await uiSession(h), { name: "x", applicationUrl: "https://x", redirectUrl: "https://x", systemUserId: INTEGRATION_USER_ID })).rejects.toThrow(
      "AddClient failed (OAuthClientAppException): Default resource does not exist",
    );
    expect(await storedApps(h)).toEqual([]);
  });
});

describe("OAuth 2.0 off in Creatio's application config file", () => {
  for (const netCore of [false, true]) {
    it(`names the file to edit on ${netCore ? ".NET 6/8" : ".NET Framework"}, and nothing is changed`, async () => {
      if (netCore) {
        await h.creatio.stop();
        h.creatio = await (await import("./support/creatioStandIn")).startCreatioStandIn({ databaseUrl: h.db.url, password: CREATIO_PASSWORD, netCore: true });
      }
      await integrate(h, {}, { netCore });
      // The database feature is on (the integration enabled it); the file is what says no.
      h.creatio.options.enableOAuth20Integration = false;
      const e = await failureOf(h, provider.create(await checked(h, { creatio: { url: h.creatio.url, username: "Supervisor", password: CREATIO_PASSWORD, netCore } })));
      expect(e.message).toContain("Feature-EnableOAuth20Integration");
      expect(e.message).toContain(
        `<add key="Feature-EnableOAuth20Integration" value="true" /> in the appSettings section of ${netCore ? "Terrasoft.WebHost.dll.config" : "Web.config"}`,
      );
      expect(e.message).toContain("then restart Creatio");
      expect(e.message).not.toMatch(/feature cache|roles/);
      expect(e.message).toContain("Creatio refused it: nothing was changed in Creatio.");
      expect(await storedApps(h)).toEqual([]);
    });
  }
});

describe("before the integration", () => {
  it("explains that Creatio cannot reach an Identity Service until CreatioOAuthIntegration has run", async () => {
    // A default resource, but the OAuth20IdentityServer* settings still empty (the integration has not run).
    await query(h.db.url, `INSERT INTO "OAuthResource" ("Id", "Name", "DisplayName", "IsDefault") VALUES (gen_random_uuid(), 'ApplicationAccess_x', 'Application access', true)`);
    const e = await failureOf(h, provider.create(await checked(h)));
    expect(e.message).toContain("Unable to connect to OAuth server");
    expect(e.message).toContain("CreatioOAuthIntegration must have run first");
    expect(e.message).toContain("Creatio refused it: nothing was changed in Creatio.");
    expect(await storedApps(h)).toEqual([]);
  });
});

describe("serialization", () => {
  it("serializes with Pulumi's closure serializer into module text without a database driver or a secret", async () => {
    const { serializeFunction } = await import("@pulumi/pulumi/runtime/closure/serializeClosure");
    const serialized = await serializeFunction(() => provider, { allowSecrets: true });
    expect(serialized.text).toMatch(/^exports\.handler = __f\d+;$/m);
    expect(serialized.text).toMatch(/^function __f\d+\(/m);
    expect(serialized.text).not.toMatch(/require\("pg"\)/);
    expectNoSecrets(h, serialized.text);
  });
});
