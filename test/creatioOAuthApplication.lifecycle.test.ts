/**
 * CreatioOAuthApplication after create: drift made in Creatio's UI (deactivated, deleted) seen by
 * read, in-place updates, rotation by replacement (create the new client, then delete the old),
 * delete, and the undo of an update that fails halfway.
 */
import { creatioOAuthApplicationProvider as provider, CreatioOAuthApplicationOutputs } from "../components/creatioOAuthApplication";
import { UNKNOWN_VALUE } from "../lib/creatio/constants";
import { changeInUi, checked, createApplication, deleteInUi, integrate, storedApps, tokenStatus } from "./support/creatioApplications";
import { creatioCalls, failureOf, logged, SUPERVISOR_ID, useCreatioWorld } from "./support/creatioHarness";

const h = useCreatioWorld();
let integration: { id: string; outs: any };
beforeEach(async () => {
  integration = await integrate(h);
});

const diff = (id: string, olds: CreatioOAuthApplicationOutputs, news: any) => provider.diff!(id, olds, news);

describe("drift made in Creatio's UI", () => {
  it("a deactivated application: read shows it, the diff plans an in-place update, and the update makes it active again", async () => {
    const { id, outs } = await createApplication(h);
    await changeInUi(h, outs.recordId, { IsActive: false });
    expect(await tokenStatus(h, outs.clientId, outs.clientSecret)).toBe(400);

    const read = await provider.read!(id, outs);
    expect(read.id).toBe(id);
    expect(read.props).toMatchObject({ active: false, clientId: outs.clientId, clientSecret: outs.clientSecret, systemUser: "IntegrationUser" });
    const news = await checked(h);
    expect(await diff(id, read.props!, news)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });

    const updated = (await provider.update!(id, read.props!, news)).outs!;
    expect(updated).toMatchObject({ active: true, clientId: outs.clientId, clientSecret: outs.clientSecret });
    expect((await storedApps(h))[0].IsActive).toBe(true);
    expect(await tokenStatus(h, outs.clientId, outs.clientSecret)).toBe(200);
    expect(await diff(id, (await provider.read!(id, updated)).props!, news)).toMatchObject({ changes: false });
  });

  it("a deleted application: read reports it gone (empty id), so refresh drops it and the next up creates it again", async () => {
    const { id, outs } = await createApplication(h);
    await deleteInUi(h, outs.recordId);
    expect(h.identity.registeredClients.has(outs.clientId)).toBe(false);

    expect(await provider.read!(id, outs)).toEqual({ id: "" });
    expect(logged(h, "info")).toContainEqual(expect.stringContaining(`"Billing" (client ${outs.clientId}) is no longer in Creatio`));
    // Without a refresh, an update says what to do.
    const e = await failureOf(h, provider.update!(id, outs, await checked(h, { name: "Billing 2" })));
    expect(e.message).toContain("is no longer in Creatio (deleted in its UI?). Run `pulumi refresh`");

    const again = await createApplication(h);
    expect(again.outs.clientId).not.toBe(outs.clientId);
    expect(await storedApps(h)).toHaveLength(1);
    expect(await tokenStatus(h, again.outs.clientId, again.outs.clientSecret)).toBe(200);
  });

  it("a system user changed in the UI shows as drift, with whether the new one is an administrator", async () => {
    const { id, outs } = await createApplication(h);
    await changeInUi(h, outs.recordId, { SystemUser: SUPERVISOR_ID });
    const read = await provider.read!(id, outs);
    expect(read.props).toMatchObject({ systemUser: "Supervisor", systemUserId: SUPERVISOR_ID, systemUserIsAdministrator: true });
    expect(await diff(id, read.props!, await checked(h))).toMatchObject({ changes: true, replaces: [] });
  });
});

