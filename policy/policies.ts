// The pack's policies, one area per file. Kept apart from index.ts, which constructs the
// PolicyPack (that starts the analyzer's gRPC server): tests and the local report import this.
import type { EnforcementLevel, Policies } from "@pulumi/policy";
import { computePolicies } from "./compute";
import { iamPolicies } from "./iam";
import { managedEnginePolicies } from "./managedEngine";
import { secretPolicies } from "./secrets";
import { storagePolicies } from "./storage";

export const PACK_NAME = "cross-cloud-backup";

/**
 * Without a policy config every policy blocks. Each stack's config file (config.<stack>.json)
 * sets the level for all policies: "advisory" in dev, "mandatory" in prod.
 */
export const DEFAULT_ENFORCEMENT: EnforcementLevel = "mandatory";

export const policies: Policies = [
  ...storagePolicies,
  ...iamPolicies,
  ...computePolicies,
  ...secretPolicies,
  ...managedEnginePolicies,
];
