/** How a config key is declared (config/keys/ declares every key with it). */
export type KeyType = "string" | "integer" | "boolean" | "array";

/** How one config key is declared. */
export interface ConfigKeySpec {
  readonly type: KeyType;
  readonly description: string;
  /** For `array`: the items' type (Pulumi.yaml `items.type`). Default string. */
  readonly items?: "string" | "object";
  /** Applied when the key is unset. Keys without a default are optional unless a rule requires them. */
  readonly default?: string | number | boolean | readonly string[];
  /** Must be set with `pulumi config set --secret`; never echoed in errors. */
  readonly secret?: boolean;
  /** Extra check on the typed value; returns the problem in words, or undefined. */
  readonly check?: (value: any) => string | undefined;
  /** A plausible example for error messages (never a real secret). */
  readonly example: string;
}

/** A check that the value is one of `values`. */
export const oneOf = (values: readonly string[]) => (v: string) => (values.includes(v) ? undefined : `must be one of ${values.join(", ")}`);
