// Control-plane alerts on the vault: whoever rewrites the account, its immutability policy, the
// resource group's locks or role assignments, or reads or renews the account keys, is reported.
// The data-plane audit trail (components/vaultAudit.ts) cannot see these: they are Azure Resource
// Manager operations, recorded in the subscription's Activity Log.
import * as pulumi from "@pulumi/pulumi";
import * as monitor from "@pulumi/azure-native/monitor";

import { VAULT_ALERT_OPERATIONS, type VaultAlertConcern } from "../domain/vaultAlerts";

export { VAULT_ALERT_OPERATIONS };

const DESCRIPTIONS: Record<VaultAlertConcern, string> = {
  account:
    "The vault's storage account was changed or deleted (firewall, Shared Key, SAS policy, account-level WORM policy and its lock, ...).",
  immutability:
    "A container immutability policy in the vault was set, removed, locked or extended.",
  locks: "A management lock in the vault's resource group was created, changed or removed.",
  roleAssignments: "A role assignment in the vault's resource group was created or removed.",
  keys: "The vault account's keys were listed or regenerated (a key gives full data access).",
};

export interface VaultAlertsArgs {
  /** The vault's resource group: the alerts' home and their scope. */
  resourceGroupName: pulumi.Input<string>;
  resourceGroupId: pulumi.Input<string>;
  /** E-mail addresses the action group notifies (config alarmEmails); may be empty. */
  emails: string[];
  tags?: Record<string, string>;
}

/**
 * An action group that e-mails `emails`, and one Activity Log alert per concern in
 * VAULT_ALERT_OPERATIONS over the vault's resource group. They also fire for the program's own
 * deployments (pulumi up writes the account, and creates the lock and role assignments).
 */
export class VaultAlerts extends pulumi.ComponentResource {
  public readonly actionGroupId: pulumi.Output<string>;

  constructor(name: string, args: VaultAlertsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cross-cloud-backup:azure:VaultAlerts", name, {}, opts);

    // Action groups and Activity Log alerts are global resources.
    const group = new monitor.ActionGroup(
      `${name}-notify`,
      {
        resourceGroupName: args.resourceGroupName,
        location: "Global",
        // At most 12 characters (it prefixes SMS and e-mail subjects).
        groupShortName: "ccb-vault",
        enabled: true,
        emailReceivers: args.emails.map((emailAddress, i) => ({
          name: `email-${i}`,
          emailAddress,
          useCommonAlertSchema: true,
        })),
        tags: args.tags,
      },
      { parent: this },
    );

    for (const [concern, operations] of Object.entries(VAULT_ALERT_OPERATIONS) as [
      VaultAlertConcern,
      readonly string[],
    ][]) {
      new monitor.ActivityLogAlert(
        `${name}-${concern}`,
        {
          resourceGroupName: args.resourceGroupName,
          location: "Global",
          scopes: [args.resourceGroupId],
          description: DESCRIPTIONS[concern],
          enabled: true,
          condition: {
            allOf: [
              { field: "category", equals: "Administrative" },
              // Any one of the concern's operations (the documented anyOf-of-equals form).
              { anyOf: operations.map((o) => ({ field: "operationName", equals: o })) },
            ],
          },
          actions: { actionGroups: [{ actionGroupId: group.id }] },
          tags: args.tags,
        },
        { parent: this },
      );
    }

    this.actionGroupId = group.id;
    this.registerOutputs({ actionGroupId: this.actionGroupId });
  }
}
