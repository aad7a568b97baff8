/**
 * The dynamic provider's orchestration: which steps run, in which order, and what is put back when
 * one fails. The steps (steps.ts) talk to Creatio; compensation.ts undoes them; state.ts says what
 * is recorded. Everything goes through Creatio's HTTP API as the administrator in `creatio`: no
 * database connection is ever opened.
 *
 * create, each step only after the one before it succeeded: 1 log in; 2 wait until the Identity
 * Service issues a client_credentials token for this client while 3 reads what is there (one
 * BatchQuery; neither changes anything); 4 enable
 * OAuth20Integration and clear Creatio's feature cache; 5 write the three settings; 6 create the
 * default OAuth resource when there is none. A failure undoes the steps before it, last first.
 *
 * Runs in Pulumi's dynamic-provider process after closure serialization: Node and npm modules are
 * required inside the functions, and every message passes through `redact`.
 */
import * as pulumi from "@pulumi/pulumi";
import { OAUTH_FEATURE_CODE, OAUTH_SETTING_CODES, OAUTH_SETTING_CODE_LIST, oauthSettingValues } from "../../lib/creatio/constants";
import { selectBatch } from "../../lib/creatio/dataService";
import {
  defaultResourceOf,
  defaultResources,
  featureByCode,
  featureIdOf,
  FeatureStateRow,
  featureStatesByCode,
  featureStatesOf,
  settingsByCode,
  settingTextsOf,
  settingValuesByCode,
} from "../../lib/creatio/entities";
import { CreatioClient } from "../../lib/creatio/session";
import { safeUrl } from "../../lib/http";
import { waitForIdentityService } from "../../lib/identityServiceProbe";
import { redactingErrors } from "../../lib/redact";
import { checkWith } from "../../lib/inputChecks";
import { connectAsAdministrator, providerLog } from "../../lib/creatio/providerSupport";
import { clearCacheAfterUndo, foundSettingValues, LOST_SECRET_WARNING, partialStateError, putBackSettings, runUndo, UndoAction, undoFeatureChange } from "./compensation";
import { IntegrationInputs, resolveInputs, secretsOf, validateInputs } from "./inputs";
import { changedInputs, diffState, driftOf, IntegrationState, isFirstVersionState, normalizeState, stateMap, STATE_ONLY_INPUTS } from "./state";
import { addDefaultResource, clearFeatures, enableFeature, FeatureChange, FoundInCreatio, readCreatio, writeSettings } from "./steps";

const log = providerLog;
const connect = connectAsAdministrator;

/** Step 2: the Identity Service must issue a token for this very client before Creatio is pointed at it. */
async function awaitIdentityService(i: IntegrationInputs, secrets: string[]): Promise<void> {
  const url = i.identityServerCheckUrl ?? i.identityServerUrl;
  log("info", `checking that the Identity Service at ${safeUrl(url)} issues a token for client ${i.clientId}`, secrets);
  try {
    await waitForIdentityService({
      url,
      clientId: i.clientId,
      clientSecret: i.clientSecret,
      caPem: i.identityServerCaPem,
      timeoutMs: i.readinessTimeoutSeconds * 1000,
      onWait: (m) => log("info", m, secrets),
    });
  } catch (e) {
    throw new Error(`${(e as Error).message} Nothing was changed in Creatio.`);
  }
}

/**
 * Steps 2 and 3 side by side: neither changes anything, and neither needs the other, so the reads
 * (one BatchQuery) overlap the readiness wait. Both are awaited to the end; the Identity Service's
 * failure is reported first, as when they ran one after the other.
 */
async function readyAndRead(i: IntegrationInputs, client: CreatioClient, secrets: string[]): Promise<FoundInCreatio> {
  const [ready, read] = await Promise.allSettled([awaitIdentityService(i, secrets), readCreatio(client, i.featureAdminUnitIds)]);
  if (ready.status === "rejected") throw ready.reason;
  if (read.status === "rejected") throw read.reason;
  return read.value;
}

/** What one run of steps 4-6 did. */
interface SwitchDone {
  readonly feature: FeatureChange;
  readonly written: string[];
  readonly created: string | null;
}

interface SwitchPlan {
  readonly featureId: string;
  readonly rows: readonly FeatureStateRow[];
  /** State rows this stack added earlier for units no longer targeted. */
  readonly ownRowsToDrop: readonly string[];
  readonly writeSettings: boolean;
  /** What each setting goes back to if a later step fails. */
  readonly settingsBefore: Record<string, string>;
  readonly defaultResource: string | null;
}

