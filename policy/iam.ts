// Least privilege for the host's AWS identity. The program's grants (components/s3ReadOnlyPolicy.ts,
// syncHost.ts, runTelemetry.ts; the role itself in hostIdentity.ts) are inline role policies; this
// area reads every identity policy the stack declares and checks:
// - no wildcard action, and `Resource: "*"` only for actions AWS cannot scope to a resource;
// - S3 list and read only: no S3 write or delete, whatever the statement (VPC endpoint policies too);
// - S3 access to the configured source bucket only.
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { ENTRA_TOKEN_AUDIENCE } from "../domain/credentials";
import { STACK_NAMESPACE_PATTERN } from "../domain/telemetry";
import { grants, list, statementsOf, type IamStatement } from "./common";
import {
  SESSION_MANAGER_ACTIONS as HOST_SESSION_MANAGER_ACTIONS,
  UNSCOPED_READ_ACTIONS,
} from "../domain/hostPermissions";

/** Session Manager's calls (no resource-level permissions; see domain/hostPermissions.ts). */
export const SESSION_MANAGER_ACTIONS: readonly string[] = HOST_SESSION_MANAGER_ACTIONS;

/**
 * Actions without resource-level permissions that the host may have on `Resource: "*"` only when
 * a condition scopes them instead: the condition key and the one value it must pin.
 */
export const CONDITION_SCOPED_ACTIONS: Readonly<
  Record<string, { key: string; value: string; matches: (v: unknown) => boolean }>
> = {
  // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
  // One namespace per stack: a shared namespace would let one stack's host publish another's health.
  "cloudwatch:PutMetricData": {
    key: "cloudwatch:namespace",
    value: "CrossCloudBackup/<stack>",
    matches: (v) => typeof v === "string" && STACK_NAMESPACE_PATTERN.test(v),
  },
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_request.html
  "sts:GetWebIdentityToken": {
    key: "sts:IdentityTokenAudience",
    value: ENTRA_TOKEN_AUDIENCE,
    matches: (v) => v === ENTRA_TOKEN_AUDIENCE,
  },
};

/** Representative S3 writes and deletes: a statement that grants any of them writes to S3. */
export const S3_WRITES: readonly string[] = [
  "s3:PutObject",
  "s3:DeleteObject",
  "s3:DeleteObjectVersion",
  "s3:PutObjectAcl",
  "s3:PutBucketPolicy",
  "s3:DeleteBucketPolicy",
  "s3:PutBucketNotification",
  "s3:PutLifecycleConfiguration",
  "s3:CreateBucket",
  "s3:DeleteBucket",
  "s3:RestoreObject",
  "s3:ReplicateObject",
  "s3express:CreateSession",
];

/** Identity policies: inline on a role, user or group, or a managed policy. */
const IDENTITY_POLICY_TYPES = [
  "aws:iam/rolePolicy:RolePolicy",
  "aws:iam/userPolicy:UserPolicy",
  "aws:iam/groupPolicy:GroupPolicy",
  "aws:iam/policy:Policy",
];

/** The identity-policy documents a resource declares. */
function identityDocuments(args: ResourceValidationArgs): unknown[] {
  if (IDENTITY_POLICY_TYPES.includes(args.type)) return [args.props.policy];
  if (args.type === "aws:iam/role:Role")
    return ((args.props.inlinePolicies ?? []) as { policy?: unknown }[]).map((p) => p.policy);
  return [];
}

function allows(st: IamStatement): boolean {
  return st.Effect === "Allow";
}

/** True when the statement's conditions pin `key` to exactly `value`. */
/** Condition operators that compare exactly (StringLike would let a pattern match many values). */
const EXACT_OPERATORS = new Set(["StringEquals", "ForAllValues:StringEquals"]);

/** Whether an exact condition pins the key to values that all match. */
function conditionPins(st: IamStatement, key: string, matches: (v: unknown) => boolean): boolean {
  return Object.entries(st.Condition ?? {}).some(([operator, byKey]) => {
    if (!EXACT_OPERATORS.has(operator)) return false;
    const v = byKey[key];
    const values: unknown[] = Array.isArray(v) ? v : [v];
    return v !== undefined && values.length > 0 && values.every(matches);
  });
}

