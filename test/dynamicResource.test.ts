/**
 * lib/dynamicResource.ts: each dynamic resource declares its properties once, and its placeholders,
 * secret outputs and diff come from that declaration. The type checks run with `npm test` (tsc).
 */
import { canonical, changedInputs, DynamicResourceSpec, inputPathsWith, registeredProperties, secretNames } from "../lib/dynamicResource";
import { PFX_BUNDLE_PROPERTIES } from "../components/pfxBundle";
import { IDENTITY_CLIENT_SYNC_PROPERTIES } from "../components/identityClientSync";
import { CREATIO_OAUTH_INTEGRATION_PROPERTIES } from "../components/creatioOAuthIntegration/state";
import { CREATIO_OAUTH_APPLICATION_PROPERTIES } from "../components/creatioOAuthApplication/state";
import { IDENTITY_DATABASE_SNAPSHOT_PROPERTIES } from "../components/identityDatabaseSnapshot/inputs";
import { HEALTH_GATE_PROPERTIES } from "../components/identityServiceHealthGate";

interface Inputs {
  readonly a: string;
  readonly b?: { readonly url: string; readonly password: string };
}
interface State extends Inputs {
  readonly out: number;
}

const spec = {
  inputs: { a: {}, b: { secret: true, parts: { url: { replaces: true }, password: { recordOnly: true } } } },
  outputs: { out: {} },
} satisfies DynamicResourceSpec<Inputs, State>;

describe("one declaration per dynamic resource", () => {
  it("gives the constructor's properties: the inputs given, and a placeholder per output", () => {
    expect(registeredProperties(spec, { a: "x" })).toEqual({ a: "x", out: undefined });
    expect(Object.keys(registeredProperties(spec, { a: "x" }))).toContain("out");
  });

  it("names the secret properties, and a whenSet one only when it is given", () => {
    expect(secretNames(spec)).toEqual(["b"]);
    expect(secretNames(HEALTH_GATE_PROPERTIES, {})).toEqual([]);
    expect(secretNames(HEALTH_GATE_PROPERTIES, { dockerConnection: { context: "x" } })).toEqual(["dockerConnection"]);
    expect(secretNames(PFX_BUNDLE_PROPERTIES).sort()).toEqual(["password", "pfxBase64", "privateKeyPem"]);
  });

  it("compares every declared input, objects by value whatever their key order, unset equal to null", () => {
    expect(changedInputs(spec, { a: "x", b: { url: "u", password: "p" } }, { a: "x", b: { password: "p", url: "u" } })).toEqual([]);
    expect(changedInputs(spec, { a: "x" }, { a: "y" })).toEqual(["a"]);
    expect(changedInputs(spec, { a: "x", b: { url: "u", password: "p" } }, { a: "x", b: { url: "u", password: "q" } })).toEqual(["b"]);
    expect(changedInputs(spec, { a: "x", b: undefined }, { a: "x", b: null })).toEqual([]);
    expect(canonical({ b: 1, a: [1, { d: undefined, c: 2 }] })).toBe(canonical({ a: [1, { c: 2 }], b: 1 }));
  });

  it("tells the diff's roles apart from the declaration: what replaces, what is only recorded, what changes in place", () => {
    expect(inputPathsWith(spec, "replaces")).toEqual(["b.url"]);
    expect(inputPathsWith(spec, "recordOnly")).toEqual(["b.password"]);
    expect(inputPathsWith(spec, "inPlace")).toEqual(["a"]);
    expect(inputPathsWith(CREATIO_OAUTH_APPLICATION_PROPERTIES, "inPlace")).toEqual(["name", "applicationUrl", "redirectUrl", "description", "systemUser", "active"]);
    expect(inputPathsWith(CREATIO_OAUTH_INTEGRATION_PROPERTIES, "replaces")).toEqual(["creatio.url"]);
  });

  it("makes every input of the six resources reach their diff: a change of any one is a change", () => {
    for (const resource of [PFX_BUNDLE_PROPERTIES, IDENTITY_CLIENT_SYNC_PROPERTIES, IDENTITY_DATABASE_SNAPSHOT_PROPERTIES, HEALTH_GATE_PROPERTIES]) {
      for (const name of Object.keys(resource.inputs)) {
        expect({ name, changed: changedInputs(resource as DynamicResourceSpec<any, any>, { [name]: "before" }, { [name]: "after" }) }).toEqual({ name, changed: [name] });
      }
    }
  });

  it("refuses, at compile time, a declaration that leaves out or invents a property", () => {
    // @ts-expect-error: the input `b` is missing.
    const missing = { inputs: { a: {} }, outputs: { out: {} } } satisfies DynamicResourceSpec<Inputs, State>;
    // @ts-expect-error: `c` is no property of the state.
    const invented = { inputs: { a: {}, b: {} }, outputs: { out: {}, c: {} } } satisfies DynamicResourceSpec<Inputs, State>;
    expect([missing, invented]).toHaveLength(2);
  });
});
