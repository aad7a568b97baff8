/**
 * The stack's configuration: the keys (keys.ts), one validation pass before any resource exists
 * (parse.ts, with the rules between keys in rules/), the typed result (types.ts) and the loader for
 * the running stack (load.ts).
 */
export { CONFIG_KEYS, PROJECT, RETIRED_KEYS } from "./keys";
export type { ConfigKey, ConfigKeySpec } from "./keys";
export { ConfigError } from "./types";
export type { CreatioConnectionConfig, KubernetesConfig, RawConfig, Secret, StackConfig } from "./types";
export { parseStackConfig } from "./parse";
export { loadStackConfig } from "./load";
