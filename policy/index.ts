/**
 * The creatio-identity policy pack: `pulumi preview --policy-pack policy` (or `pulumi up ...`) loads
 * this file. Each rule and its policy object are in rules/, the list in policies.ts. Constructing the PolicyPack
 * starts the analyzer's gRPC server for the Pulumi CLI, so only the CLI should load this file.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies, POLICY_PACK_NAME } from "./policies";

new PolicyPack(POLICY_PACK_NAME, {
  description: "Guards a creatio-identity stack: HTTPS, trusted and current certificates, TLS to the database, secrets kept secret, one Identity Service per Creatio.",
  policies,
});