/** Steps 4-6. On failure, runs the undo of what they did and returns the outcome with the error. */
async function switchOver(client: CreatioClient, i: IntegrationInputs, plan: SwitchPlan): Promise<{ done: SwitchDone; error?: Error; undo?: Awaited<ReturnType<typeof runUndo>> }> {
  const feature = await enableFeature(client, plan.featureId, plan.rows, i.featureAdminUnitIds, plan.ownRowsToDrop, () => require("crypto").randomUUID());
  // runUndo goes last-first: the cache is cleared after the rows are back, the settings go back first.
  const undo: UndoAction[] = [clearCacheAfterUndo(client), ...undoFeatureChange(client, plan.featureId, feature.did)];
  let done: SwitchDone = { feature: feature.did, written: [], created: null };
  const fail = async (error: Error) => ({ done, error, undo: await runUndo(undo) });
  if (feature.error) return fail(feature.error);
  const cleared = await clearFeatures(client);
  if (cleared.error) return fail(cleared.error);
  if (plan.writeSettings) {
    const settings = await writeSettings(client, oauthSettingValues(i), i.creatio.username);
    done = { ...done, written: settings.did };
    const back = Object.fromEntries(settings.did.map((c) => [c, plan.settingsBefore[c] ?? ""]));
    if (settings.did.length > 0) undo.push(putBackSettings(client, back));
    if (settings.error) return fail(settings.error);
  }
  if (i.createDefaultResource && plan.defaultResource === null) {
    // Last step: nothing after it to undo. A default resource it made stays (Creatio forbids deleting one).
    const added = await addDefaultResource(client, i.creatio.netCore);
    done = { ...done, created: added.did };
    if (added.error) return fail(added.error);
  }
  return { done };
}

/**
 * What still needs a restart. .NET 6/8 Creatio sets up its bearer-token check from
 * OAuth20IdentityServerUrl once, as it starts, and keeps accepting only the Identity Service it knew
 * then; each CreatioOAuthApplication checks with a token of its own (`creatioAcceptsTokens`).
 */
function restartNote(netCore: boolean): string {
  return netCore
    ? "Restart Creatio (.NET 6/8) so that it accepts tokens from this Identity Service: it reads OAuth20IdentityServerUrl for its bearer-token check only as it starts."
    : "Each CreatioOAuthApplication checks that Creatio accepts its tokens (creatioAcceptsTokens).";
}

/** The failure of a create or update after its undo ran: a plain error, or the partial-state error. */
function failure(op: string, error: Error, undo: Awaited<ReturnType<typeof runUndo>>, id: string, partial: Record<string, unknown>, inputs: object, secrets: string[]): Error {
  for (const w of undo.warnings) log("warn", `While putting Creatio back: ${w}`, secrets);
  if (undo.failed.length === 0) {
    return new Error(`${error.message} Everything this ${op} had changed in Creatio was put back${undo.done.length > 0 ? ` (${undo.done.join("; ")})` : ""}.`);
  }
  return partialStateError(
    `${error.message} Putting Creatio back did not finish: ${undo.failed.join("; ")}. ` +
      `The stack's state records what is still changed: run \`pulumi up\` again once Creatio answers (it finishes the switch-over), or \`pulumi destroy\` to put Creatio back.`,
    id,
    partial,
    inputs,
  );
}

/** Feature states after a successful switch-over, without asking Creatio again. */
function statesAfter(rows: readonly FeatureStateRow[], change: FeatureChange): Record<string, number> {
  const removed = new Set(change.removed.map((r) => r.id));
  return stateMap([...rows.filter((r) => !removed.has(r.id)).map((r) => ({ ...r, featureState: 1 })), ...change.inserted]);
}

