// The vault's control-plane alerts: Activity Log alerts on the operations that can weaken it
// (account writes, immutability policies, locks, role assignments, the account keys), scoped to
// the vault's resource group and routed to an action group that mails alarmEmails.
import { expect } from "chai";
import { ALERTED_OPERATIONS, VAULT_ALERT_OPERATIONS } from "../../domain/vaultAlerts";
import { ofType, one, runProgram, type ProgramResult } from "../support/program";

const T = {
  alert: "azure-native:monitor:ActivityLogAlert",
  group: "azure-native:monitor:ActionGroup",
};
type Json = Record<string, any>;

/** The operation names an alert's condition matches, with its category. */
function matched(alert: Json): { category?: string; operations: string[] } {
  const all = alert.condition.allOf as Json[];
  return {
    category: all.find((c) => c.field === "category")?.equals,
    operations: all.flatMap((c) =>
      c.anyOf ? (c.anyOf as Json[]).map((l) => l.equals as string) : [],
    ),
  };
}

describe("vault activity alerts (mocks)", function () {
  let dev: ProgramResult;
  let prod: ProgramResult;
  let mailed: ProgramResult;

  before(function () {
    this.timeout(300_000);
    dev = runProgram("dev");
    prod = runProgram("prod", { credentialMode: "sas" });
    mailed = runProgram("dev", { alarmEmails: ["ops@example.com", "backup-team@example.org"] });
    for (const [label, r] of Object.entries({ dev, prod, mailed }))
      expect(r.error, `${label} run error`).to.equal(undefined);
  });

  it("alerts on every listed operation, one rule per concern, Administrative category only", function () {
    for (const r of [dev, prod]) {
      const alerts = ofType(r, T.alert);
      expect(alerts.map((a) => a.name)).to.have.members(
        Object.keys(VAULT_ALERT_OPERATIONS).map((c) => `vault-alerts-${c}`),
      );
      const covered: string[] = [];
      for (const a of alerts) {
        const concern = a.name.replace(/^vault-alerts-/, "") as keyof typeof VAULT_ALERT_OPERATIONS;
        const m = matched(a.inputs);
        expect(m.category).to.equal("Administrative");
        expect(m.operations).to.deep.equal([...VAULT_ALERT_OPERATIONS[concern]]);
        expect((a.inputs as Json).enabled).to.equal(true);
        expect((a.inputs as Json).location).to.equal("Global");
        covered.push(...m.operations);
      }
      expect(covered).to.have.members([...ALERTED_OPERATIONS]);
    }
  });

  it("names the operations the review asked for", function () {
    expect(ALERTED_OPERATIONS).to.include.members([
      "Microsoft.Storage/storageAccounts/write",
      "Microsoft.Storage/storageAccounts/delete",
      "Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies/write",
      "Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies/delete",
      "Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies/lock/action",
      "Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies/extend/action",
      "Microsoft.Authorization/locks/write",
      "Microsoft.Authorization/locks/delete",
      "Microsoft.Authorization/roleAssignments/write",
      "Microsoft.Authorization/roleAssignments/delete",
      "Microsoft.Storage/storageAccounts/listKeys/action",
      "Microsoft.Storage/storageAccounts/regenerateKey/action",
    ]);
  });

  it("scopes every alert to the vault's resource group and routes it to the action group", function () {
    for (const r of [dev, prod]) {
      const groupId = `${one(r, T.group).name}-id`;
      const rgId = "vault-rg-id";
      for (const a of ofType(r, T.alert)) {
        const inputs = a.inputs as Json;
        expect(inputs.scopes).to.deep.equal([rgId]);
        expect(inputs.resourceGroupName).to.equal(one(r, T.group).inputs.resourceGroupName);
        expect(inputs.actions).to.deep.equal({ actionGroups: [{ actionGroupId: groupId }] });
      }
    }
  });

  it("mails alarmEmails through the action group (no receivers without them)", function () {
    const group = one(mailed, T.group).inputs as Json;
    expect(group.enabled).to.equal(true);
    expect(group.groupShortName.length).to.be.at.most(12);
    expect(group.emailReceivers).to.deep.equal([
      { name: "email-0", emailAddress: "ops@example.com", useCommonAlertSchema: true },
      { name: "email-1", emailAddress: "backup-team@example.org", useCommonAlertSchema: true },
    ]);
    expect((one(dev, T.group).inputs as Json).emailReceivers).to.deep.equal([]);
  });
});
