/**
 * The determinism tests (stack, certificate, client credentials, database) compare two runs with
 * test/support/determinism.ts. These tests show that the comparison can fail: a component that puts
 * the time or a random value into an input is caught, and the same component without it passes.
 */
import * as pulumi from "@pulumi/pulumi";
import { randomUUID } from "node:crypto";
import { installMocks, settle } from "./support/mocks";
import { twoRuns } from "./support/determinism";

/** A resource of the random provider, registered with the mock engine (never created for real). */
class Label extends pulumi.CustomResource {
  constructor(name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
    super("random:index/randomString:RandomString", name, props, opts);
  }
}

type Source = "fixed" | "time" | "random" | "uuid" | "secretTime";

/** A component that labels its child with a value from `source`, as a careless component might. */
class Labelled extends pulumi.ComponentResource {
  constructor(name: string, source: Source) {
    super("creatio:identity:TestLabelled", name, {}, {});
    const label = {
      fixed: () => "v1",
      time: () => new Date().toISOString(),
      random: () => Math.random().toString(36),
      uuid: () => randomUUID(),
      secretTime: () => String(process.hrtime.bigint()),
    }[source]();
    const keepers = source === "secretTime" ? { label: pulumi.secret(label) } : { label };
    new Label(`${name}-label`, { length: 8, keepers }, { parent: this });
    this.registerOutputs({});
  }
}

async function run(source: Source) {
  const resources = installMocks();
  new Labelled("c", source);
  await settle();
  return resources;
}

describe("the determinism comparison", () => {
  it("passes a component whose inputs depend only on its arguments", async () => {
    const { first, second } = await twoRuns(() => run("fixed"));
    expect(second).toEqual(first);
  });

  it.each<Source>(["time", "random", "uuid", "secretTime"])("catches a component that puts %s into an input, also inside a secret", async (source) => {
    const { first, second } = await twoRuns(() => run(source));
    expect(second).not.toEqual(first);
    // The difference is in the child's inputs, where a preview would show it.
    const changed = second.filter((line) => !first.includes(line));
    expect(changed).toEqual([expect.stringMatching(/^random:index\/randomString:RandomString c-label \{"keepers":\{"label":"[^"]+"\},"length":8\} secret=\[("keepers")?\]$/)]);
  });

  it("refuses to compare two empty runs", async () => {
    await expect(twoRuns(async () => [])).rejects.toThrow(/registered no resource/);
  });
});
