// Azure public-cloud regions that can host a StorageV2 (general-purpose v2) account, and which
// redundancy SKUs each offers. Plain data: no Pulumi imports.
//
// Sources (read 2026-11-25 from the MicrosoftDocs/reliability-docs source of these Learn pages,
// snapshot of 2026-08-20; the region table was last changed there on 2026-07-28):
// - Region list, availability-zone support and pairs ("This article contains a list of all regions
//   in the Azure public cloud"), page ms.date 2025-09-23:
//   https://learn.microsoft.com/azure/reliability/regions-list
// - Paired and nonpaired regions, ms.date 2026-06-25:
//   https://learn.microsoft.com/azure/reliability/regions-paired
// - Storage redundancy by region, ms.date 2025-08-15:
//   https://learn.microsoft.com/azure/reliability/reliability-storage-blob
//   "You can deploy zone-redundant Azure Storage accounts in any region that supports availability
//   zones" (so zrs = the region has availability zones) and "Geo-redundant storage (GRS) only works
//   within Azure paired regions" (so grs = the region has a pair; RA-GRS likewise).
//   GZRS/RA-GZRS replicate across the primary region's zones and into the paired region, so
//   gzrs = zrs && grs.
// - Cross-check: every region on the older Standard general-purpose v2 ZRS list
//   (https://learn.microsoft.com/azure/storage/common/redundancy-regions-zrs, include dated
//   2024-03-07) that is in the public cloud has zrs here (test/domain/azureRegions.test.ts).
//
// Regions marked "access restricted" need an access request before a subscription can deploy
// there (https://learn.microsoft.com/troubleshoot/azure/general/region-access-request-process).
// Restricted regions that the list does not show (e.g. swedensouth, the pair of swedencentral) and
// announced-but-unopened regions are not in the table, so they are rejected.

export interface AzureRegion {
  /** Programmatic (ARM location) name, lowercase, e.g. "westeurope". */
  name: string;
  /** Standard_ZRS is offered (the region has availability zones). */
  zrs: boolean;
  /** Standard_GRS and Standard_RAGRS are offered (the region has a paired region). */
  grs: boolean;
  /** Standard_GZRS and Standard_RAGZRS are offered (availability zones and a paired region). */
  gzrs: boolean;
  /** Access restricted: a subscription can deploy there only after an access request. */
  restricted?: true;
}

