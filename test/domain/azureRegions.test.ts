// domain/azureRegions.ts: the public-cloud regions a StorageV2 vault can live in, and which
// redundancy SKUs each offers.
import { expect } from "chai";
import { AZURE_REGIONS, AZURE_SOVEREIGN_REGIONS, azureRegion } from "../../domain/azureRegions";

const names = AZURE_REGIONS.map((r) => r.name);

function isSortedUnique(values: readonly string[]): boolean {
  return values.every((v, i) => i === 0 || values[i - 1] < v);
}

describe("domain/azureRegions", () => {
  it("AZURE_REGIONS is sorted by name and unique", () => {
    expect(isSortedUnique(names)).to.equal(true);
    expect(isSortedUnique(["westus", "eastus"]), "the check itself").to.equal(false);
  });

  it("names are lowercase programmatic names", () => {
    for (const n of names) expect(n).to.match(/^[a-z][a-z0-9]+$/);
    expect(names).to.include.members(["westeurope", "swedencentral", "eastus2", "westus3"]);
  });

  it("gzrs is offered exactly where zrs and grs both are", () => {
    for (const r of AZURE_REGIONS) expect(r.gzrs, r.name).to.equal(r.zrs && r.grs);
  });

  it("westeurope offers ZRS, GRS and GZRS", () => {
    expect(azureRegion("westeurope")).to.deep.equal({
      name: "westeurope",
      zrs: true,
      grs: true,
      gzrs: true,
    });
  });

  it("regions without availability zones offer GRS but not ZRS or GZRS", () => {
    for (const n of ["westcentralus", "northcentralus", "westus", "ukwest", "canadaeast"])
      expect(azureRegion(n), n).to.include({ zrs: false, grs: true, gzrs: false });
  });

  it("nonpaired regions offer ZRS but not GRS or GZRS", () => {
    // The nonpaired table of https://learn.microsoft.com/azure/reliability/regions-paired
    const nonpaired = [
      "austriaeast",
      "belgiumcentral",
      "chilecentral",
      "denmarkeast",
      "indonesiacentral",
      "israelcentral",
      "italynorth",
      "malaysiawest",
      "mexicocentral",
      "newzealandnorth",
      "polandcentral",
      "qatarcentral",
      "spaincentral",
    ];
    expect(AZURE_REGIONS.filter((r) => !r.grs).map((r) => r.name)).to.deep.equal(nonpaired);
    for (const n of nonpaired)
      expect(azureRegion(n), n).to.include({ zrs: true, grs: false, gzrs: false });
  });

  it("every public region of the older Standard GPv2 ZRS list offers ZRS", () => {
    // https://learn.microsoft.com/azure/storage/common/redundancy-regions-zrs (2024-03-07 include),
    // less China North 3 and US Gov Virginia, which are sovereign-cloud regions.
    const zrs2024 =
      "southafricanorth australiaeast centralindia eastasia japaneast koreacentral southeastasia " +
      "francecentral germanywestcentral italynorth northeurope norwayeast polandcentral " +
      "spaincentral swedencentral switzerlandnorth uksouth westeurope israelcentral qatarcentral " +
      "uaenorth canadacentral centralus eastus eastus2 mexicocentral southcentralus westus2 " +
      "westus3 brazilsouth";
    for (const n of zrs2024.split(" ")) expect(azureRegion(n)?.zrs, n).to.equal(true);
  });

  it("sovereign regions are listed for rejection and are not public regions", () => {
    expect(AZURE_SOVEREIGN_REGIONS).to.include.members([
      "chinaeast2",
      "chinanorth3",
      "usgovvirginia",
      "usdodeast",
    ]);
    expect(isSortedUnique(AZURE_SOVEREIGN_REGIONS)).to.equal(true);
    for (const n of AZURE_SOVEREIGN_REGIONS) {
      expect(n).to.match(/^[a-z][a-z0-9]+$/);
      expect(azureRegion(n), n).to.equal(undefined);
    }
    expect(names).not.to.include("chinaeast2");
  });

  it("azureRegion looks names up exactly", () => {
    expect(azureRegion("swedencentral")?.name).to.equal("swedencentral");
    for (const n of ["WestEurope", "west europe", "westeurope ", "", "westeurope2", "swedensouth"])
      expect(azureRegion(n), JSON.stringify(n)).to.equal(undefined);
  });
});
