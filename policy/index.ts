// The CrossGuard policy pack: `pulumi preview --policy-pack policy --policy-pack-config
// policy/config.<stack>.json`. Constructing PolicyPack starts the analyzer's gRPC server, so
// nothing but the Pulumi CLI loads this file; tests import ./policies.
import { PolicyPack } from "@pulumi/policy";
import { DEFAULT_ENFORCEMENT, PACK_NAME, policies } from "./policies";

new PolicyPack(PACK_NAME, {
  description:
    "The invariants of cross-cloud-backup: never write to the source, least-privilege host, hardened vault, no plain-text credential.",
  enforcementLevel: DEFAULT_ENFORCEMENT,
  policies,
});
