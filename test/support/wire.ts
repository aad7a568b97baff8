/**
 * The engine takes a dynamic provider's state as a protobuf Struct, which refuses `undefined`
 * ("Unexpected struct type"): a provider must leave such keys out. Mock tests cannot see this.
 */

/** The paths of every undefined value in `value` (`["previousImage", "a.b[0]"]`); empty when the engine would take it. */
export function undefinedIn(value: unknown, path = ""): string[] {
  if (value === undefined) return [path || "(root)"];
  if (Array.isArray(value)) return value.flatMap((v, i) => undefinedIn(v, `${path}[${i}]`));
  if (value !== null && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => undefinedIn(v, path ? `${path}.${k}` : k));
  return [];
}
