/**
 * The dynamic provider's orchestration for one "OAuth 2.0 integrated application": which steps run,
 * in which order, and what is undone when one fails. Everything goes through Creatio's HTTP API as
 * the administrator in `creatio`; the Identity Service is only asked for a token.
 *
 * create: 1 log in; 2 resolve the system user (a user, not a role) and check that exactly one
 * default OAuth resource exists: nothing is changed before both pass; 3 AddClient (the Identity
 * Service generates the client id and secret) and the description; 4 wait until the Identity
 * Service issues the new client a client_credentials token; 5 call Creatio's OData API with that
 * token (`creatioAcceptsTokens`, never a failure); 6 deactivate it when `active` is false.
 * A failure after 3 deletes the new client again; if that fails too, Pulumi's partial-state error
 * records the client, so `pulumi up` finishes it or `pulumi destroy` deletes it.
 *
 * Runs in Pulumi's dynamic-provider process after closure serialization: Node and npm modules are
 * required inside the functions, and every message passes through `redact`.
 */
import * as pulumi from "@pulumi/pulumi";
import { clientAppByClientId, deleteClient, isSystemAdministrator, updateClient } from "../../lib/creatio/clientApps";
import { safeUrl } from "../../lib/http";
import { clientCredentialsToken, waitForIdentityService } from "../../lib/identityServiceProbe";
import { creatioAcceptsToken } from "../../lib/creatio/bearerCheck";
import { creatioAppUrl } from "../../lib/creatio/session";
import { messageOf, redactingErrors } from "../../lib/redact";
import { checkWith } from "../../lib/inputChecks";
import { connectAsAdministrator, CREATIO_CALL_TIMEOUT_MS, providerLog } from "../../lib/creatio/providerSupport";
import { OAUTH_DISABLED_PATTERN, oauthConfigFileFix } from "../../lib/creatio/services";
import { deleteNewClient, partialStateError, putBackDescription, putBackFields, runUndo, UndoAction } from "./compensation";
import { ApplicationInputs, resolveInputs, secretsOf, validateInputs } from "./inputs";
import { ApplicationState, changedFields, diffState } from "./state";
import { createClientApp, requireOneDefaultResource, resolveSystemUser, updateClientApp, updateRequest } from "./steps";

const log = providerLog;
const connect = connectAsAdministrator;

/** A failure's message as one sentence, with what to do about a refusal whose cause is known. */
function explained(message: string, netCore: boolean): string {
  const hint = OAUTH_DISABLED_PATTERN.test(message)
    ? ` (${oauthConfigFileFix(netCore).replace(/\.+$/, "")})`
    : /Unable to connect to OAuth server|Unable to handle client application/.test(message)
      ? " (Creatio cannot use the Identity Service its OAuth20IdentityServer* system settings name: CreatioOAuthIntegration must have run first, and the applications must go before it is destroyed)"
      : "";
  return `${message.replace(/\.+$/, "")}${hint}.`;
}

/** Step 4: the Identity Service issues the new client a client_credentials token (returned, never logged). */
async function awaitToken(i: ApplicationInputs, clientId: string, clientSecret: string, secrets: string[]): Promise<string> {
  const url = i.identityServerCheckUrl ?? i.identityServerUrl;
  log("info", `checking that the Identity Service at ${safeUrl(url)} issues a token for the new client ${clientId} ("${i.name}")`, secrets);
  try {
    const { accessToken } = await waitForIdentityService({
      url,
      clientId,
      clientSecret,
      caPem: i.identityServerCaPem,
      timeoutMs: i.readinessTimeoutSeconds * 1000,
      onWait: (m) => log("info", m, secrets),
    });
    secrets.push(accessToken);
    return accessToken;
  } catch (e) {
    throw new Error(`No token for the client ${clientId} of "${i.name}": ${messageOf(e)}`);
  }
}

/**
 * Step 5: does Creatio's API take the token (`creatioAcceptsToken`)? Never a failure: the application
 * exists and is right either way; the answer becomes `creatioAcceptsTokens`, and the program warns
 * when it is false (a dynamic provider's log does not reach the engine).
 */
