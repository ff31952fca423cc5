// The vault's private network path: a VNet with one subnet, a private endpoint for the blob
// service and the private DNS zone that makes the account's normal hostname resolve to it inside
// the VNet. This is for Azure-side consumers (restore jobs, a future Azure-side sync host); the
// AWS sync host cannot reach it without a VPN and uses the public endpoint behind the firewall.
import * as pulumi from "@pulumi/pulumi";
import * as network from "@pulumi/azure-native/network";
import * as privatedns from "@pulumi/azure-native/privatedns";

/** Azure's fixed private DNS zone for the blob service of public-cloud storage accounts. */
export const BLOB_PRIVATE_DNS_ZONE = "privatelink.blob.core.windows.net";

export interface VaultPrivateEndpointArgs {
  resourceGroupName: pulumi.Input<string>;
  location: string;
  /** Address space of the VNet; the single subnet takes all of it. */
  vnetCidr: string;
  /** Resource id of the storage account the endpoint connects to. */
  storageAccountId: pulumi.Input<string>;
  tags?: Record<string, string>;
}

export interface VaultPrivateEndpoint {
  vnetId: pulumi.Output<string>;
  subnetId: pulumi.Output<string>;
  privateEndpointId: pulumi.Output<string>;
  privateDnsZoneId: pulumi.Output<string>;
}

/**
 * Creates the private endpoint and its DNS as children of `parent` (the vault component), with
 * names derived from `name`.
 */
export function createVaultPrivateEndpoint(
  name: string,
  args: VaultPrivateEndpointArgs,
  parent: pulumi.Resource,
): VaultPrivateEndpoint {
  const opts = { parent };

  // No inline subnets: the subnet is its own resource so the two never fight over the list.
  const vnet = new network.VirtualNetwork(
    `${name}-vnet`,
    {
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      addressSpace: { addressPrefixes: [args.vnetCidr] },
      tags: args.tags,
    },
    opts,
  );

  const subnet = new network.Subnet(
    `${name}-endpoints`,
    {
      resourceGroupName: args.resourceGroupName,
      virtualNetworkName: vnet.name,
      addressPrefix: args.vnetCidr,
      // The subnet only holds private endpoints: nothing in it needs implicit internet egress.
      defaultOutboundAccess: false,
      // Let an NSG or route table attached later apply to the endpoint too.
      privateEndpointNetworkPolicies: "Enabled",
    },
    opts,
  );

  const endpoint = new network.PrivateEndpoint(
    `${name}-pe`,
    {
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      subnet: { id: subnet.id },
      privateLinkServiceConnections: [
        {
          name: `${name}-blob`,
          privateLinkServiceId: args.storageAccountId,
          // Blob only: the vault uses no other storage service.
          groupIds: ["blob"],
        },
      ],
      tags: args.tags,
    },
    opts,
  );

  // Private DNS zones are global resources; "global" is the only accepted location.
  const zone = new privatedns.PrivateZone(
    `${name}-dns`,
    {
      resourceGroupName: args.resourceGroupName,
      privateZoneName: BLOB_PRIVATE_DNS_ZONE,
      location: "global",
      tags: args.tags,
    },
    opts,
  );

  new privatedns.VirtualNetworkLink(
    `${name}-dns-link`,
    {
      resourceGroupName: args.resourceGroupName,
      privateZoneName: zone.name,
      location: "global",
      virtualNetwork: { id: vnet.id },
      // Resolution only: VMs in the VNet must not register their own records in this zone.
      registrationEnabled: false,
      tags: args.tags,
    },
    opts,
  );

  // The zone group keeps the endpoint's A record in the zone in step with its private IP.
  new network.PrivateDnsZoneGroup(
    `${name}-dns-group`,
    {
      resourceGroupName: args.resourceGroupName,
      privateEndpointName: endpoint.name,
      privateDnsZoneGroupName: "default",
      privateDnsZoneConfigs: [{ name: "blob", privateDnsZoneId: zone.id }],
    },
    opts,
  );

  return {
    vnetId: vnet.id,
    subnetId: subnet.id,
    privateEndpointId: endpoint.id,
    privateDnsZoneId: zone.id,
  };
}
