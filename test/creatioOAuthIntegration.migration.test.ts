/**
 * A stack deployed by the first version (which reached Creatio's database directly) must `pulumi up`
 * to this one without replacing the integration (a replacement would restore and re-enable Creatio),
 * and `pulumi destroy` must still restore Creatio. The state below is what that version's provider
 * wrote (test/fixtures/creatio-integration-state-0.1.json), and Creatio is left as it left it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { creatioOAuthIntegrationProvider as provider, CreatioOAuthIntegrationOutputs } from "../components/creatioOAuthIntegration";
import { ALL_EMPLOYEES_ID, SYSTEM_ADMINISTRATORS_ID } from "../lib/creatio/constants";
import { connectCreatio } from "../lib/creatio/session";
import { postSysSettingsValues } from "../lib/creatio/services";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  creatioRows,
  CREATIO_PASSWORD,
  integrationInputs,
  oauthStates,
  SECRET_CODE,
  SYSADMIN_ROW_ID,
  URL_CODE,
  ID_CODE,
  useCreatioWorld,
} from "./support/creatioHarness";
import { query } from "./support/pg";

const h = useCreatioWorld();

/** The 0.1 state with this test's stand-ins, and Creatio as 0.1's create left it. */
async function deployedByFirstVersion(): Promise<{ id: string; state: Record<string, any> }> {
  const text = readFileSync(join(__dirname, "fixtures", "creatio-integration-state-0.1.json"), "utf8")
    .split("{{creatioUrl}}")
    .join(h.creatio.url)
    .split("{{identityServerUrl}}")
    .join(h.identity.url)
    .split("{{creatioDatabaseUrl}}")
    .join(h.db.url)
    .split("{{creatioDatabaseHost}}")
    .join(`${h.db.host}:${h.db.port}/${h.db.name}`)
    .split("{{clientSecret}}")
    .join(CLIENT_SECRET)
    .split("{{creatioPassword}}")
    .join(CREATIO_PASSWORD);
  const { id, outs } = JSON.parse(text);
  // What 0.1's create did: feature rows by SQL, the settings through Creatio's API.
  await query(h.db.url, `UPDATE "AdminUnitFeatureState" SET "FeatureState" = 1 WHERE "Id" = $1`, [SYSADMIN_ROW_ID]);
  await query(h.db.url, `INSERT INTO "AdminUnitFeatureState" ("Id", "SysAdminUnitId", "FeatureId", "FeatureState") VALUES ($1, $2, $3, 1)`, [
    outs.insertedFeatureStateIds[0],
    ALL_EMPLOYEES_ID,
    outs.featureId,
  ]);
  const client = await connectCreatio({ url: h.creatio.url, username: "Supervisor", password: CREATIO_PASSWORD, netCore: false, timeoutMs: 10000 });
  await postSysSettingsValues(client, { [URL_CODE]: h.identity.url, [ID_CODE]: CLIENT_ID, [SECRET_CODE]: CLIENT_SECRET });
  h.extraSecrets.push(h.db.url);
  return { id, state: outs };
}

const fixtureBefore = () => creatioRows(h);

it("plans an in-place update, never a replacement, for a state written by the first version", async () => {
  const { id, state } = await deployedByFirstVersion();
  const news = (await provider.check!({} as any, integrationInputs(h) as any)).inputs!;
  expect(await provider.diff!(id, state as any, news)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
});

it("updates the first version's state to this one's, keeping what it found, and adds the default resource", async () => {
  const { id, state } = await deployedByFirstVersion();
  const news = (await provider.check!({} as any, integrationInputs(h) as any)).inputs!;
  const outs = (await provider.update!(id, state as any, news)).outs as CreatioOAuthIntegrationOutputs;
  expect(outs.creatio).toEqual({ url: h.creatio.url, username: "Supervisor", password: CREATIO_PASSWORD, netCore: false });
  expect(outs.previousFeatureStates).toEqual(state.previousFeatureStates);
  expect(outs.insertedFeatureStateIds).toEqual(state.insertedFeatureStateIds);
  expect(outs.previousSettings).toEqual([
    { code: URL_CODE, value: "", hadValue: false },
    { code: ID_CODE, value: null, hadValue: false },
    { code: SECRET_CODE, value: null, hadValue: false },
  ]);
  expect(outs).toMatchObject({ complete: true, featureStates: { [SYSTEM_ADMINISTRATORS_ID]: 1, [ALL_EMPLOYEES_ID]: 1 } });
  expect(outs.createdDefaultResource).toMatch(/^ApplicationAccess_/);
  expect(JSON.stringify(outs)).not.toContain(h.db.url);
  // And then it is an ordinary state: no change planned.
  const read = await provider.read!(id, outs);
  expect(await provider.diff!(id, read.props!, news)).toMatchObject({ changes: false });
});

it("destroys from the first version's state, putting Creatio back as 0.1 found it", async () => {
  const before = await fixtureBefore();
  const { id, state } = await deployedByFirstVersion();
  await provider.delete!(id, state as any);
  expect(await creatioRows(h)).toEqual(before);
  expect(await oauthStates(h)).toEqual({ [SYSTEM_ADMINISTRATORS_ID]: 0 });
});

it("refreshes the first version's state into this one's shape", async () => {
  const { id, state } = await deployedByFirstVersion();
  const read = await provider.read!(id, state as any);
  expect(read.props!.creatio).not.toHaveProperty("databaseConnectionString");
  expect(read.props!.featureStates).toEqual({ [SYSTEM_ADMINISTRATORS_ID]: 1, [ALL_EMPLOYEES_ID]: 1 });
  expect(read.props!.defaultResource).toBeNull();
});
