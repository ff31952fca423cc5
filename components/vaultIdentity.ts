import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import {
  containerDataActions,
  ENTRA_TOKEN_AUDIENCE,
  USER_DELEGATION_KEY_ACTION,
} from "../domain/credentials";
import type { SyncMode } from "../domain/modes";

export interface VaultIdentityArgs {
  resourceGroupName: pulumi.Input<string>;
  /** The resource group's id: where the custom roles are defined and may be assigned. */
  resourceGroupId: pulumi.Input<string>;
  location: string;
  /** The vault account (key delegation is granted here) and its backup container (data). */
  storageAccountId: pulumi.Input<string>;
  containerName: pulumi.Input<string>;
  /** The AWS account's outbound federation issuer URL. */
  issuer: pulumi.Input<string>;
  /** The only AWS principal trusted: the sync host's role ARN (the token's subject). */
  subject: pulumi.Input<string>;
  syncMode: SyncMode;
  tags?: Record<string, string>;
}

/**
 * The sync host's identity in Azure, with no secret: a user-assigned managed identity that
 * trusts exactly one AWS role through a federated identity credential (issuer = the AWS
 * account's outbound federation issuer, subject = the role ARN, audience = Entra's token
 * exchange), and may
 * - read, write and add blobs in the backup container only (delete too in mirror mode), and
 * - get a user delegation key on the account, which grants no data access by itself (a
 *   user-delegation SAS grants at most what the identity's roles grant).
 * Revoke by deleting the federated credential or either role assignment.
 */
export class VaultIdentity extends pulumi.ComponentResource {
  public readonly clientId: pulumi.Output<string>;
  public readonly tenantId: pulumi.Output<string>;
  public readonly principalId: pulumi.Output<string>;

  constructor(name: string, args: VaultIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cross-cloud-backup:azure:VaultIdentity", name, {}, opts);

    const identity = new managedidentity.UserAssignedIdentity(
      `${name}-mi`,
      { resourceGroupName: args.resourceGroupName, location: args.location, tags: args.tags },
      { parent: this },
    );

    // https://learn.microsoft.com/entra/workload-id/workload-identity-federation-create-trust-user-assigned-managed-identity
    const trust = new managedidentity.FederatedIdentityCredential(
      `${name}-aws-role`,
      {
        resourceGroupName: args.resourceGroupName,
        resourceName: identity.name,
        issuer: args.issuer,
        subject: args.subject,
        audiences: [ENTRA_TOKEN_AUDIENCE],
      },
      { parent: this },
    );

    const containerScope = pulumi.interpolate`${args.storageAccountId}/blobServices/default/containers/${args.containerName}`;
    const dataRole = new authorization.RoleDefinition(
      `${name}-data-role`,
      {
        scope: args.resourceGroupId,
        roleName: pulumi.interpolate`cross-cloud-backup sync (${args.syncMode}) ${identity.name}`,
        description: `cross-cloud-backup: the sync host's data access to the backup container (${args.syncMode} mode)`,
        permissions: [{ actions: [], dataActions: containerDataActions(args.syncMode) }],
        assignableScopes: [args.resourceGroupId],
      },
      { parent: this },
    );
    const delegatorRole = new authorization.RoleDefinition(
      `${name}-delegator-role`,
      {
        scope: args.resourceGroupId,
        roleName: pulumi.interpolate`cross-cloud-backup key delegation ${identity.name}`,
        description:
          "cross-cloud-backup: get a user delegation key (as Storage Blob Delegator); no data access",
        permissions: [{ actions: [USER_DELEGATION_KEY_ACTION], dataActions: [] }],
        assignableScopes: [args.resourceGroupId],
      },
      { parent: this },
    );
    const data = new authorization.RoleAssignment(
      `${name}-data`,
      {
        principalId: identity.principalId,
        principalType: "ServicePrincipal",
        roleDefinitionId: dataRole.id,
        scope: containerScope,
      },
      { parent: this },
    );
    const delegation = new authorization.RoleAssignment(
      `${name}-delegation`,
      {
        principalId: identity.principalId,
        principalType: "ServicePrincipal",
        roleDefinitionId: delegatorRole.id,
        scope: args.storageAccountId,
      },
      { parent: this },
    );

    // Consumers (the host) wait for the trust and both grants, not only for the identity.
    this.clientId = pulumi
      .all([identity.clientId, trust.id, data.id, delegation.id])
      .apply(([clientId]) => clientId);
    this.tenantId = identity.tenantId;
    this.principalId = identity.principalId;
    this.registerOutputs({
      clientId: this.clientId,
      tenantId: this.tenantId,
      principalId: this.principalId,
    });
  }
}