async function createIntegration(raw: IntegrationInputs): Promise<pulumi.dynamic.CreateResult<IntegrationState>> {
  const i = resolveInputs(raw);
  const secrets = secretsOf(i);
  return redactingErrors(secrets, async () => {
    const client = await connect(i);
    const found = await readyAndRead(i, client, secrets);
    const id = `${OAUTH_FEATURE_CODE}@${safeUrl(i.creatio.url)}`;
    const before = foundSettingValues(found.settings, OAUTH_SETTING_CODE_LIST);
    const { done, error, undo } = await switchOver(client, i, {
      featureId: found.featureId,
      rows: found.rows,
      ownRowsToDrop: [],
      writeSettings: true,
      settingsBefore: before.values,
      defaultResource: found.defaultResource,
    });
    const state: IntegrationState = {
      ...i,
      featureId: found.featureId,
      featureStates: statesAfter(found.rows, done.feature),
      previousFeatureStates: found.rows,
      insertedFeatureStateIds: done.feature.inserted.map((r) => r.id),
      settingsWritten: done.written,
      previousSettings: found.settings,
      defaultResource: done.created ?? found.defaultResource,
      createdDefaultResource: done.created,
      complete: true,
    };
    if (error && undo) {
      if (before.lostSecret && done.written.includes(OAUTH_SETTING_CODES.clientSecret)) log("warn", LOST_SECRET_WARNING, secrets);
      throw failure("create", error, undo, id, { ...state, featureStates: stateMap(found.rows), complete: false }, raw, secrets);
    }
    log(
      "info",
      `Creatio now uses the Identity Service at ${safeUrl(i.identityServerUrl)}: ${OAUTH_FEATURE_CODE} enabled and its cache cleared, ${OAUTH_SETTING_CODE_LIST.join(", ")} written` +
        `${done.created ? `, default OAuth resource ${done.created} created` : ""}. ${restartNote(i.creatio.netCore)}`,
      secrets,
    );
    return { id, outs: state };
  });
}

async function updateIntegration(id: string, oldsRaw: IntegrationState, news: IntegrationInputs): Promise<pulumi.dynamic.UpdateResult<IntegrationState>> {
  const i = resolveInputs(news);
  const olds = normalizeState(oldsRaw);
  const secrets = secretsOf(i, oldsRaw);
  const firstVersion = isFirstVersionState(oldsRaw);
  // Only operational inputs changed and Creatio showed no drift: record them, touch nothing.
  const changed = changedInputs(olds, i);
  if (olds.complete && !firstVersion && driftOf(olds).length === 0 && changed.every((c) => STATE_ONLY_INPUTS.includes(c))) {
    return { outs: { ...olds, ...i } };
  }
  return redactingErrors(secrets, async () => {
    const client = await connect(i);
    const current = await readyAndRead(i, client, secrets);
    const ours = new Set(olds.insertedFeatureStateIds);
    const known = new Set([...olds.previousFeatureStates.map((r) => r.id), ...ours]);
    const targets = new Set(i.featureAdminUnitIds);
    const settingsChanged = !olds.complete || firstVersion || (["identityServerUrl", "clientId", "clientSecret"] as const).some((k) => olds[k] !== i[k]);
    const { done, error, undo } = await switchOver(client, i, {
      featureId: current.featureId,
      rows: current.rows,
      ownRowsToDrop: current.rows.filter((r) => ours.has(r.id) && !targets.has(r.sysAdminUnitId)).map((r) => r.id),
      writeSettings: settingsChanged,
      // Undo goes back to what Creatio held before this update: this stack's earlier values, or
      // what create found when create itself did not finish.
      settingsBefore: olds.complete && !firstVersion ? oauthSettingValues(olds) : foundSettingValues(olds.previousSettings, OAUTH_SETTING_CODE_LIST).values,
      defaultResource: current.defaultResource,
    });
    const removed = new Set(done.feature.removed.map((r) => r.id));
    const state: IntegrationState = {
      ...i,
      featureId: current.featureId,
      featureStates: statesAfter(current.rows, done.feature),
      // Rows found now that the state does not know were there before this stack: remember them as found.
      previousFeatureStates: [...olds.previousFeatureStates, ...current.rows.filter((r) => !known.has(r.id))],
      insertedFeatureStateIds: [...olds.insertedFeatureStateIds.filter((r) => !removed.has(r)), ...done.feature.inserted.map((r) => r.id)],
      settingsWritten: OAUTH_SETTING_CODE_LIST.filter((c) => olds.settingsWritten.includes(c) || done.written.includes(c)),
      previousSettings: olds.previousSettings,
      defaultResource: done.created ?? current.defaultResource,
      createdDefaultResource: olds.createdDefaultResource ?? done.created,
      complete: true,
    };
    if (error && undo) {
      const partial = {
        ...state,
        insertedFeatureStateIds: [...new Set([...olds.insertedFeatureStateIds, ...state.insertedFeatureStateIds])],
        featureStates: stateMap(current.rows),
        complete: false,
      };
      throw failure("update", error, undo, id, partial, news, secrets);
    }
    log(
      "info",
      `Creatio's OAuth 2.0 set-up brought in line for the Identity Service at ${safeUrl(i.identityServerUrl)}${settingsChanged ? " (settings rewritten)" : ""}.`,
      secrets,
    );
    return { outs: state };
  });
}