export const noWildcards: ResourceValidationPolicy = {
  name: "iam-no-wildcards",
  description:
    'IAM grants name their actions (no "*" in an action) and use Resource "*" only for the Session Manager calls and the read-only lookups AWS cannot scope, or for a condition-scoped metric or token call.',
  severity: "high",
  validateResource: (args, report) => {
    if (
      args.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment" ||
      args.type === "aws:iam/policyAttachment:PolicyAttachment"
    )
      report(
        `attaches ${String(args.props.policyArn)}: a managed policy's grants cannot be checked here; grant inline`,
      );
    if (
      args.type === "aws:iam/role:Role" &&
      list(args.props.managedPolicyArns as string[] | undefined).length > 0
    )
      report("managedPolicyArns: a managed policy's grants cannot be checked here; grant inline");
    for (const doc of identityDocuments(args)) {
      for (const st of statementsOf(doc).filter(allows)) {
        const sid = st.Sid ?? "(no Sid)";
        if (st.NotAction !== undefined || st.NotResource !== undefined)
          report(`statement ${sid}: NotAction/NotResource in an Allow grants everything else`);
        const actions = list(st.Action);
        for (const a of actions.filter((x) => /[*?]/.test(x)))
          report(`statement ${sid}: wildcard action "${a}"`);
        if (!list(st.Resource).includes("*")) continue;
        for (const a of actions) {
          if (SESSION_MANAGER_ACTIONS.includes(a)) continue;
          if ((UNSCOPED_READ_ACTIONS as readonly string[]).includes(a)) continue;
          const scoped = CONDITION_SCOPED_ACTIONS[a];
          if (scoped !== undefined && conditionPins(st, scoped.key, scoped.matches)) continue;
          report(
            scoped !== undefined
              ? `statement ${sid}: ${a} on Resource "*" needs a condition pinning ${scoped.key} to "${scoped.value}"`
              : `statement ${sid}: ${a} on Resource "*"; name the resources`,
          );
        }
      }
    }
  },
};

export const s3ReadOnly: ResourceValidationPolicy = {
  name: "iam-s3-read-only",
  description:
    "No IAM or VPC endpoint policy allows an S3 write or delete (the source bucket is only ever listed and read).",
  severity: "critical",
  validateResource: (args, report) => {
    const docs = identityDocuments(args);
    if (args.type === "aws:ec2/vpcEndpoint:VpcEndpoint") docs.push(args.props.policy);
    for (const doc of docs) {
      for (const st of statementsOf(doc).filter(allows)) {
        const sid = st.Sid ?? "(no Sid)";
        for (const a of list(st.Action)) {
          const writes = S3_WRITES.filter((w) => grants(a, w));
          // Any other S3 action that is not a Get or List is a write too (e.g. s3:PutBucketTagging).
          const otherWrite = /^s3[\w-]*:/i.test(a) && !/^s3:(Get|List)\w+$/i.test(a);
          if (writes.length > 0 || otherWrite)
            report(
              `statement ${sid}: "${a}" allows S3 writes or deletes${writes.length > 0 ? ` (${writes.join(", ")})` : ""}`,
            );
        }
      }
    }
  },
};

export interface SourceBucketConfig {
  /** The stack's sourceBucket: the only bucket the host may reach. */
  sourceBucket?: string;
}

const S3_ARN = /^arn:[\w-]+:s3:::([^/]*)/;

export const sourceBucketOnly: ResourceValidationPolicy = {
  name: "iam-source-bucket-only",
  description:
    'IAM grants on S3 name the configured source bucket (and its objects) only, never another bucket or Resource "*".',
  severity: "critical",
  configSchema: {
    properties: {
      sourceBucket: { type: "string", description: "The stack's sourceBucket config value." },
    },
  },
  validateResource: (args, report) => {
    const docs = identityDocuments(args);
    if (docs.length === 0) return;
    const { sourceBucket } = args.getConfig<SourceBucketConfig>();
    for (const doc of docs) {
      for (const st of statementsOf(doc).filter(allows)) {
        const sid = st.Sid ?? "(no Sid)";
        const s3Actions = list(st.Action).filter((a) => /^s3[\w-]*:/i.test(a) || /^[*?]/.test(a));
        for (const r of list(st.Resource)) {
          const bucket = S3_ARN.exec(r)?.[1];
          if (r === "*" && s3Actions.length > 0)
            report(
              `statement ${sid}: ${s3Actions.join(", ")} on Resource "*" reaches every bucket`,
            );
          else if (bucket === undefined) continue;
          else if (sourceBucket === undefined)
            report(
              `statement ${sid}: grants on ${r}, but the policy config names no sourceBucket to compare with`,
            );
          else if (bucket !== sourceBucket)
            report(`statement ${sid}: ${r} is not the source bucket "${sourceBucket}"`);
        }
      }
    }
  },
};

export const iamPolicies = [noWildcards, s3ReadOnly, sourceBucketOnly];
