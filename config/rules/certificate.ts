/** The HTTPS certificate: a supplied PFX, opened here with its password, or a self-signed one. */
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { PfxContents } from "../../lib/pfx";
import { checkSuppliedPfx, decodePfxBase64 } from "../../lib/suppliedPfx";
import { DEFAULTS } from "../../lib/defaults";
import { earlyRenewalProblem } from "../../lib/validators";
import { StackConfig } from "../types";
import { ConfigContext } from "../values";

export function certificateConfig(ctx: ConfigContext, publicUrl: string): StackConfig["certificate"] {
  const { typed } = ctx;
  if (typed.certificatePfxBase64 !== undefined || typed.certificatePfxFile !== undefined) {
    if (typed.certificatePfxBase64 !== undefined && typed.certificatePfxFile !== undefined) {
      ctx.problem(
        "certificatePfxFile",
        "set either certificatePfxBase64 or certificatePfxFile, not both. Fix: `pulumi config rm certificatePfxFile` or `pulumi config rm certificatePfxBase64`.",
      );
    }
    ctx.need("certificatePassword", "with a supplied PFX");
    ctx.onlyWith(["certificateDnsNames", "certificateValidityDays", "certificateEarlyRenewalDays"], "for the self-signed certificate (a PFX is supplied)");
    const file = typed.certificatePfxFile !== undefined ? ctx.resolvePath(typed.certificatePfxFile) : undefined;
    if (file !== undefined && !fs.existsSync(file)) {
      ctx.problem("certificatePfxFile", `file not found: ${file}. Fix: put the PFX there or \`pulumi config set certificatePfxFile <path>\`.`);
    }
    // Opened now, as Kestrel will open it, so a wrong password or a file that is no PFX is
    // reported here with the other problems, before any resource exists.
    const contents = typed.certificatePfxBase64 !== undefined && file !== undefined ? undefined : openSuppliedPfx(ctx, typed.certificatePfxBase64, file, typed.certificatePassword);
    return { pfx: { base64: ctx.secret("certificatePfxBase64"), file, password: ctx.secret("certificatePassword") ?? pulumi.secret(""), contents } };
  }
  ctx.onlyWith(["certificatePassword"], "with a supplied PFX (certificatePfxBase64 or certificatePfxFile)");
  const host = hostnameOf(publicUrl);
  const dnsNames: string[] = [...typed.certificateDnsNames];
  if (host && !dnsNames.includes(host) && !/^[\d.]+$|:/.test(host)) dnsNames.push(host);
  const early = earlyRenewalProblem(typed.certificateValidityDays, typed.certificateEarlyRenewalDays);
  if (early) {
    // A value that passes for this validity: the default when it fits, else a third of the validity.
    const fits = Math.min(DEFAULTS.certificateEarlyRenewalDays, Math.max(0, Math.floor(typed.certificateValidityDays / 3)));
    ctx.problem("certificateEarlyRenewalDays", `${early}. Fix: \`pulumi config set certificateEarlyRenewalDays ${fits}\`, or a longer certificateValidityDays.`);
  }
  return { selfSigned: { dnsNames, validityDays: typed.certificateValidityDays, earlyRenewalDays: typed.certificateEarlyRenewalDays } };
}

/**
 * Reads and opens the supplied PFX (base64 or file) with its password; reports each problem under
 * its config key. Returns what the PFX holds, or undefined when it could not be opened (or a problem
 * reported elsewhere, such as a missing file or password, leaves nothing to open).
 */
function openSuppliedPfx(ctx: ConfigContext, base64: string | undefined, file: string | undefined, password: string | undefined): PfxContents | undefined {
  let bytes: Buffer | undefined;
  if (base64 !== undefined) {
    bytes = decodePfxBase64(base64);
    if (!bytes)
      ctx.problem("certificatePfxBase64", 'is not base64 (standard alphabet, padded). Fix: `pulumi config set --secret certificatePfxBase64 "$(base64 -w0 identity.pfx)"`.');
  } else if (file !== undefined && fs.existsSync(file)) {
    try {
      bytes = fs.readFileSync(file);
    } catch (e) {
      ctx.problem(
        "certificatePfxFile",
        `${file} could not be read (${(e as NodeJS.ErrnoException).code ?? "unreadable"}). Fix: make it a readable PFX file, or \`pulumi config set certificatePfxFile <path>\`.`,
      );
    }
  }
  if (bytes === undefined || !password) return undefined;
  const key = base64 !== undefined ? "certificatePfxBase64" : "certificatePfxFile";
  const checked = checkSuppliedPfx({ key, source: base64 !== undefined ? "the certificatePfxBase64 value" : file!, bytes, password });
  for (const p of checked.problems) ctx.problem(p.key, `${p.problem}. Fix: ${p.fix}.`);
  return checked.problems.length === 0 ? checked.contents : undefined;
}

function hostnameOf(u: string): string | undefined {
  try {
    return new URL(u).hostname;
  } catch {
    return undefined;
  }
}
