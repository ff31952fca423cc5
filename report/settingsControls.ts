// The controls that rest on the stack's outputs and the policy pack's results: WORM, soft delete
// and versioning, Shared Key, the firewall, the credential, the audit trail, the pack itself and
// the alarms. The policy pack judges the program's resources with the stack's config (what
// `pulumi up` applies), not the live account; the evidence says so.
import { splitAlarmNames } from "../domain/outputs";
import { duration, utc } from "./format";
import type { PolicyResults, ReportInput } from "./types";
import type { Control } from "./verdicts";

/** Days of SAS left below which the credential fails, as `npm run status` warns. */
export const SAS_WARNING_DAYS = 7;

/** The policy pack's policies each control rests on (names from policy/). */
export const CONTROL_POLICIES = {
  softDelete: ["vault-data-protection"],
  sharedKey: ["vault-shared-key-off"],
  firewall: ["vault-no-public-access", "vault-no-firewall-bypass"],
  auditTrail: ["vault-diagnostics"],
} as const;

const OUTPUTS = "stack outputs";

function policySource(policy: PolicyResults | undefined): string {
  return `policy pack results${policy?.stack ? ` (stack ${policy.stack})` : ""}`;
}

/** The verdict of the named policies: all pass, any violated, or not in the results. */
export function policiesVerdict(
  policy: PolicyResults | undefined,
  names: readonly string[],
): { verdict: Control["verdict"]; evidence: string } {
  if (policy === undefined)
    return { verdict: "no evidence", evidence: "no policy pack results given (--policy)" };
  const found = names.map((n) => ({
    name: n,
    outcome: policy.outcomes.find((o) => o.policy === n),
  }));
  const absent = found.filter((f) => f.outcome === undefined).map((f) => f.name);
  const violated = found.filter((f) => (f.outcome?.violations.length ?? 0) > 0);
  if (violated.length > 0)
    return {
      verdict: "fail",
      evidence: violated
        .map(
          (f) =>
            `${f.name} (${f.outcome!.level}) violated: ${f.outcome!.violations.map((v) => v.message).join("; ")}`,
        )
        .join("; "),
    };
  if (absent.length > 0)
    return {
      verdict: "no evidence",
      evidence: `${absent.join(", ")} not in the policy results (disabled, or an older pack)`,
    };
  return {
    verdict: "pass",
    evidence: `${names.join(", ")} passed over the program's resources with the stack's config`,
  };
}

function worm(input: ReportInput): Control {
  const base = {
    id: "worm",
    title: "WORM (version-level immutability) locked",
    claim: "tamper-proof" as const,
    source: `${OUTPUTS} vaultImmutabilityState`,
  };
  const state = input.outputs.vaultImmutabilityState;
  const days = "the retention in days is not among the stack's outputs";
  if (typeof state !== "string" || state === "")
    return {
      ...base,
      verdict: "no evidence",
      evidence: "the stack exports no vaultImmutabilityState",
    };
  if (state === "Locked")
    return {
      ...base,
      verdict: "pass",
      evidence: `Locked: Azure refuses to shorten or remove the retention of every version; ${days}`,
    };
  const why =
    state === "Unlocked"
      ? "an account administrator can still shorten or delete the policy"
      : "versions can be deleted once soft delete has passed";
  return { ...base, verdict: "fail", evidence: `${state}: ${why}; ${days}` };
}

function fromPolicies(
  id: string,
  title: string,
  claim: Control["claim"],
  names: readonly string[],
  input: ReportInput,
  extra = "",
): Control {
  const { verdict, evidence } = policiesVerdict(input.policy, names);
  return {
    id,
    title,
    claim,
    verdict,
    evidence: evidence + extra,
    source: policySource(input.policy),
  };
}

function sharedKey(input: ReportInput): Control {
  const mode = input.outputs.credentialMode;
  const base = {
    id: "sharedKey",
    title: "Shared Key (account keys) off",
    claim: "tamper-proof" as const,
  };
  if (mode === "sas")
    return {
      ...base,
      verdict: "fail",
      evidence:
        "credentialMode sas: the host's SAS is signed with the account key, so Shared Key is on",
      source: `${OUTPUTS} credentialMode`,
    };
  if (mode === undefined)
    return {
      ...base,
      verdict: "no evidence",
      evidence: "the stack exports no credentialMode",
      source: OUTPUTS,
    };
  const c = fromPolicies(
    base.id,
    base.title,
    base.claim,
    CONTROL_POLICIES.sharedKey,
    input,
    "; credentialMode federated: nothing signs with a key",
  );
  return { ...c, source: `${c.source}; ${OUTPUTS} credentialMode` };
}