async function checkCreatioTakesToken(i: ApplicationInputs, clientId: string, accessToken: string, secrets: string[]): Promise<boolean> {
  const { accepted, detail } = await creatioAcceptsToken(creatioAppUrl(i.creatio.url, i.creatio.netCore), accessToken, CREATIO_CALL_TIMEOUT_MS);
  log(
    "info",
    accepted
      ? `Creatio accepts the tokens of "${i.name}" (client ${clientId}): ${detail}.`
      : `Creatio does not accept the tokens of "${i.name}" (client ${clientId}) yet: ${detail}. ` +
          "Restart Creatio (.NET 6/8 Creatio reads OAuth20IdentityServerUrl for its bearer-token check only as it starts), then run `pulumi refresh`.",
    secrets,
  );
  return accepted;
}

/** A fresh token for an existing client, then step 5; false, with the reason logged, when no token comes. */
async function recheckTokens(i: ApplicationInputs, clientId: string, clientSecret: string, secrets: string[]): Promise<boolean> {
  let accessToken: string;
  try {
    accessToken = await clientCredentialsToken({
      url: i.identityServerCheckUrl ?? i.identityServerUrl,
      clientId,
      clientSecret,
      caPem: i.identityServerCaPem,
      timeoutMs: CREATIO_CALL_TIMEOUT_MS,
    });
  } catch (e) {
    log("info", `No token for "${i.name}" (client ${clientId}) to show Creatio: ${messageOf(e)}.`, secrets);
    return false;
  }
  secrets.push(accessToken);
  return checkCreatioTakesToken(i, clientId, accessToken, secrets);
}

function describeUser(i: ApplicationInputs, user: { isAdministrator: boolean; active: boolean }, secrets: string[]): void {
  if (user.isAdministrator) {
    log(
      "warn",
      `The integrated application "${i.name}" acts as "${i.systemUser}", a member of System administrators: a leaked client secret gives full control of Creatio. Prefer a user with only the rights the application needs.`,
      secrets,
    );
  }
  if (!user.active) log("warn", `The system user "${i.systemUser}" of "${i.name}" is inactive in Creatio: the application's requests will fail until it is active.`, secrets);
}

async function createApplication(raw: ApplicationInputs): Promise<pulumi.dynamic.CreateResult<ApplicationState>> {
  const i = resolveInputs(raw);
  const secrets = secretsOf(i);
  return redactingErrors(secrets, async () => {
    const client = await connect(i);
    const user = await resolveSystemUser(client, i);
    await requireOneDefaultResource(client);
    const created = await createClientApp(client, i, user.id, (s) => void secrets.push(s));
    const { clientId, clientSecret, record } = created.did;
    if (!clientId || !clientSecret) {
      const refused = /OAuthConfigService AddClient failed/.test(messageOf(created.error));
      throw new Error(
        `${explained(messageOf(created.error), i.creatio.netCore)} ` +
          (refused
            ? "Creatio refused it: nothing was changed in Creatio."
            : `If Creatio received the call, an application named "${i.name}" may exist now: look in Creatio's OAuth 2.0 integrated applications and delete it before running \`pulumi up\` again.`),
      );
    }
    const state: { -readonly [K in keyof ApplicationState]: ApplicationState[K] } = {
      ...i,
      recordId: record?.id ?? "",
      clientId,
      clientSecret,
      systemUserId: user.id,
      systemUserIsAdministrator: user.isAdministrator,
      creatioAcceptsTokens: false,
      complete: true,
    };
    let error = created.error;
    let accessToken: string | undefined;
    if (!error) accessToken = await awaitToken(i, clientId, clientSecret, secrets).catch((e) => void (error = e as Error));
    // Before an inactive application is deactivated: afterwards it gets no token to try.
    if (!error && accessToken) state.creatioAcceptsTokens = await checkCreatioTakesToken(i, clientId, accessToken, secrets);
    if (!error && !i.active) {
      await updateClient(client, updateRequest(clientId, i, user.id)).catch((e) => void (error = new Error(`Deactivating the new client failed: ${messageOf(e)}`)));
    }
    if (error) {
      const undo = await runUndo([deleteNewClient(client, clientId)]);
      if (undo.failed.length === 0) throw new Error(`${error.message} The new client was deleted again: nothing stays changed in Creatio.`);
      throw partialStateError(
        `${error.message} Deleting the new client ${clientId} again failed too (${undo.failed.join("; ")}). The stack's state records it: ` +
          "run `pulumi up` to finish setting it up, or `pulumi destroy` to delete it.",
        record?.id || clientId,
        { ...state, complete: false },
        raw,
      );
    }
    describeUser(i, user, secrets);
    log(
      "info",
      `Integrated application "${i.name}" created in Creatio: client ${clientId}, system user ${i.systemUser}${i.active ? "" : ", inactive"}; the Identity Service issues it tokens.`,
      secrets,
    );
    return { id: state.recordId || clientId, outs: state };
  });
}

