/** The Identity Service image and container: where the image comes from, ports, URLs. */
import * as fs from "node:fs";
import * as path from "node:path";
import { defaultPublicUrl } from "../../lib/defaults";
import { StackConfig } from "../types";
import { ConfigContext } from "../values";
import { DockerSettings } from "./docker";

export function serviceConfig(ctx: ConfigContext, docker: DockerSettings): StackConfig["service"] {
  const { typed } = ctx;
  // Image: a given image, or a build from the unpacked IdentityService.zip.
  let sourceDir: string | undefined;
  if (typed.image !== undefined) {
    ctx.onlyWith(["identityServiceSourceDir", "imageName"], "when the image is built (image is set)");
  } else {
    sourceDir = ctx.resolvePath(typed.identityServiceSourceDir);
    if (!fs.existsSync(path.join(sourceDir, "Dockerfile-OAuth"))) {
      ctx.problem(
        "identityServiceSourceDir",
        `no Dockerfile-OAuth in ${sourceDir}. Fix: unpack IdentityService.zip from your Creatio distribution there, ` +
          "or point the key at it (`pulumi config set identityServiceSourceDir <folder>`), or use a prebuilt image (`pulumi config set image <name>`).",
      );
    }
  }
  if (typed.httpPort === typed.httpsPort) ctx.problem("httpsPort", `must differ from httpPort (both are ${typed.httpPort}). Fix: \`pulumi config set httpsPort 8443\`.`);
  const publicUrl: string = typed.publicUrl ?? defaultPublicUrl(typed.httpsPort);
  return {
    sourceDir,
    image: typed.image,
    imageName: typed.imageName,
    containerName: typed.containerName,
    httpPort: typed.httpPort,
    httpsPort: typed.httpsPort,
    listenAddress: typed.listenAddress,
    publicUrl,
    // Only the integration reads identityServerUrlForCreatio; without it this is the settings'
    // value the creatioSettings output shows for typing into Creatio.
    urlForCreatio: typed.identityServerUrlForCreatio ?? publicUrl,
    logLevel: typed.logLevel,
    redisConnection: ctx.secret("redisConnection"),
    dockerHost: docker.host,
    dockerConnection: docker.connection,
  };
}