function firewall(input: ReportInput): Control {
  const ip = input.outputs.syncEgressIp;
  const extra = ip
    ? `; the program admits the host's address ${ip} (other allowedIps are not among the outputs)`
    : "";
  return fromPolicies(
    "firewall",
    "Vault firewall denies by default, no bypass",
    "tamper-proof",
    CONTROL_POLICIES.firewall,
    input,
    extra,
  );
}

function credential(input: ReportInput): Control {
  const base = {
    id: "credential",
    title: "Host credential: kind and expiry",
    claim: "tamper-proof" as const,
    source: `${OUTPUTS} credentialMode, vaultSasExpiry`,
  };
  const mode = input.outputs.credentialMode;
  if (mode === "federated")
    return {
      ...base,
      verdict: "pass",
      evidence:
        "federated: no stored credential; each run signs a user-delegation SAS valid 24 h, bound to the host's address",
    };
  if (mode !== "sas")
    return { ...base, verdict: "no evidence", evidence: "the stack exports no credentialMode" };
  const expiry = input.outputs.vaultSasExpiry;
  if (!expiry || Number.isNaN(Date.parse(expiry)))
    return {
      ...base,
      verdict: "no evidence",
      evidence: "SAS mode, but the stack exports no vaultSasExpiry",
    };
  const left = (Date.parse(expiry) - input.now.getTime()) / 1000;
  const state = left <= 0 ? `expired ${duration(-left)} ago` : `${duration(left)} left`;
  return {
    ...base,
    verdict: left > SAS_WARNING_DAYS * 86_400 ? "pass" : "fail",
    evidence: `SAS signed with the account key, expires ${utc(expiry)} (${state}; fails under ${SAS_WARNING_DAYS} days, as npm run status warns)`,
  };
}

function auditTrail(input: ReportInput): Control {
  const ws = input.outputs.vaultAuditWorkspaceId;
  if (!ws)
    return {
      id: "auditTrail",
      title: "Audit trail of every blob read, write and delete",
      claim: "tamper-proof",
      verdict: "no evidence",
      evidence: "the stack exports no vaultAuditWorkspaceId",
      source: OUTPUTS,
    };
  const c = fromPolicies(
    "auditTrail",
    "Audit trail of every blob read, write and delete",
    "tamper-proof",
    CONTROL_POLICIES.auditTrail,
    input,
    `; workspace ${ws}`,
  );
  return { ...c, source: `${c.source}; ${OUTPUTS} vaultAuditWorkspaceId` };
}

function policyPack(input: ReportInput): Control {
  const base = {
    id: "policyPack",
    title: "Policy pack",
    claim: "governed" as const,
    source: policySource(input.policy),
  };
  const p = input.policy;
  if (p === undefined)
    return { ...base, verdict: "no evidence", evidence: "no policy pack results given (--policy)" };
  if (p.outcomes.length === 0)
    return { ...base, verdict: "no evidence", evidence: "the policy results hold no policy" };
  const violated = p.outcomes.filter((o) => o.violations.length > 0);
  if (violated.length === 0)
    return {
      ...base,
      verdict: "pass",
      evidence: `all ${p.outcomes.length} policies pass (${p.outcomes.map((o) => o.policy).join(", ")})`,
    };
  return {
    ...base,
    verdict: "fail",
    evidence: `${violated.length} of ${p.outcomes.length} policies violated: ${violated.map((o) => `${o.policy} (${o.level}, ${o.violations.length})`).join(", ")}`,
  };
}

function alarms(input: ReportInput): Control {
  const topic = input.outputs.alarmTopicArn;
  const names = input.outputs.alarmNames;
  const alarmList =
    typeof names === "string"
      ? `${splitAlarmNames(names).length} alarms (${splitAlarmNames(names).join(", ")})`
      : "the alarms (the stack exports no alarmNames)";
  // Recipients are subscriptions of the topic, made outside the stack's outputs, so whether
  // anyone is told cannot be read from the inputs: never a pass.
  return {
    id: "alarms",
    title: "Alarms and their recipients",
    claim: "governed",
    verdict: "no evidence",
    evidence: topic
      ? `${alarmList} notify ${topic}; who is subscribed to it is not among the stack's outputs (aws sns list-subscriptions-by-topic --topic-arn ${topic})`
      : "the stack exports no alarmTopicArn",
    source: `${OUTPUTS} alarmTopicArn, alarmNames`,
  };
}

export function settingsControls(input: ReportInput): Control[] {
  return [
    worm(input),
    fromPolicies(
      "softDelete",
      "Soft delete and versioning",
      "tamper-proof",
      CONTROL_POLICIES.softDelete,
      input,
    ),
    sharedKey(input),
    firewall(input),
    credential(input),
    auditTrail(input),
    policyPack(input),
    alarms(input),
  ];
}
