// One iam-simulate decision for the IAM tests. iam-simulate 0.1.173 matches variable context keys
// only in the "prefix/name" form (aws:PrincipalTag/x): it drops keys such as
// "kms:EncryptionContext:aws:s3:arn" or the GitHub OIDC keys of AssumeRoleWithWebIdentity,
// although they are valid for their actions. The validated engine runs first and checks the
// policies, action, resource and every other key; only when each ignored key is one the caller
// names as such is the request evaluated once more with the unvalidated engine and the full
// context (which needs the resource policy in its "validated" form, with a name). Any other
// ignored key, or an error, is returned as the decision, so it fails a check.
import { runSimulation, runUnsafeSimulation, type Simulation } from "@cloud-copilot/iam-simulate";

/** What a check sees: the simulator's decision, or its error (which fails the check). */
export type Decision = "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | `error: ${string}`;

export async function simulate(
  simulation: Simulation,
  ignorable: RegExp,
  resourcePolicyName: string,
): Promise<Decision> {
  const result = await runSimulation(simulation, {});
  if (result.resultType === "error") return `error: ${JSON.stringify(result.errors)}`;
  // A wildcard resource (only probes use one) is evaluated against every pattern in the policies.
  if (result.resultType === "wildcard") return result.overallResult;
  const ignored = result.result.ignoredContextKeys ?? [];
  if (ignored.length === 0) return result.overallResult;
  if (!ignored.every((k) => ignorable.test(k)))
    return `error: context keys ${ignored.join(", ")} do not apply to ${simulation.request.action}`;
  return runUnsafeSimulation(
    {
      ...simulation,
      resourcePolicy: {
        __validated: true,
        policyDocument: simulation.resourcePolicy,
        metadata: { name: resourcePolicyName },
        errors: [],
      },
    },
    {},
  );
}
