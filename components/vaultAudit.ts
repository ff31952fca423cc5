import * as pulumi from "@pulumi/pulumi";
import * as monitor from "@pulumi/azure-native/monitor";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import * as security from "@pulumi/azure-native/security";

import { AUDIT_CATEGORIES } from "../domain/hostPermissions";

export { AUDIT_CATEGORIES };

export interface VaultAuditArgs {
  resourceGroupName: pulumi.Input<string>;
  location: string;
  storageAccountId: pulumi.Input<string>;
  /** Days the workspace keeps the audit log (Log Analytics: 30-730). */
  retentionDays: number;
  /** Microsoft Defender for Storage on the account (billed per account and per GB scanned). */
  defender: boolean;
  tags?: Record<string, string>;
}

/**
 * The vault's audit trail: every data-plane read, write and delete on the blob service
 * (StorageRead, StorageWrite, StorageDelete) goes to a Log Analytics workspace kept for
 * `retentionDays`, so an auditor can be shown who touched backup data and when. Optionally
 * Microsoft Defender for Storage on the account (off in dev).
 * https://learn.microsoft.com/azure/storage/blobs/monitor-blob-storage#collection-and-routing
 */
export class VaultAudit extends pulumi.ComponentResource {
  public readonly workspaceId: pulumi.Output<string>;

  constructor(name: string, args: VaultAuditArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cross-cloud-backup:azure:VaultAudit", name, {}, opts);

    const workspace = new operationalinsights.Workspace(
      `${name}-logs`,
      {
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        sku: { name: "PerGB2018" },
        retentionInDays: args.retentionDays,
        tags: args.tags,
      },
      { parent: this },
    );
    new monitor.DiagnosticSetting(
      `${name}-blob-audit`,
      {
        resourceUri: pulumi.interpolate`${args.storageAccountId}/blobServices/default`,
        workspaceId: workspace.id,
        logs: AUDIT_CATEGORIES.map((category) => ({ category, enabled: true })),
      },
      { parent: this },
    );
    if (args.defender)
      new security.DefenderForStorage(
        `${name}-defender`,
        {
          resourceId: args.storageAccountId,
          settingName: "current",
          properties: { isEnabled: true, overrideSubscriptionLevelSettings: true },
        },
        { parent: this },
      );

    this.workspaceId = workspace.id;
    this.registerOutputs({ workspaceId: this.workspaceId });
  }
}
