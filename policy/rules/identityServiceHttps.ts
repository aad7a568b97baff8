/**
 * identity-service-https: the Identity Service container serves HTTPS (an https:// address in
 * ASPNETCORE_URLS, a Kestrel certificate, the HTTPS container port published).
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { resourceRule } from "../adapter";
import { containerEnv, ENV, isIdentityServiceContainer, known, label, PlainResource, Violation } from "../resources";

/** The ports an `ASPNETCORE_URLS` https address listens on: `https://+` is 443, `https://+:8443` is 8443. */
export function httpsPortsOf(aspnetcoreUrls: string): number[] {
  const ports: number[] = [];
  for (const address of aspnetcoreUrls.split(";").map((a) => a.trim())) {
    const m = /^https:\/\/(?:\[[^\]]*\]|[^:/]*)(?::(\d+))?(?:\/.*)?$/i.exec(address);
    if (m) ports.push(m[1] === undefined ? 443 : Number(m[1]));
  }
  return ports;
}

/**
 * The Identity Service container must serve HTTPS: `ASPNETCORE_URLS` has an `https://` address,
 * Kestrel has a certificate, and the HTTPS container port is published.
 */
export function identityServiceHttpsViolations(r: PlainResource): Violation[] {
  if (!isIdentityServiceContainer(r)) return [];
  const env = containerEnv(r);
  const urls = env.get(ENV.urls);
  const httpsPorts = urls === undefined ? [] : httpsPortsOf(urls);
  if (httpsPorts.length === 0) {
    return [
      {
        message:
          `The Identity Service container ${label(r)} does not serve HTTPS: ${ENV.urls} is ${urls === undefined ? "not set" : JSON.stringify(urls)}, with no https:// address. ` +
          `Tokens and the client secret would cross the network in clear text. Set ${ENV.urls}=https://+;http://+ and give Kestrel a certificate ` +
          `(${ENV.kestrelCertificatePath} and ${ENV.kestrelCertificatePassword}), as the IdentityService component does.`,
      },
    ];
  }
  const violations: Violation[] = [];
  if (!env.get(ENV.kestrelCertificatePath)) {
    violations.push({
      message:
        `The Identity Service container ${label(r)} listens on https:// but ${ENV.kestrelCertificatePath} is not set: Kestrel has no certificate and the service fails at start. ` +
        `Upload the PFX into the container and set ${ENV.kestrelCertificatePath} and ${ENV.kestrelCertificatePassword}.`,
    });
  }
  const ports = known(r.props.ports, "ports");
  const published = new Set(
    (Array.isArray(ports) ? ports : [])
      .filter((p) => p && typeof p === "object" && ((p as { protocol?: string }).protocol ?? "tcp").toLowerCase() === "tcp")
      .map((p) => Number((p as { internal?: unknown }).internal)),
  );
  if (!httpsPorts.some((p) => published.has(p))) {
    violations.push({
      message:
        `The Identity Service container ${label(r)} serves HTTPS on container port ${httpsPorts.join(" / ")}, but that port is not published, so nobody can reach it over HTTPS. ` +
        `Publish it: ports [{ internal: ${httpsPorts[0]}, external: <host port> }] (the httpsPort setting).`,
    });
  }
  return violations;
}

export const identityServiceHttps: ResourceValidationPolicy = {
  name: "identity-service-https",
  description: "The Identity Service container serves HTTPS: ASPNETCORE_URLS has an https:// address, Kestrel has a certificate, and the HTTPS port is published.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: resourceRule((r) => identityServiceHttpsViolations(r)),
};