async function deleteIntegration(_id: string, raw: IntegrationState): Promise<void> {
  const state = normalizeState(raw);
  const secrets = secretsOf(raw);
  await redactingErrors(secrets, async () => {
    const client = await connect(state);
    const { values, lostSecret } = foundSettingValues(state.previousSettings, state.settingsWritten);
    // Reverse order of create, since runUndo runs last-first: settings, then feature rows, then the cache.
    const everything: FeatureChange = {
      switchedOn: state.previousFeatureStates,
      inserted: state.insertedFeatureStateIds.map((id) => ({ id, sysAdminUnitId: "", featureState: 1 })),
      removed: [],
    };
    const actions: UndoAction[] = [clearCacheAfterUndo(client), ...undoFeatureChange(client, state.featureId, everything)];
    if (Object.keys(values).length > 0) actions.push(putBackSettings(client, values));
    const outcome = await runUndo(actions);
    for (const w of outcome.warnings) log("warn", w, secrets);
    if (outcome.failed.length > 0) {
      throw new Error(
        `Could not put Creatio back as it was: ${outcome.failed.join("; ")}. Put back so far: ${outcome.done.join("; ") || "nothing"}. ` +
          `The stack keeps its record of what it changed: run \`pulumi destroy\` again once Creatio answers.`,
      );
    }
    if (lostSecret) log("warn", LOST_SECRET_WARNING, secrets);
    if (state.createdDefaultResource) {
      log(
        "info",
        `Creatio's default OAuth resource ${state.createdDefaultResource}, created by this stack, stays: Creatio forbids deleting OAuth resources. It is harmless without the Identity Service.`,
        secrets,
      );
    }
    log("info", `Creatio put back as found: ${OAUTH_FEATURE_CODE} states and ${state.settingsWritten.join(", ") || "no settings"} restored; its feature cache cleared.`, secrets);
  });
}

async function readIntegration(id: string, props?: IntegrationState): Promise<pulumi.dynamic.ReadResult<IntegrationState>> {
  if (!props || !props.creatio) {
    throw new Error(
      "CreatioOAuthIntegration cannot be imported: it has to create its own record of what it found in Creatio and what it changed. Create it with `pulumi up` instead.",
    );
  }
  const state = normalizeState(props);
  return redactingErrors(secretsOf(props), async () => {
    const client = await connect(state);
    // Everything read is in one BatchQuery (one request after the login).
    const codes = [OAUTH_SETTING_CODES.url, OAUTH_SETTING_CODES.clientId];
    const [features, stateRows, settingRows, valueRows, resourceRows] = await selectBatch(client, [
      featureByCode(OAUTH_FEATURE_CODE),
      featureStatesByCode(OAUTH_FEATURE_CODE),
      settingsByCode(codes),
      settingValuesByCode(codes),
      defaultResources(),
    ]);
    const known = new Set(settingRows.map((r) => String(r.Code)));
    const texts = settingTextsOf(codes, valueRows);
    // A setting Creatio does not have: keep what we know. One without a value: that is drift, and the next update rewrites it.
    const asText = (code: string, earlier: string) => (!known.has(code) ? earlier : (texts[code] ?? ""));
    return {
      id,
      props: {
        ...state,
        featureId: featureIdOf(features) ?? state.featureId,
        featureStates: stateMap(featureStatesOf(stateRows)),
        identityServerUrl: asText(OAUTH_SETTING_CODES.url, state.identityServerUrl),
        clientId: asText(OAUTH_SETTING_CODES.clientId, state.clientId),
        defaultResource: defaultResourceOf(resourceRows),
      },
    };
  });
}

/** The dynamic provider. */
export const creatioOAuthIntegrationProvider: pulumi.dynamic.ResourceProvider<IntegrationInputs, IntegrationState> = {
  check: checkWith<IntegrationInputs>(validateInputs),
  async diff(_id, olds, news) {
    return diffState(olds, news);
  },
  create: createIntegration,
  read: readIntegration,
  update: updateIntegration,
  delete: deleteIntegration,
};