describe("update", () => {
  it("changes name, URLs, description, system user and active in place: same client id and secret", async () => {
    const { id, outs } = await createApplication(h);
    const news = await checked(h, {
      name: "Billing service",
      applicationUrl: "https://billing2.example.com",
      redirectUrl: "https://billing2.example.com/cb",
      description: "moved",
      systemUser: "Supervisor",
      active: false,
    });
    expect(await diff(id, outs, news)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    const updated = (await provider.update!(id, outs, news)).outs!;
    expect(updated).toMatchObject({
      clientId: outs.clientId,
      clientSecret: outs.clientSecret,
      recordId: outs.recordId,
      systemUserId: SUPERVISOR_ID,
      systemUserIsAdministrator: true,
      active: false,
    });
    expect(await storedApps(h)).toEqual([
      expect.objectContaining({
        id: outs.recordId,
        Name: "Billing service",
        ApplicationUrl: "https://billing2.example.com",
        RedirectUrl: "https://billing2.example.com/cb",
        Description: "moved",
        IsActive: false,
        systemUserId: SUPERVISOR_ID,
      }),
    ]);
    expect(h.identity.registeredClients.get(outs.clientId)).toMatchObject({ name: "Billing service", uri: "https://billing2.example.com", enabled: false, description: "moved" });
    expect(await tokenStatus(h, outs.clientId, outs.clientSecret)).toBe(400);
    expect(creatioCalls(h, "UpdateClient")).toBe(1);
  });

  it("refuses an unknown system user and a role, changing nothing", async () => {
    const { id, outs } = await createApplication(h);
    const before = await storedApps(h);
    for (const systemUser of ["Nobody", "System administrators"]) {
      const e = await failureOf(h, provider.update!(id, outs, await checked(h, { systemUser, name: "Renamed" })));
      expect(e.message).toMatch(/^systemUser: /);
    }
    expect(await storedApps(h)).toEqual(before);
  });

  it("records operational inputs without calling Creatio", async () => {
    const { id, outs } = await createApplication(h);
    const requests = h.creatio.requests.length;
    const news = await checked(h, {
      identityServerUrl: "http://identity.internal:5000",
      readinessTimeoutSeconds: 30,
      creatio: { url: h.creatio.url, username: "Supervisor", password: "Another-Pa55" },
    });
    expect(await diff(id, outs, news)).toMatchObject({ changes: true, replaces: [] });
    const updated = (await provider.update!(id, outs, news)).outs!;
    expect(updated).toMatchObject({ identityServerUrl: "http://identity.internal:5000", readinessTimeoutSeconds: 30, clientId: outs.clientId });
    expect(updated.creatio.password).toBe("Another-Pa55");
    expect(h.creatio.requests.length).toBe(requests);
  });

  it("puts the earlier values back when the description cannot be written after UpdateClient went through", async () => {
    const { id, outs } = await createApplication(h);
    h.creatio.options.refuse = (r) => (r.entity === "OAuthClientApp" && r.operation === "UpdateQuery" ? "Access denied" : undefined);
    const e = await failureOf(h, provider.update!(id, outs, await checked(h, { name: "Renamed", description: "new" })));
    expect(e.message).toContain("Changing the integrated application in Creatio failed");
    expect(e.message).toContain("Access denied");
    expect(e.message).toContain("Its earlier values were put back");
    expect(await storedApps(h)).toEqual([expect.objectContaining({ Name: "Billing", Description: "" })]);
    expect(h.identity.registeredClients.get(outs.clientId)!.name).toBe("Billing");
  });

  it("returns Pulumi's partial state with what Creatio has when the put-back fails too", async () => {
    const { id, outs } = await createApplication(h);
    let updates = 0;
    h.creatio.options.refuse = (r) => {
      if (r.entity === "OAuthClientApp" && r.operation === "UpdateQuery") return "Access denied";
      if (r.operation === "UpdateClient" && ++updates > 1) return "Creatio is shutting down";
      return undefined;
    };
    const e = await failureOf(h, provider.update!(id, outs, await checked(h, { name: "Renamed", description: "new" })));
    expect(e.message).toContain("Putting the earlier values back failed too");
    expect(e.id).toBe(id);
    // Creatio has the new name but not the new description: the state says so, and the next diff plans the rest.
    expect(e.properties).toMatchObject({ name: "Renamed", description: "" });
    expect(await diff(id, e.properties, await checked(h, { name: "Renamed", description: "new" }))).toMatchObject({ changes: true, replaces: [] });
  });
});

describe("rotation", () => {
  it("a new rotation value replaces the client: the new one is created first, the old one refused once deleted", async () => {
    const first = await createApplication(h, { rotation: "2026-01" });
    const news = await checked(h, { rotation: "2026-07" });
    expect(await diff(first.id, first.outs, news)).toEqual({ changes: true, replaces: ["rotation"], deleteBeforeReplace: false });
    for (const rotation of [UNKNOWN_VALUE]) expect(await diff(first.id, first.outs, { ...news, rotation })).toMatchObject({ replaces: ["rotation"] });
    expect(await diff(first.id, first.outs, await checked(h, { rotation: "2026-01" }))).toMatchObject({ changes: false });

    // What the engine does for a replacement that is not delete-before-replace: create, then delete the old.
    const second = await createApplication(h, { rotation: "2026-07" });
    expect(second.outs.clientId).not.toBe(first.outs.clientId);
    expect(second.outs.clientSecret).not.toBe(first.outs.clientSecret);
    expect(await storedApps(h)).toHaveLength(2);
    // Both work in between, so the consuming application can be switched over.
    expect(await tokenStatus(h, first.outs.clientId, first.outs.clientSecret)).toBe(200);
    expect(await tokenStatus(h, second.outs.clientId, second.outs.clientSecret)).toBe(200);

    await provider.delete!(first.id, first.outs);
    expect(await tokenStatus(h, first.outs.clientId, first.outs.clientSecret)).toBe(400);
    expect(await tokenStatus(h, second.outs.clientId, second.outs.clientSecret)).toBe(200);
    expect(await storedApps(h)).toEqual([expect.objectContaining({ ClientId: second.outs.clientId })]);
  });

  it("so does another Creatio", async () => {
    const { id, outs } = await createApplication(h);
    const news = await checked(h, { creatio: { url: "http://other-creatio.example.com", username: "Supervisor", password: "x" } });
    expect(await diff(id, outs, news)).toMatchObject({ replaces: ["creatio"], deleteBeforeReplace: false });
    expect(await diff(id, outs, { ...news, creatio: UNKNOWN_VALUE })).toMatchObject({ replaces: ["creatio"] });
  });
});

describe("a Guid-shaped client id", () => {
  it("is compared as the text it is: create, read, update and delete all find the record", async () => {
    // The Identity Service's client id format is not documented; this one makes Guids.
    h.identity.options.clientIdFormat = "guid";
    const { id, outs } = await createApplication(h, { description: "first" });
    expect(outs.clientId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const read = await provider.read!(id, outs);
    expect(read).toMatchObject({ id, props: { clientId: outs.clientId, description: "first" } });
    const updated = (await provider.update!(id, read.props!, await checked(h, { name: "Billing 2", description: "second" }))).outs!;
    expect(updated).toMatchObject({ clientId: outs.clientId, name: "Billing 2", description: "second" });
    expect(await storedApps(h)).toEqual([expect.objectContaining({ ClientId: outs.clientId, Name: "Billing 2", Description: "second" })]);
    await provider.delete!(id, updated);
    expect(await storedApps(h)).toEqual([]);
    expect(h.identity.registeredClients.size).toBe(0);
  });
});

describe("delete", () => {
  it("deletes the record, its grant and the Identity Service client; a second delete finds it gone and succeeds", async () => {
    const { id, outs } = await createApplication(h);
    await provider.delete!(id, outs);
    expect(await storedApps(h)).toEqual([]);
    expect(h.identity.registeredClients.has(outs.clientId)).toBe(false);
    expect(await tokenStatus(h, outs.clientId, outs.clientSecret)).toBe(400);
    await provider.delete!(id, outs);
    expect(logged(h, "info")).toContainEqual(expect.stringContaining("was already gone from Creatio"));
  });

  it("fails with the reason and deletes nothing when Creatio refuses, and says why when the integration is already off", async () => {
    const { id, outs } = await createApplication(h);
    h.creatio.options.refuse = (r) => (r.operation === "DeleteClient" ? "Access denied" : undefined);
    const e = await failureOf(h, provider.delete!(id, outs));
    expect(e.message).toContain(`Deleting the integrated application "Billing" (client ${outs.clientId}) failed`);
    expect(e.message).toContain("Nothing was deleted");
    expect(await storedApps(h)).toHaveLength(1);

    // The integration destroyed first empties Creatio's Identity Service settings: Creatio's listener then cannot remove the client.
    h.creatio.options.refuse = undefined;
    const { creatioOAuthIntegrationProvider } = await import("../components/creatioOAuthIntegration");
    await creatioOAuthIntegrationProvider.delete!(integration.id, integration.outs);
    const off = await failureOf(h, provider.delete!(id, outs));
    expect(off.message).toContain("Unable to connect to OAuth server");
    expect(off.message).toContain("the applications must go before it is destroyed");
  });
});
