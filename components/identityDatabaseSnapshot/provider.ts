import * as pulumi from "@pulumi/pulumi";
import { partialStateError, plain } from "../../lib/undo";
import { isUnknownValue } from "../../lib/unknownValues";
import { pgClientConfig } from "../../lib/connectionString";
import {
  isSnapshotNotFound,
  listSnapshots,
  msSqlNotBackedUpWarning as msSqlWarning,
  pruneSnapshots,
  Query,
  restoreSnapshot,
  rollbackHint,
  snapshotNotFound,
  snapshotNotFoundMessage,
  takeSnapshot,
} from "../../lib/databaseSnapshots";
import { shortImageLabel } from "../../lib/imageTag";
import { IDENTITY_DATABASE_SNAPSHOT_PROPERTIES, IdentityDatabaseSnapshotInputs, IdentityDatabaseSnapshotOutputs, inputFailures, restoreWanted, snapshotsSupported } from "./inputs";
import { changedInputs } from "../../lib/dynamicResource";
import { serviceWorkload } from "./workload";
import { providerLog } from "../../lib/providerLog";

/** IdentityDatabaseSnapshot's dynamic provider: snapshot on an image change, the declared restore, pruning (index.ts says when). */

/** PostgreSQL's message with its detail and SQLSTATE (a dependent view, a missing privilege, ...). */
function errorText(e: unknown): string {
  const err = e as { message?: string; detail?: string; code?: string };
  return `${err.message ?? String(e)}${err.detail ? ` (${err.detail})` : ""}${err.code ? ` [SQLSTATE ${err.code}]` : ""}`;
}

