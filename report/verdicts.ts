// The shape of a control's verdict. "no evidence" is its own verdict: a control whose inputs are
// missing is never shown as passing.

export type Verdict = "pass" | "fail" | "no evidence";

/** The four things an auditor asks of a backup, plus how it is governed. */
export type Claim = "exists" | "current" | "tamper-proof" | "restorable" | "governed";

export interface Control {
  id: string;
  title: string;
  claim: Claim;
  verdict: Verdict;
  /** What the verdict rests on, in words, with the values read. */
  evidence: string;
  /** Which input the evidence comes from. */
  source: string;
}

export const CLAIMS: Record<Claim, string> = {
  exists: "A second-cloud copy exists",
  current: "It is current",
  "tamper-proof": "It cannot be tampered with",
  restorable: "It can be restored",
  governed: "It is watched and governed",
};

/** The stack outputs a control would need that no version of the program exports yet. */
export const NOT_EXPORTED = [
  "the WORM retention in days (immutabilityDays)",
  "blob and container soft-delete days, and blob versioning",
  "whether Shared Key is allowed on the account",
  "the vault firewall's rules (default action, allowed addresses)",
  "the alarms' thresholds, and the alarm topic's subscriptions (alarmEmails)",
] as const;
