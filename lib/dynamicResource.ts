/**
 * One declaration per dynamic resource of its properties: every input (what the program hands the
 * engine, and what the diff compares) and every output the provider adds, each marked when its
 * value is a secret. From it come the properties a resource's constructor registers (its inputs,
 * and an `undefined` placeholder per output, which makes the engine return it), its
 * `additionalSecretOutputs`, and the inputs its diff compares. The declaration is typed against the
 * resource's state interface: a property left out, or one the state does not have, is a compile
 * error, so an input added to the interface always reaches the diff.
 */
import type * as pulumi from "@pulumi/pulumi";

/** How a property is declared. */
export interface PropertySpec {
  /**
   * Stored encrypted by the engine (the resource's additionalSecretOutputs). `whenSet`: only when the
   * input is given, so a stack that never set it keeps the options it was created with.
   */
  readonly secret?: boolean | "whenSet";
  /** An input whose change alters nothing outside the state: an update only records it. */
  readonly recordOnly?: boolean;
  /** An input whose change replaces the resource (the diff says how it compares). */
  readonly replaces?: boolean;
  /** An object input whose parts the diff tells apart (e.g. a connection's URL from its password). */
  readonly parts?: Readonly<Record<string, PropertySpec>>;
}

/** Every property of a resource whose inputs are `I` and whose state is `O`, declared once. */
export interface DynamicResourceSpec<I, O extends I> {
  readonly inputs: { readonly [K in keyof Required<I>]: PropertySpec };
  readonly outputs: { readonly [K in Exclude<keyof Required<O>, keyof I>]: PropertySpec };
}

/** A resource's outputs as the program reads them: each state property an Output. */
export type DynamicOutputs<O> = { readonly [K in keyof Required<O>]: pulumi.Output<O[K]> };

/** The inputs the diff compares, in declaration order. */
export function inputNames<I, O extends I>(spec: DynamicResourceSpec<I, O>): (keyof I & string)[] {
  return Object.keys(spec.inputs) as (keyof I & string)[];
}

/** How the diff treats an input: it replaces the resource, is only recorded, or is applied in place. */
export type InputRole = "replaces" | "recordOnly" | "inPlace";

/** Every input the diff compares as a dotted path (an input with `parts`: one path per part), with its role. */
export function inputPaths<I, O extends I>(spec: DynamicResourceSpec<I, O>): { readonly path: string; readonly role: InputRole }[] {
  const role = (p: PropertySpec): InputRole => (p.replaces ? "replaces" : p.recordOnly ? "recordOnly" : "inPlace");
  return Object.entries<PropertySpec>(spec.inputs).flatMap(([name, p]) =>
    p.parts ? Object.entries(p.parts).map(([part, q]) => ({ path: `${name}.${part}`, role: role(q) })) : [{ path: name, role: role(p) }],
  );
}

/** The dotted paths of the inputs with this role. */
export function inputPathsWith<I, O extends I>(spec: DynamicResourceSpec<I, O>, wanted: InputRole): string[] {
  return inputPaths(spec)
    .filter((p) => p.role === wanted)
    .map((p) => p.path);
}

/** The value at a dotted path (`creatio.url`), or undefined. */
export function valueAt(o: Record<string, any> | undefined, path: string): unknown {
  return path.split(".").reduce<any>((v, k) => (v && typeof v === "object" ? v[k] : undefined), o);
}

/** The properties whose values the engine must keep encrypted: the resource's additionalSecretOutputs (`args`: the inputs given, for `whenSet`). */
export function secretNames<I, O extends I>(spec: DynamicResourceSpec<I, O>, args: object = {}): string[] {
  return Object.entries<PropertySpec>({ ...spec.inputs, ...spec.outputs })
    .filter(([name, p]) => p.secret === true || (p.secret === "whenSet" && (args as Record<string, unknown>)[name] !== undefined))
    .map(([name]) => name);
}

/** What a constructor registers: the given inputs, and each output as an `undefined` placeholder. */
export function registeredProperties<I, O extends I>(spec: DynamicResourceSpec<I, O>, inputs: object): Record<string, unknown> {
  return { ...inputs, ...Object.fromEntries(Object.keys(spec.outputs).map((name) => [name, undefined])) };
}

/**
 * A value in a form that compares equal for equal data: object keys sorted, `undefined` members
 * left out (the engine's Struct drops them), so `{a, b}` and `{b, a}` are one value.
 */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "undefined";
}

/**
 * The declared inputs whose new value differs from the recorded one (unset, `undefined` and `null`
 * are one value; an unknown value during preview differs from any recorded one). `except` leaves
 * out inputs whose change the resource's diff judges otherwise.
 */
export function changedInputs<I, O extends I>(spec: DynamicResourceSpec<I, O>, olds: Partial<I>, news: Partial<I>, except: readonly (keyof I)[] = []): (keyof I & string)[] {
  const same = (a: unknown, b: unknown) => canonical(a ?? null) === canonical(b ?? null);
  return inputNames(spec).filter((name) => !except.includes(name) && !same(olds[name], news[name]));
}
