/**
 * CreatioOAuthIntegration after create: drift seen by read and repaired by update, the diff's
 * update-versus-replace decisions, updates that only touch state, expired sessions, and Creatio
 * going away halfway (Pulumi's partial-state error, then a later up or destroy that finishes).
 */
import { creatioOAuthIntegrationProvider as provider, CreatioOAuthIntegrationOutputs } from "../components/creatioOAuthIntegration";
import { ALL_EMPLOYEES_ID, SYSTEM_ADMINISTRATORS_ID, UNKNOWN_VALUE } from "../lib/creatio/constants";
import { connectCreatio } from "../lib/creatio/session";
import { partialStateError } from "../lib/undo";
import { postSysSettingsValues } from "../lib/creatio/services";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  creatioCalls,
  creatioRows,
  CREATIO_PASSWORD,
  failureOf,
  ID_CODE,
  integrationInputs,
  logged,
  NEW_SECRET,
  oauthStates,
  SECRET_CODE,
  SUPERVISOR_ID,
  SYSADMIN_ROW_ID,
  URL_CODE,
  useCreatioWorld,
} from "./support/creatioHarness";
import { query } from "./support/pg";
import { withSkippedWaits } from "./support/skippedWaits";

const h = useCreatioWorld();
const check = async (o: Record<string, any> = {}, c: Record<string, any> = {}) => (await provider.check!({} as any, integrationInputs(h, o, c) as any)).inputs!;
const create = async (o: Record<string, any> = {}) => {
  const r = await provider.create(await check(o));
  return { id: r.id, outs: r.outs as CreatioOAuthIntegrationOutputs };
};

/** Changes a setting the way an administrator in Creatio's UI would: through its API. */
async function setInCreatio(code: string, value: string): Promise<void> {
  const client = await connectCreatio({ url: h.creatio.url, username: "Supervisor", password: CREATIO_PASSWORD, netCore: false, timeoutMs: 10000 });
  expect((await postSysSettingsValues(client, { [code]: value })).saved[code]).toBe(true);
}

