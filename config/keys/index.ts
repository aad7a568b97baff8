/**
 * Every config key the program reads: its type, default, description and check. The one source of
 * these facts: `Pulumi.yaml`'s `config:` block and the README's key table are generated from it
 * (`npm run generate:config`; a test fails when the committed files differ), and the defaults come
 * from lib/defaults, which the components share.
 */
import { CLIENT_KEYS } from "./client";
import { SERVICE_KEYS } from "./service";
import { CERTIFICATE_KEYS } from "./certificate";
import { DATABASE_KEYS } from "./database";
import { CREATIO_KEYS } from "./creatio";
import { KUBERNETES_KEYS, PLATFORM_KEYS } from "./kubernetes";

export type { ConfigKeySpec, KeyType } from "./spec";
export { PLATFORMS, KUBERNETES_SERVICE_TYPES } from "./kubernetes";
export type { Platform } from "./kubernetes";

/** The project name: config keys are `creatio-identity:<key>`. */
export const PROJECT = "creatio-identity";

/** Every key the program reads (without the `creatio-identity:` prefix), one file per area, in the order the docs list them. */
export const CONFIG_KEYS = { ...CLIENT_KEYS, ...PLATFORM_KEYS, ...SERVICE_KEYS, ...KUBERNETES_KEYS, ...CERTIFICATE_KEYS, ...DATABASE_KEYS, ...CREATIO_KEYS };

export type ConfigKey = keyof typeof CONFIG_KEYS;

/** Keys earlier versions read, with why they are gone: a stack that still sets one is told so and how to remove it. */
export const RETIRED_KEYS: Readonly<Record<string, string>> = {
  creatioDatabaseUrl: "the Creatio integration now works through Creatio's API alone (any database engine, no database credentials).",
};