async function updateApplication(id: string, olds: ApplicationState, news: ApplicationInputs): Promise<pulumi.dynamic.UpdateResult<ApplicationState>> {
  const i = resolveInputs(news);
  const secrets = secretsOf(i, olds);
  const fields = changedFields(olds, i);
  const repair = olds.complete === false;
  // Only operational inputs changed (the Identity Service URL, Creatio's password, ...): record them,
  // and creatioAcceptsTokens when a state from an earlier version lacks it (no login needed).
  if (!repair && fields.length === 0) {
    const observed =
      typeof olds.creatioAcceptsTokens === "boolean"
        ? olds.creatioAcceptsTokens
        : i.active
          ? await redactingErrors(secrets, () => recheckTokens(i, olds.clientId, olds.clientSecret, secrets))
          : false;
    return { outs: { ...olds, ...i, creatioAcceptsTokens: observed } };
  }
  return redactingErrors(secrets, async () => {
    const client = await connect(i);
    const record = await clientAppByClientId(client, olds.clientId);
    if (!record) {
      throw new Error(
        `The integrated application "${olds.name}" (client ${olds.clientId}) is no longer in Creatio (deleted in its UI?). Run \`pulumi refresh\` ` +
          "(or `pulumi up --refresh`): the stack then forgets it, and the next `pulumi up` creates it again with a new client id and secret.",
      );
    }
    const user =
      repair || fields.includes("systemUser") || !olds.systemUserId
        ? await resolveSystemUser(client, i)
        : { id: olds.systemUserId, isAdministrator: olds.systemUserIsAdministrator, active: true };
    const request = repair || fields.some((f) => f !== "description") ? updateRequest(olds.clientId, i, user.id) : undefined;
    const description = repair || fields.includes("description") ? { recordId: record.id, value: i.description } : undefined;
    const done = await updateClientApp(client, request, description);
    let error = done.error;
    if (!error && repair && i.active) await awaitToken(i, olds.clientId, olds.clientSecret, secrets).catch((e) => void (error = e as Error));
    // Observed again while the client gets tokens; kept as it was while it is inactive.
    const creatioAcceptsTokens = !error && i.active ? await recheckTokens(i, olds.clientId, olds.clientSecret, secrets) : olds.creatioAcceptsTokens === true;
    if (error) {
      const undo: UndoAction[] = [];
      if (done.did.fields) undo.push(putBackFields(client, updateRequest(olds.clientId, record, record.systemUserId ?? olds.systemUserId)));
      if (done.did.description) undo.push(putBackDescription(client, record.id, record.description));
      const outcome = await runUndo(undo);
      const message = explained(error.message, i.creatio.netCore);
      if (outcome.failed.length === 0) throw new Error(`${message} ${undo.length > 0 ? "Its earlier values were put back" : "Nothing was changed in Creatio"}.`);
      const now: ApplicationState = {
        ...olds,
        ...(done.did.fields
          ? { name: i.name, applicationUrl: i.applicationUrl, redirectUrl: i.redirectUrl, active: i.active, systemUser: i.systemUser, systemUserId: user.id }
          : {}),
        ...(done.did.description ? { description: i.description } : {}),
        recordId: record.id,
        creatioAcceptsTokens: olds.creatioAcceptsTokens === true,
      };
      throw partialStateError(
        `${message} Putting the earlier values back failed too (${outcome.failed.join("; ")}); the stack's state records what Creatio has now: run \`pulumi up\` again once Creatio answers.`,
        id,
        { ...now },
        news,
      );
    }
    if (fields.includes("systemUser")) describeUser(i, user, secrets);
    log("info", `Integrated application "${i.name}" (client ${olds.clientId}) changed in place in Creatio: ${repair ? "set up again" : fields.join(", ")}.`, secrets);
    return { outs: { ...olds, ...i, recordId: record.id, systemUserId: user.id, systemUserIsAdministrator: user.isAdministrator, creatioAcceptsTokens, complete: true } };
  });
}