describe("read, diff and update", () => {
  it("sees drift in the settings, the feature states and the default resource, and an update repairs it", async () => {
    const { id, outs } = await create();
    await query(h.db.url, `UPDATE "AdminUnitFeatureState" SET "FeatureState" = 0 WHERE "Id" = $1`, [SYSADMIN_ROW_ID]);
    await setInCreatio(URL_CODE, "http://elsewhere:5000");
    // Creatio forbids deleting the resource through its API; a database edit is the only way.
    await query(h.db.url, `DELETE FROM "OAuthResource"`);

    const read = await provider.read!(id, outs);
    expect(read.props).toMatchObject({
      identityServerUrl: "http://elsewhere:5000",
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET, // not readable: kept
      featureStates: { [SYSTEM_ADMINISTRATORS_ID]: 0, [ALL_EMPLOYEES_ID]: 1 },
      defaultResource: null,
    });
    const news = await check();
    expect(await provider.diff!(id, read.props!, news)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });

    const updated = (await provider.update!(id, read.props!, news)).outs!;
    expect(await h.creatio.settingValue(URL_CODE)).toBe(h.identity.url);
    expect(await oauthStates(h)).toEqual({ [SYSTEM_ADMINISTRATORS_ID]: 1, [ALL_EMPLOYEES_ID]: 1 });
    expect((await creatioRows(h)).resources).toHaveLength(1);
    // Still remembers what create found (not the drifted values), so delete goes all the way back.
    expect(updated.previousFeatureStates).toEqual(outs.previousFeatureStates);
    expect(updated.previousSettings).toEqual(outs.previousSettings);
    expect(updated.insertedFeatureStateIds).toEqual(outs.insertedFeatureStateIds);
    expect(updated.createdDefaultResource).toBe(outs.createdDefaultResource);
    const again = await provider.read!(id, updated);
    expect(await provider.diff!(id, again.props!, news)).toMatchObject({ changes: false });
  });

  it("decides update or replacement from what changed, and treats an unknown Creatio as a replacement", async () => {
    const { id, outs } = await create({ createDefaultResource: false });
    const news = await check({ createDefaultResource: false });
    const diff = (n: Record<string, any>) => provider.diff!(id, outs, n as any);
    expect(await diff(news)).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    for (const change of [
      { identityServerUrl: "http://identity:5000" },
      { clientId: "otherClient00001" },
      { clientSecret: NEW_SECRET },
      { clientSecret: UNKNOWN_VALUE },
      { readinessTimeoutSeconds: 30 },
    ]) {
      expect({ change, diff: await diff({ ...news, ...change }) }).toEqual({ change, diff: { changes: true, replaces: [], deleteBeforeReplace: false } });
    }
    expect(await diff({ ...news, creatio: { ...news.creatio, password: "another" } })).toMatchObject({ changes: true, replaces: [] });
    for (const creatio of [{ ...news.creatio, url: "http://other-creatio" }, UNKNOWN_VALUE, { ...news.creatio, url: UNKNOWN_VALUE }]) {
      expect({ creatio, diff: await diff({ ...news, creatio }) }).toEqual({ creatio, diff: { changes: true, replaces: ["creatio"], deleteBeforeReplace: true } });
    }
    expect(await diff({ ...news, creatio: { ...news.creatio, url: `${h.creatio.url}/` } })).toMatchObject({ replaces: [] });
  });

  it("records operational inputs and new credentials without logging in to Creatio", async () => {
    const { id, outs } = await create({ createDefaultResource: false });
    const requests = h.creatio.requests.length;
    const identityRequests = h.identity.requests.length;
    const news = await check({ createDefaultResource: false, readinessTimeoutSeconds: 42, identityServerCheckUrl: "http://127.0.0.1:1" }, { password: "NewPassword-1" });
    const updated = (await provider.update!(id, outs, news)).outs!;
    expect(updated).toMatchObject({ readinessTimeoutSeconds: 42, identityServerCheckUrl: "http://127.0.0.1:1", creatio: { password: "NewPassword-1" } });
    expect(h.creatio.requests.length).toBe(requests);
    expect(h.identity.requests.length).toBe(identityRequests);
  });

  it("rotates the client secret once the Identity Service accepts it, and changes nothing before", async () => {
    const { id, outs } = await create();
    const news = await check({ clientSecret: NEW_SECRET, readinessTimeoutSeconds: 1 });
    const before = await creatioRows(h);
    const { result: e } = await withSkippedWaits(() => failureOf(h, provider.update!(id, outs, news)));
    expect(e.message).toContain("invalid_client");
    expect(await creatioRows(h)).toEqual(before);

    h.identity.options.clients = [{ clientId: CLIENT_ID, secret: NEW_SECRET }];
    const updated = (await provider.update!(id, outs, news)).outs!;
    expect(await h.creatio.settingValue(SECRET_CODE)).toBe(NEW_SECRET);
    expect(updated.clientSecret).toBe(NEW_SECRET);
    expect(updated.previousSettings).toEqual(outs.previousSettings);
    // No second default resource: it was there.
    expect(creatioCalls(h, "AddDefaultResource")).toBe(1);
  });

  it("puts the earlier values back when Creatio refuses a setting during an update", async () => {
    const { id, outs } = await create();
    h.identity.options.clients = [{ clientId: CLIENT_ID, secret: NEW_SECRET }];
    h.creatio.options.saveResult = { [URL_CODE]: false };
    const e = await failureOf(h, provider.update!(id, outs, await check({ clientSecret: NEW_SECRET })));
    expect(e.message).toContain(`Creatio refused to save the system setting ${URL_CODE}`);
    expect(e.message).toContain("was put back");
    expect(await h.creatio.settingValue(SECRET_CODE)).toBe(CLIENT_SECRET);
    expect(await h.creatio.settingValue(URL_CODE)).toBe(h.identity.url);
  });

  it("adds and removes its own rows when featureAdminUnitIds changes, and delete still goes back", async () => {
    const before = await creatioRows(h);
    const { id, outs } = await create({ createDefaultResource: false });
    const updated = (await provider.update!(id, outs, await check({ featureAdminUnitIds: [SUPERVISOR_ID], createDefaultResource: false }))).outs!;
    expect(await oauthStates(h)).toEqual({ [SYSTEM_ADMINISTRATORS_ID]: 1, [SUPERVISOR_ID]: 1 });
    await provider.delete!(id, updated);
    expect(await creatioRows(h)).toEqual(before);
  });
});

