/** The client Creatio uses: a generated or supplied id and secret, and its rotation. */
import { DbProvider } from "../../lib/connectionString";
import { CLIENT_SYNC_UNSUPPORTED, DATABASE_SUPPORT } from "../../lib/databaseSupport";
import { StackConfig } from "../types";
import { ConfigContext } from "../values";

export function clientConfig(ctx: ConfigContext, dbProvider: DbProvider): StackConfig["client"] {
  const { typed } = ctx;
  if (typed.rotation !== undefined && !DATABASE_SUPPORT[dbProvider].clientSync) {
    ctx.problem("rotation", `${CLIENT_SYNC_UNSUPPORTED}. Fix: \`pulumi config rm rotation\` (which itself changes the generated secret) and follow that procedure.`);
  }
  if (typed.clientSecret !== undefined && typed.rotation !== undefined) {
    ctx.problem("rotation", "rotates the generated client secret, but clientSecret is supplied. Fix: rotate by setting a new clientSecret, and `pulumi config rm rotation`.");
  }
  return { creatioUrl: typed.creatioUrl, clientName: typed.clientName, clientId: typed.clientId, clientSecret: ctx.secret("clientSecret"), rotation: typed.rotation };
}