async function deleteApplication(_id: string, state: ApplicationState): Promise<void> {
  const secrets = secretsOf(state);
  await redactingErrors(secrets, async () => {
    const client = await connect(state);
    let outcome: "deleted" | "absent";
    try {
      outcome = await deleteClient(client, state.clientId);
    } catch (e) {
      throw new Error(
        `Deleting the integrated application "${state.name}" (client ${state.clientId}) failed: ${explained(messageOf(e), state.creatio.netCore)} Nothing was deleted: ` +
          "run `pulumi destroy` again once Creatio and the Identity Service answer.",
      );
    }
    log(
      "info",
      outcome === "deleted"
        ? `Integrated application "${state.name}" (client ${state.clientId}) deleted from Creatio and the Identity Service.`
        : `Integrated application "${state.name}" (client ${state.clientId}) was already gone from Creatio.`,
      secrets,
    );
  });
}

async function readApplication(id: string, props?: ApplicationState): Promise<pulumi.dynamic.ReadResult<ApplicationState>> {
  if (!props || !props.creatio || !props.clientId) {
    throw new Error(
      "CreatioOAuthApplication cannot be imported: it needs Creatio's address and an administrator's login from its inputs. Declare the application and let `pulumi up` create it.",
    );
  }
  const secrets = secretsOf(props);
  return redactingErrors(secrets, async () => {
    const client = await connect(props);
    const record = await clientAppByClientId(client, props.clientId);
    if (!record) {
      // An empty id tells the engine the resource is gone: refresh drops it, the next `up` creates it again.
      log("info", `Integrated application "${props.name}" (client ${props.clientId}) is no longer in Creatio; the next \`pulumi up\` creates it again.`, secrets);
      return { id: "" };
    }
    const systemUserId = record.systemUserId ?? props.systemUserId;
    // Re-checked on every refresh (after a restart of Creatio it turns true); an inactive application gets no token, so it keeps its value.
    const inputs = { ...props, creatio: { ...props.creatio, netCore: props.creatio.netCore === true }, name: record.name };
    const creatioAcceptsTokens = record.active ? await recheckTokens(inputs, props.clientId, props.clientSecret, secrets) : props.creatioAcceptsTokens === true;
    return {
      id: record.id,
      props: {
        ...props,
        recordId: record.id,
        name: record.name,
        applicationUrl: record.applicationUrl,
        redirectUrl: record.redirectUrl,
        description: record.description,
        active: record.active,
        systemUser: record.systemUser ?? props.systemUser,
        systemUserId,
        systemUserIsAdministrator: systemUserId ? await isSystemAdministrator(client, systemUserId) : false,
        creatioAcceptsTokens,
      },
    };
  });
}

/** The dynamic provider. */
export const creatioOAuthApplicationProvider: pulumi.dynamic.ResourceProvider<ApplicationInputs, ApplicationState> = {
  check: checkWith<ApplicationInputs>(validateInputs),
  async diff(_id, olds, news) {
    return diffState(olds, news);
  },
  create: createApplication,
  read: readApplication,
  update: updateApplication,
  delete: deleteApplication,
};
