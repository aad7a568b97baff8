/**
 * Pulumi's placeholders for values not known until the resources they depend on exist (during
 * preview). They are constants of Pulumi's wire protocol: a dynamic provider's `check` and `diff`
 * receive the string one in place of any unknown input; a policy pack can meet every kind.
 */

/** The placeholder a dynamic provider receives for an unknown input. */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * One placeholder per kind of value (@pulumi/policy keeps them internal). An array, not a Set: the
 * dynamic providers reach it through isUnknownValue, and Pulumi's closure serializer copies a Set
 * as a plain object, on which `has` fails in the provider's process.
 */
export const UNKNOWN_SENTINELS: readonly string[] = [
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
  UNKNOWN_VALUE, // string
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
  "030794c1-ac77-496b-92df-f27374a8bd58", // asset
  "e48ece36-62e2-4504-bad9-02848725956a", // archive
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
];

/** Whether a value is one of Pulumi's unknown placeholders. */
export function isUnknownValue(value: unknown): boolean {
  return typeof value === "string" && UNKNOWN_SENTINELS.includes(value);
}
