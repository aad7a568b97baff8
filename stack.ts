/**
 * The stack program: typed config in, one CreatioIdentity component, its outputs out. `index.ts`
 * calls it with the running stack's config; tests and the benchmark call it with config of their own.
 */
import { StackConfig } from "./config";
import { CreatioIdentity, StackOutputs } from "./components/creatioIdentity";

export type { ApplicationCredentials, CreatioIntegrationSummary, CreatioSettings, StackOutputs } from "./components/creatioIdentity";

/** The whole deployment as one CreatioIdentity component named `name`; its outputs are the stack's. */
export function createIdentityStack(config: StackConfig, name = "creatio-identity"): StackOutputs {
  return new CreatioIdentity(name, config).outputs;
}