/** Every public-cloud region that can host a StorageV2 account, sorted by name, unique. */
export const AZURE_REGIONS: readonly AzureRegion[] = [
  { name: "australiacentral", zrs: false, grs: true, gzrs: false },
  { name: "australiacentral2", zrs: false, grs: true, gzrs: false, restricted: true },
  { name: "australiaeast", zrs: true, grs: true, gzrs: true },
  { name: "australiasoutheast", zrs: false, grs: true, gzrs: false },
  { name: "austriaeast", zrs: true, grs: false, gzrs: false },
  { name: "belgiumcentral", zrs: true, grs: false, gzrs: false },
  { name: "brazilsouth", zrs: true, grs: true, gzrs: true },
  { name: "brazilsoutheast", zrs: false, grs: true, gzrs: false, restricted: true },
  { name: "canadacentral", zrs: true, grs: true, gzrs: true },
  { name: "canadaeast", zrs: false, grs: true, gzrs: false },
  { name: "centralindia", zrs: true, grs: true, gzrs: true },
  { name: "centralus", zrs: true, grs: true, gzrs: true },
  { name: "chilecentral", zrs: true, grs: false, gzrs: false },
  { name: "denmarkeast", zrs: true, grs: false, gzrs: false },
  { name: "eastasia", zrs: true, grs: true, gzrs: true },
  { name: "eastus", zrs: true, grs: true, gzrs: true },
  { name: "eastus2", zrs: true, grs: true, gzrs: true },
  { name: "francecentral", zrs: true, grs: true, gzrs: true },
  { name: "francesouth", zrs: false, grs: true, gzrs: false, restricted: true },
  { name: "germanynorth", zrs: false, grs: true, gzrs: false, restricted: true },
  { name: "germanywestcentral", zrs: true, grs: true, gzrs: true },
  { name: "indiasouthcentral", zrs: true, grs: true, gzrs: true },
  { name: "indonesiacentral", zrs: true, grs: false, gzrs: false },
  { name: "israelcentral", zrs: true, grs: false, gzrs: false },
  { name: "italynorth", zrs: true, grs: false, gzrs: false },
  { name: "japaneast", zrs: true, grs: true, gzrs: true },
  { name: "japanwest", zrs: true, grs: true, gzrs: true },
  { name: "koreacentral", zrs: true, grs: true, gzrs: true },
  { name: "koreasouth", zrs: false, grs: true, gzrs: false },
  { name: "malaysiawest", zrs: true, grs: false, gzrs: false },
  { name: "mexicocentral", zrs: true, grs: false, gzrs: false },
  { name: "newzealandnorth", zrs: true, grs: false, gzrs: false },
  { name: "northcentralus", zrs: false, grs: true, gzrs: false },
  { name: "northeurope", zrs: true, grs: true, gzrs: true },
  { name: "norwayeast", zrs: true, grs: true, gzrs: true },
  { name: "norwaywest", zrs: false, grs: true, gzrs: false, restricted: true },
  { name: "polandcentral", zrs: true, grs: false, gzrs: false },
  { name: "qatarcentral", zrs: true, grs: false, gzrs: false },
  { name: "southafricanorth", zrs: true, grs: true, gzrs: true },
  { name: "southafricawest", zrs: false, grs: true, gzrs: false, restricted: true },
  { name: "southcentralus", zrs: true, grs: true, gzrs: true },
  { name: "southeastasia", zrs: true, grs: true, gzrs: true },
  { name: "southindia", zrs: false, grs: true, gzrs: false },
  { name: "spaincentral", zrs: true, grs: false, gzrs: false },
  { name: "swedencentral", zrs: true, grs: true, gzrs: true },
  { name: "switzerlandnorth", zrs: true, grs: true, gzrs: true },
  { name: "switzerlandwest", zrs: false, grs: true, gzrs: false, restricted: true },
  { name: "uaecentral", zrs: false, grs: true, gzrs: false, restricted: true },
  { name: "uaenorth", zrs: true, grs: true, gzrs: true },
  { name: "uksouth", zrs: true, grs: true, gzrs: true },
  { name: "ukwest", zrs: false, grs: true, gzrs: false },
  { name: "westcentralus", zrs: false, grs: true, gzrs: false },
  { name: "westeurope", zrs: true, grs: true, gzrs: true },
  { name: "westindia", zrs: false, grs: true, gzrs: false },
  { name: "westus", zrs: false, grs: true, gzrs: false },
  { name: "westus2", zrs: true, grs: true, gzrs: true },
  { name: "westus3", zrs: true, grs: true, gzrs: true },
];

/**
 * Azure China (21Vianet; https://learn.microsoft.com/azure/china/overview-regions) and Azure
 * Government (https://learn.microsoft.com/azure/azure-government/documentation-government-welcome)
 * region names, sorted. The vault targets Azure public cloud (core.windows.net), so these are
 * rejected with that reason rather than as unknown names. usgoviowa is retired but still a name
 * people paste.
 */
export const AZURE_SOVEREIGN_REGIONS: readonly string[] = [
  "chinaeast",
  "chinaeast2",
  "chinaeast3",
  "chinanorth",
  "chinanorth2",
  "chinanorth3",
  "usdodcentral",
  "usdodeast",
  "usgovarizona",
  "usgoviowa",
  "usgovtexas",
  "usgovvirginia",
];

const BY_NAME: ReadonlyMap<string, AzureRegion> = new Map(AZURE_REGIONS.map((r) => [r.name, r]));

/** The public-cloud region with this exact (lowercase) name, or undefined. */
export function azureRegion(name: string): AzureRegion | undefined {
  return BY_NAME.get(name);
}