/** Runs `work` with a connection to the Identity Service database; errors name the database, never the connection string. */
async function withDatabase<T>(connectionString: string, work: (q: Query) => Promise<T>): Promise<T> {
  const config = pgClientConfig(connectionString);
  const { Client } = require("pg");
  const client = new Client({ ...config, connectionTimeoutMillis: 30000, application_name: "creatio-identity IdentityDatabaseSnapshot" });
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    throw new Error(`IdentityDatabaseSnapshot could not connect to the Identity Service database ${config.host}:${config.port}/${config.database}: ${(e as Error).message}`);
  }
  try {
    return await work((sql, params) => client.query(sql, params).then((r: { rows: any[] }) => r.rows));
  } catch (e) {
    if (isSnapshotNotFound(e) || (e as { properties?: unknown }).properties !== undefined) throw e;
    throw new Error(errorText(e));
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A line for the engine's output (lib/providerLog.ts). */
const say = (line: string) => providerLog("info", line);
const warn = (line: string) => providerLog("warn", line);

/** Create and update: snapshot on an image change, the declared restore, pruning. */
async function apply(id: string, olds: IdentityDatabaseSnapshotOutputs | undefined, news: IdentityDatabaseSnapshotInputs): Promise<IdentityDatabaseSnapshotOutputs> {
  const imageChanged = olds === undefined || olds.image !== news.image;
  const base: IdentityDatabaseSnapshotOutputs = {
    ...news,
    previousImage: olds && imageChanged ? olds.image : olds?.previousImage,
    snapshotBeforeImageChange: imageChanged ? undefined : olds?.snapshotBeforeImageChange,
    snapshots: olds?.snapshots ?? [],
    lastRestore: olds?.lastRestore,
  };
  // MS SQL: nothing to copy; diff (which runs in preview and before this update) has warned.
  if (!snapshotsSupported(news.dbProvider)) return { ...base, snapshots: [] };
  // Reached only when a restore needs it: a snapshot alone never talks to the Docker engine or the cluster.
  const workload = serviceWorkload(news);
  return withDatabase(news.connectionString, async (q) => {
    const restore = restoreWanted(olds, news) ? news.restore! : undefined;
    let stopped = false;
    if (restore) {
      const existing = await listSnapshots(q);
      if (!existing.some((s) => s.name === restore)) throw snapshotNotFound(restore, existing);
      stopped = await workload.stop();
    }
    const undoStop = async () => {
      if (stopped) await workload.startAgain().catch(() => undefined);
    };
    let outs = base;
    try {
      // On create there is no previous image on record: a database that already has tables is
      // copied as found (the container may be about to change), an empty one is left alone.
      if (imageChanged && news.keep > 0) {
        const leaving = olds?.image ?? "unknown (not recorded before)";
        const taken = await takeSnapshot(q, leaving, olds ? shortImageLabel(olds.image) : "adopted").catch((e) => {
          throw new Error(
            `IdentityDatabaseSnapshot could not copy the Identity Service database before the image changes to ${news.image}, so the service was left as it is: ${errorText(e)}. ` +
              "Fix the cause (the login needs CREATE on its database), or `pulumi config set databaseSnapshotsToKeep 0` to update without a snapshot.",
          );
        });
        if (taken.snapshot) {
          outs = { ...outs, snapshotBeforeImageChange: taken.snapshot.name };
          say(rollbackHint(taken.snapshot.name, olds?.image, news.image));
        } else if (olds) say(`No snapshot before the image changes to ${news.image}: ${taken.skipped}.`);
      } else if (olds && imageChanged)
        say(`databaseSnapshotsToKeep is 0: no snapshot of the Identity Service database before the image changes from ${olds.image} to ${news.image}.`);
    } catch (e) {
      await undoStop();
      throw e;
    }
    if (restore) {
      try {
        await restoreSnapshot(q, restore);
      } catch (e) {
        await undoStop();
        const message = `restoring snapshot ${restore} failed, nothing was changed (the transaction was rolled back): ${errorText(e)}`;
        // The snapshot taken above is recorded; the restore is not (the old value), so the next `up` tries it again.
        if (outs.snapshotBeforeImageChange) throw partialStateError(message, id, { ...outs, restore: olds?.restore, snapshots: await listSnapshots(q) }, news);
        throw new Error(message);
      }
      outs = { ...outs, lastRestore: { snapshot: restore, restoredAt: new Date().toISOString(), image: news.image } };
    }
    const pruned = await pruneSnapshots(
      q,
      news.keep,
      [news.restore, outs.snapshotBeforeImageChange].filter((n): n is string => !!n),
    ).catch((e) => {
      warn(`old snapshots could not be dropped (${(e as Error).message}); drop them by hand (docs/upgrade.md).`);
      return [];
    });
    if (pruned.length > 0) say(`Dropped snapshots beyond databaseSnapshotsToKeep (${news.keep}): ${pruned.join(", ")}.`);
    outs = { ...outs, snapshots: await listSnapshots(q) };
    if (restore && stopped) {
      // This resource stopped the service, so it runs it again and waits, like the health gate.
      const resumed = await workload
        .resume({ changes: imageChanged, reference: news.containerImage }, news.healthTimeoutSeconds * 1000)
        .catch((e: Error) => ({ leftStopped: false, problem: e.message }));
      say(`Restored snapshot ${restore}.${resumed.leftStopped ? ` The ${workload.label} stays stopped until it is replaced with ${news.image}.` : ""}`);
      if (resumed.problem) {
        throw partialStateError(
          `snapshot ${restore} was restored, but ${workload.label} is not healthy after starting it again: ${resumed.problem}. See ${workload.logsHint}.`,
          id,
          outs,
          news,
        );
      }
    } else if (restore) say(`Restored snapshot ${restore}.`);
    return outs;
  });
}

export const identityDatabaseSnapshotProvider: pulumi.dynamic.ResourceProvider<IdentityDatabaseSnapshotInputs, IdentityDatabaseSnapshotOutputs> = {
  async check(olds, news) {
    const failures = inputFailures(news);
    // A restore of a snapshot that does not exist stops `pulumi preview` (and `up`) before anything changes.
    if (failures.length === 0 && news.dbProvider === "Postgres" && restoreWanted(olds, news) && !isUnknownValue(news.connectionString) && !isUnknownValue(news.restore)) {
      const existing = await withDatabase(news.connectionString, listSnapshots).catch(() => undefined); // unreachable now: update checks again
      if (existing && !existing.some((s) => s.name === news.restore)) failures.push({ property: "restore", reason: snapshotNotFoundMessage(news.restore!, existing) });
    }
    return failures.length > 0 ? { inputs: news, failures } : { inputs: news };
  },

  async diff(_id, olds, news) {
    const changes = changedInputs(IDENTITY_DATABASE_SNAPSHOT_PROPERTIES, olds, news).length > 0;
    // Shown by `pulumi preview`, before anything happens: the time to take a backup by hand.
    if (!snapshotsSupported(news.dbProvider) && olds.image !== news.image && !isUnknownValue(news.image)) say(msSqlWarning(olds.image, news.image));
    return { changes, replaces: [], deleteBeforeReplace: false };
  },

  async create(inputs) {
    const { randomUUID } = require("crypto");
    const id: string = randomUUID();
    return { id, outs: plain(await apply(id, undefined, inputs)) };
  },

  async read(id, props) {
    if (!props || props.dbProvider !== "Postgres") return { id, props };
    // Snapshots dropped (or taken) by hand show as drift; an unreachable database leaves the state as
    // it is, and says so (the refresh goes on: the snapshots are a record, not the service).
    const snapshots = await withDatabase(props.connectionString, listSnapshots).catch((e: Error) => {
      warn(`IdentityDatabaseSnapshot could not read the snapshots for refresh, so the recorded list stays as it was: ${e.message}`);
      return props.snapshots;
    });
    return { id, props: plain({ ...props, snapshots }) };
  },

  async update(id, olds, news) {
    return { outs: plain(await apply(id, olds, news)) };
  },

  async delete(_id, props) {
    // Snapshots stay in the database: they are the user's backups (docs/upgrade.md says how to drop
    // them). When the database stays too (databaseRetainOnDelete), this is where `pulumi destroy`
    // says so: the engine runs no program then, only the providers.
    if (props?.keptOnDelete) warn(props.keptOnDelete);
  },
};