describe("expired sessions", () => {
  it("logs in again once when the session expires halfway (redirect to the login page)", async () => {
    let expired = false;
    h.creatio.options.expireSessionsAfter = (r) => !expired && !!r.items?.includes("SelectQuery AdminUnitFeatureState") && (expired = true);
    await create();
    expect(creatioCalls(h, "Login")).toBe(2);
    expect(h.creatio.requests.some((r) => r.status === 302)).toBe(true);
    expect(await h.creatio.settingValue(ID_CODE)).toBe(CLIENT_ID);
  });

  it("also when an expired session answers the login page's HTML with HTTP 200", async () => {
    let expired = false;
    h.creatio.options.expiredAnswer = "loginPage";
    h.creatio.options.expireSessionsAfter = (r) => !expired && r.operation === "PostSysSettingsValues" && (expired = true);
    await create();
    expect(creatioCalls(h, "Login")).toBe(2);
    expect(await h.creatio.settingValue(SECRET_CODE)).toBe(CLIENT_SECRET);
  });

  it("gives up, putting everything back, when the session keeps expiring", async () => {
    const before = await creatioRows(h);
    // From the first write on, every answer ends every session, the new login's included.
    h.creatio.options.expireSessionsAfter = () => creatioCalls(h, "UpdateQuery") > 0;
    const e = await failureOf(h, provider.create(await check()));
    expect(e.message).toContain("even right after logging in again");
    h.creatio.options.expireSessionsAfter = undefined;
    // The undo could not run either (every call expired): partial state, and a later destroy finishes.
    expect(e.id).toBeDefined();
    await provider.delete!(e.id!, e.properties);
    expect(await creatioRows(h)).toEqual(before);
  });
});

describe("Creatio going away halfway", () => {
  it("records a partial state when the undo cannot finish; a later destroy puts everything back", async () => {
    const before = await creatioRows(h);
    h.creatio.options.dieAfter = (r) => r.operation === "PostSysSettingsValues";
    const e = await failureOf(h, provider.create(await check()));
    expect(e.message).toContain("Creating Creatio's default OAuth resource failed");
    expect(e.message).toContain("Putting Creatio back did not finish");
    expect(e.message).toContain("pulumi destroy");
    expect(e.id).toBe(`OAuth20Integration@${h.creatio.url}`);
    const partial = e.properties as CreatioOAuthIntegrationOutputs;
    expect(partial).toMatchObject({
      complete: false,
      previousFeatureStates: [{ id: SYSADMIN_ROW_ID, sysAdminUnitId: SYSTEM_ADMINISTRATORS_ID, featureState: 0 }],
      settingsWritten: [URL_CODE, ID_CODE, SECRET_CODE],
      createdDefaultResource: null,
    });
    expect(partial.insertedFeatureStateIds).toHaveLength(1);
    // Creatio was left switched over: that is what the state now says.
    expect(await oauthStates(h)).toEqual({ [SYSTEM_ADMINISTRATORS_ID]: 1, [ALL_EMPLOYEES_ID]: 1 });

    await h.creatio.revive();
    h.creatio.options.dieAfter = undefined;
    await provider.delete!(e.id!, partial);
    expect(await creatioRows(h)).toEqual(before);
  });

  it("a later up finishes the switch-over from the partial state and keeps what was found first", async () => {
    h.creatio.options.dieAfter = (r) => r.operation === "ClearFeaturesCacheForAllUsers";
    const e = await failureOf(h, provider.create(await check()));
    await h.creatio.revive();
    h.creatio.options.dieAfter = undefined;
    h.stderr.mockClear();
    const news = await check();
    expect(await provider.diff!(e.id!, e.properties, news)).toMatchObject({ changes: true, replaces: [] });
    const finished = (await provider.update!(e.id!, e.properties, news)).outs!;
    // The rows the failed create switched on are not "found": the state keeps the original ones.
    expect(finished.previousFeatureStates).toEqual([{ id: SYSADMIN_ROW_ID, sysAdminUnitId: SYSTEM_ADMINISTRATORS_ID, featureState: 0 }]);
    expect(finished.insertedFeatureStateIds).toEqual(e.properties.insertedFeatureStateIds);
    expect(finished).toMatchObject({ complete: true, settingsWritten: [URL_CODE, ID_CODE, SECRET_CODE] });
    expect(finished.createdDefaultResource).toMatch(/^ApplicationAccess_/);
    expect(await h.creatio.settingValue(SECRET_CODE)).toBe(CLIENT_SECRET);
    expect(logged(h, "warn")).toEqual([]);
  });
});

describe("Pulumi's partial-state error", () => {
  it("carries the serialized provider from the inputs the method received, whatever the properties hold", () => {
    const e = partialStateError("halfway", "id-1", { featureId: "f", complete: false, dropped: undefined }, { __provider: "exports.handler = serialized;", other: 1 }) as Error & {
      id: string;
      properties: Record<string, unknown>;
      reasons: string[];
    };
    expect(e).toMatchObject({ message: "halfway", id: "id-1", reasons: ["halfway"] });
    // Exactly the properties given plus the provider: the engine records these, and needs the provider for refresh and destroy.
    expect(e.properties).toEqual({ featureId: "f", complete: false, __provider: "exports.handler = serialized;" });
  });
});
