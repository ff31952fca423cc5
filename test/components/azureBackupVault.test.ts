import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import {
  AzureBackupVault,
  AzureBackupVaultArgs,
  accountNamePrefix,
  immutabilityState,
  sasExpirationPeriod,
  splitKeyUri,
  vaultArgsProblems,
} from "../../components/azureBackupVault";
import { BLOB_PRIVATE_DNS_ZONE } from "../../components/vaultNetwork";
import { sasWindow } from "../../domain/sasWindow";
import { FAKE_EIP } from "../../harness/mocks";
import type { RecordedInvoke } from "../../harness/mocks";
import { isSecretInput, ofType, one, runProgram } from "../support/program";
import type { ProgramResult } from "../support/program";

const T = {
  rg: "azure-native:resources:ResourceGroup",
  account: "azure-native:storage:StorageAccount",
  blobService: "azure-native:storage:BlobServiceProperties",
  container: "azure-native:storage:BlobContainer",
  random: "random:index/randomString:RandomString",
  vnet: "azure-native:network:VirtualNetwork",
  subnet: "azure-native:network:Subnet",
  pe: "azure-native:network:PrivateEndpoint",
  zoneGroup: "azure-native:network:PrivateDnsZoneGroup",
  zone: "azure-native:privatedns:PrivateZone",
  link: "azure-native:privatedns:VirtualNetworkLink",
  vault: "cross-cloud-backup:azure:AzureBackupVault",
  lifecycle: "azure-native:storage:ManagementPolicy",
  lock: "azure-native:authorization:ManagementLockAtResourceGroupLevel",
};
const SAS_TOKEN = "azure-native:storage:listStorageAccountServiceSAS";
const DAY_MS = 24 * 60 * 60 * 1000;
const CMK = {
  cmkKeyUri: "https://ccb-keys.vault.azure.net/keys/vault-cmk/0123456789abcdef0123456789abcdef",
  cmkIdentityId:
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-keys/providers/Microsoft.ManagedIdentity/userAssignedIdentities/vault-cmk",
};
const ADMIN_NET = "198.51.100.0/28";

// Recorded inputs are plain JSON; these helpers read them without repeating casts.
type Json = Record<string, any>;
const inputs = (r: ProgramResult, type: string): Json => one(r, type).inputs;
const sasInvoke = (r: ProgramResult): RecordedInvoke => {
  const all = r.invokes.filter((i) => i.token === SAS_TOKEN);
  expect(all, "exactly one SAS invoke").to.have.length(1);
  return all[0];
};
/** Every string in a recorded value that is not inside a secret. */
function nonSecretStrings(v: unknown, out: string[] = []): string[] {
  if (isSecretInput(v)) return out;
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => nonSecretStrings(x, out));
  else if (v !== null && typeof v === "object")
    Object.values(v).forEach((x) => nonSecretStrings(x, out));
  return out;
}
/** "D.HH:MM:SS" to milliseconds. */
function periodMs(p: string): number {
  const m = /^(\d+)\.(\d{2}):(\d{2}):(\d{2})$/.exec(p);
  expect(m, `period "${p}" has the form D.HH:MM:SS`).to.not.equal(null);
  const [d, h, min, s] = m!.slice(1).map(Number);
  return (((d * 24 + h) * 60 + min) * 60 + s) * 1000;
}

describe("AzureBackupVault", function () {
  let dev: ProgramResult;
  let prod: ProgramResult;
  let mirror: ProgramResult;
  let pitr: ProgramResult;
  let cmk: ProgramResult;
  let devStarted: Date;
  let devFinished: Date;

  // These runs use the SAS mode, which has the most vault-side parts (the SAS, Shared Key);
  // test/components/federation.test.ts covers the federated default.
  before(function () {
    // Five program runs; other files run beside this one (mocha's parallel workers).
    this.timeout(300_000);
    const sas = { credentialMode: "sas" };
    devStarted = new Date();
    dev = runProgram("dev", sas);
    devFinished = new Date();
    prod = runProgram("prod", sas);
    mirror = runProgram("dev", { ...sas, syncMode: "mirror", allowedIps: [ADMIN_NET] });
    pitr = runProgram("dev", { pointInTimeRestoreDays: 3 });
    cmk = runProgram("dev", CMK);
    for (const [label, r] of Object.entries({ dev, prod, mirror, pitr, cmk }))
      expect(r.error, `${label} run error`).to.equal(undefined);
  });

  it("a preview mints no SAS (no listServiceSas): the code a pull request previews never holds one", function () {
    this.timeout(120_000);
    const previewed = runProgram("dev", { credentialMode: "sas" }, { preview: true });
    expect(previewed.error).to.equal(undefined);
    expect(previewed.invokes.filter((i) => i.token === SAS_TOKEN)).to.deep.equal([]);
    // The same stack deployed mints it once.
    expect(dev.invokes.filter((i) => i.token === SAS_TOKEN)).to.have.length(1);
    // The parameter that carries it is still declared; its value is unknown until `pulumi up`.
    expect(
      previewed.resources.filter(
        (x) => x.type === "aws:ssm/parameter:Parameter" && x.inputs.type === "SecureString",
      ),
    ).to.have.length(1);
  });

  it("protects the resource group, the account and the container from deletion and replacement", function () {
    for (const r of [dev, prod]) {
      expect(r.protectedResources).to.include.members([
        `${T.account}::vault-account`,
        "azure-native:resources:ResourceGroup::vault-rg",
        "azure-native:storage:BlobContainer::vault-container",
      ]);
    }
  });

  describe("storage account", function () {
    it("enforces TLS 1.2, HTTPS only, no public blobs, no cross-tenant replication, no local users", function () {
      for (const r of [dev, prod]) {
        const a = inputs(r, T.account);
        expect(a.kind).to.equal("StorageV2");
        expect(a.minimumTlsVersion).to.equal("TLS1_2");
        expect(a.enableHttpsTrafficOnly).to.equal(true);
        expect(a.allowBlobPublicAccess).to.equal(false);
        expect(a.allowCrossTenantReplication).to.equal(false);
        expect(a.isLocalUserEnabled).to.equal(false);
        expect(a.isSftpEnabled).to.equal(false);
        // The documented exception: a service SAS is signed with an account key.
        expect(a.allowSharedKeyAccess).to.equal(true);
      }
    });

    it("requires infrastructure (double) encryption with Microsoft-managed keys by default", function () {
      const e = inputs(dev, T.account).encryption;
      expect(e.requireInfrastructureEncryption).to.equal(true);
      expect(e.keySource).to.equal("Microsoft.Storage");
      expect(e.keyVaultProperties).to.equal(undefined);
      expect(inputs(dev, T.account).identity).to.equal(undefined);
    });

    it("uses the customer-managed key and its user-assigned identity when cmk is configured", function () {
      const a = inputs(cmk, T.account);
      expect(a.encryption.requireInfrastructureEncryption).to.equal(true);
      expect(a.encryption.keySource).to.equal("Microsoft.Keyvault");
      expect(a.encryption.keyVaultProperties).to.deep.equal({
        keyVaultUri: "https://ccb-keys.vault.azure.net",
        keyName: "vault-cmk",
        keyVersion: "0123456789abcdef0123456789abcdef",
      });
      expect(a.encryption.encryptionIdentity).to.deep.equal({
        encryptionUserAssignedIdentity: CMK.cmkIdentityId,
      });
      expect(a.identity).to.deep.equal({
        type: "UserAssigned",
        userAssignedIdentities: [CMK.cmkIdentityId],
      });
    });

    it("denies by default and admits only the sync host's IP and allowedIps, with no trusted-service bypass", function () {
      for (const r of [dev, prod, mirror, cmk]) {
        const rules = inputs(r, T.account).networkRuleSet;
        expect(rules.defaultAction).to.equal("Deny");
        // Azure's default (an absent bypass) is AzureServices: it must be set, to None.
        expect(rules.bypass).to.equal("None");
      }
      const rules = inputs(dev, T.account).networkRuleSet;
      expect(rules.ipRules).to.deep.equal([{ iPAddressOrRange: FAKE_EIP, action: "Allow" }]);
      const withAdmin = inputs(mirror, T.account).networkRuleSet;
      expect(withAdmin.ipRules.map((r: Json) => String(r.iPAddressOrRange))).to.deep.equal([
        FAKE_EIP,
        ADMIN_NET,
      ]);
    });

    it("takes its SKU from storageRedundancy: dev LRS, prod GZRS", function () {
      expect(inputs(dev, T.account).sku).to.deep.equal({ name: "Standard_LRS" });
      expect(inputs(prod, T.account).sku).to.deep.equal({ name: "Standard_GZRS" });
    });

    it("has a SAS expiration policy that blocks longer SAS but admits ours", function () {
      for (const r of [dev, prod]) {
        const policy = inputs(r, T.account).sasPolicy;
        expect(policy.expirationAction).to.equal("Block");
        const args = sasInvoke(r).args;
        const lifetime =
          Date.parse(String(args.sharedAccessExpiryTime)) -
          Date.parse(String(args.sharedAccessStartTime));
        expect(lifetime).to.be.greaterThan(0);
        expect(periodMs(String(policy.sasExpirationPeriod))).to.be.at.least(lifetime);
      }
      // A tighter policy than needed would be pointless: exactly two windows.
      expect(inputs(dev, T.account).sasPolicy.sasExpirationPeriod).to.equal("14.00:00:00");
      expect(inputs(prod, T.account).sasPolicy.sasExpirationPeriod).to.equal("60.00:00:00");
    });

    it("sets a 90-day key expiration policy on the account keys, at least as long as any SAS it signs", function () {
      for (const r of [dev, prod, mirror, cmk]) {
        expect(inputs(r, T.account).keyPolicy).to.deep.equal({ keyExpirationPeriodInDays: 90 });
        const sasDays =
          periodMs(String(inputs(r, T.account).sasPolicy.sasExpirationPeriod)) / DAY_MS;
        expect(sasDays).to.be.at.most(90);
      }
    });

    it("gets a valid, globally unique name: component prefix + lowercase/digit random suffix", function () {
      for (const r of [dev, prod]) {
        const name = String(inputs(r, T.account).accountName);
        expect(name).to.match(/^[a-z0-9]{3,24}$/);
        expect(r.outputs.vaultAccountName.value).to.equal(name);
      }
      const suffix = inputs(dev, T.random);
      expect(suffix).to.include({ upper: false, special: false, lower: true, numeric: true });
      expect(String(inputs(dev, T.account).accountName)).to.equal("vaultabc123def4");
    });

    it("enables version-level WORM in prod (unlocked, 90 days) and not in dev", function () {
      expect(inputs(prod, T.account).immutableStorageWithVersioning).to.deep.equal({
        enabled: true,
        immutabilityPolicy: {
          immutabilityPeriodSinceCreationInDays: 90,
          state: "Unlocked",
          allowProtectedAppendWrites: true,
        },
      });
      expect(inputs(dev, T.account)).to.not.have.property("immutableStorageWithVersioning");
    });

    it("lets the engine's history grow under WORM: protected append writes, on the policy it locks", function () {
      // The history (status/history/) is append blobs that take a block per run and check: under
      // the account's default policy each is immutable once created, so without this every
      // Append Block would be refused. Azure accepts the setting only while the policy is not
      // Locked, so it must be there before (and when) the policy is locked.
      const account = inputs(prod, T.account).accountName as string;
      const locked = runProgram("prod", {
        immutabilityLocked: true,
        immutabilityLockAccount: account,
      });
      for (const r of [prod, locked]) {
        const policy = inputs(r, T.account).immutableStorageWithVersioning.immutabilityPolicy;
        expect(policy.allowProtectedAppendWrites).to.equal(true);
        // The container-level "All" variant (block blobs too) is not used, nor available here.
        expect(policy).to.not.have.property("allowProtectedAppendWritesAll");
      }
      // And no lifecycle rule matches append blobs: the history is kept.
      for (const rule of inputs(prod, T.lifecycle).policy.rules as Json[])
        expect(rule.definition.filters.blobTypes).to.deep.equal(["blockBlob"]);
    });

    it("locks WORM only as a second step, on the account the lock names, and exports the state", function () {
      expect(prod.outputs.vaultImmutabilityState.value).to.equal("Unlocked");
      expect(dev.outputs.vaultImmutabilityState.value).to.equal("Disabled");
      const account = inputs(prod, T.account).accountName as string;
      const lockOn = (name: string) =>
        runProgram("prod", { immutabilityLocked: true, immutabilityLockAccount: name });
      const locked = lockOn(account);
      expect(
        inputs(locked, T.account).immutableStorageWithVersioning.immutabilityPolicy.state,
      ).to.equal("Locked");
      expect(locked.outputs.vaultImmutabilityState.value).to.equal("Locked");
      // Another account's name (as on a new stack, whose random suffix nobody can know yet): the
      // policy is created Unlocked, which Azure accepts, never Locked, which it refuses.
      const other = lockOn("vaultzz99yy88");
      expect(
        inputs(other, T.account).immutableStorageWithVersioning.immutabilityPolicy.state,
      ).to.equal("Unlocked");
    });
  });

  describe("blob service and container", function () {
    it("turns on versioning and both soft deletes with the configured days", function () {
      for (const [r, days] of [
        [dev, 7],
        [prod, 30],
      ] as const) {
        const b = inputs(r, T.blobService);
        expect(b.isVersioningEnabled).to.equal(true);
        expect(b.deleteRetentionPolicy).to.deep.equal({
          enabled: true,
          days,
          allowPermanentDelete: false,
        });
        expect(b.containerDeleteRetentionPolicy).to.deep.equal({ enabled: true, days });
        expect(b.accountName).to.equal(inputs(r, T.account).accountName);
      }
    });

    it("keeps point-in-time restore and the change feed off unless configured", function () {
      const off = inputs(dev, T.blobService);
      expect(off.restorePolicy).to.deep.equal({ enabled: false });
      expect(off.changeFeed).to.deep.equal({ enabled: false });
      const on = inputs(pitr, T.blobService);
      expect(on.restorePolicy).to.deep.equal({ enabled: true, days: 3 });
      expect(on.changeFeed.enabled).to.equal(true);
      expect(on.changeFeed.retentionInDays).to.be.greaterThan(3);
    });

    it("creates one private container", function () {
      const c = inputs(dev, T.container);
      expect(c.publicAccess).to.equal("None");
      expect(c.containerName).to.equal("backup");
      expect(dev.outputs.vaultContainerName.value).to.equal("backup");
    });
  });

  describe("retention and deletion lock", function () {
    it("expires archive/ and old run summaries after versionRetentionDays, and nothing under data/", function () {
      for (const [r, days] of [
        [dev, 30],
        [prod, 365],
      ] as const) {
        const p = inputs(r, T.lifecycle);
        expect(p.managementPolicyName).to.equal("default");
        const rules = p.policy.rules as Json[];
        expect(rules.map((x) => x.name)).to.deep.equal(["expireArchive", "expireOldRunSummaries"]);
        for (const rule of rules) {
          expect(rule).to.include({ enabled: true, type: "Lifecycle" });
          expect(rule.name, "rule names: letters and digits").to.match(/^[A-Za-z0-9]+$/);
          // A data/ version's age counts from when its content was written, not from when it
          // was replaced: expiring them could delete the only good copy after a bad overwrite.
          for (const prefix of rule.definition.filters.prefixMatch as string[])
            expect(prefix.startsWith("backup/data"), prefix).to.equal(false);
        }
        const [archive, status] = rules;
        expect(archive.definition.filters).to.deep.equal({
          blobTypes: ["blockBlob"],
          prefixMatch: ["backup/archive/"],
        });
        expect(archive.definition.actions).to.deep.equal({
          baseBlob: { delete: { daysAfterModificationGreaterThan: days } },
          version: { delete: { daysAfterCreationGreaterThan: days } },
        });
        expect(status.definition.filters.prefixMatch).to.deep.equal(["backup/status/"]);
        expect(status.definition.actions).to.deep.equal({
          version: { delete: { daysAfterCreationGreaterThan: days } },
        });
      }
    });

    it("locks the vault's resource group against deletion in prod, not in dev", function () {
      expect(dev.resources.filter((x) => x.type === T.lock)).to.deep.equal([]);
      const lock = inputs(prod, T.lock);
      expect(lock).to.deep.include({ level: "CanNotDelete", lockName: "cross-cloud-backup-vault" });
      expect(lock.resourceGroupName).to.equal(inputs(prod, T.account).resourceGroupName);
    });
  });

  describe("private endpoint", function () {
    it("connects a blob private endpoint in the vault's VNet to the storage account", function () {
      const vnet = one(dev, T.vnet);
      const subnet = one(dev, T.subnet);
      const pe = one(dev, T.pe);
      expect((vnet.inputs as Json).addressSpace.addressPrefixes).to.deep.equal(["10.43.0.0/24"]);
      expect((subnet.inputs as Json).virtualNetworkName).to.equal(vnet.name);
      expect((subnet.inputs as Json).addressPrefix).to.equal("10.43.0.0/24");
      expect((pe.inputs as Json).subnet.id).to.equal(`${subnet.name}-id`);
      const [conn] = (pe.inputs as Json).privateLinkServiceConnections as Json[];
      expect(conn.groupIds).to.deep.equal(["blob"]);
      expect(conn.privateLinkServiceId).to.equal(`${one(dev, T.account).name}-id`);
      expect(dev.outputs.vaultPrivateEndpointId.value).to.equal(`${pe.name}-id`);
    });

    it("resolves the account privately through a linked privatelink zone and a zone group", function () {
      const zone = one(dev, T.zone);
      expect(zone.inputs).to.include({
        privateZoneName: BLOB_PRIVATE_DNS_ZONE,
        location: "global",
      });
      expect(BLOB_PRIVATE_DNS_ZONE).to.equal("privatelink.blob.core.windows.net");
      const link = inputs(dev, T.link);
      expect(link.privateZoneName).to.equal(BLOB_PRIVATE_DNS_ZONE);
      expect(link.registrationEnabled).to.equal(false);
      expect(link.virtualNetwork).to.deep.equal({ id: `${one(dev, T.vnet).name}-id` });
      const group = inputs(dev, T.zoneGroup);
      expect(group.privateEndpointName).to.equal(one(dev, T.pe).name);
      expect(group.privateDnsZoneConfigs).to.deep.equal([
        { name: "blob", privateDnsZoneId: `${zone.name}-id` },
      ]);
    });

    it("creates exactly one of each vault resource under one component", function () {
      expect(ofType(dev, T.vault)).to.have.length(1);
      for (const t of [T.rg, T.account, T.blobService, T.container, T.pe, T.zone, T.link])
        expect(ofType(dev, t), t).to.have.length(1);
    });
  });

  describe("SAS", function () {
    it("is container-scoped, HTTPS only, bound to the sync host's IP, without delete in copy mode", function () {
      const a = sasInvoke(dev).args;
      const account = String(inputs(dev, T.account).accountName);
      expect(a).to.include({
        accountName: account,
        canonicalizedResource: `/blob/${account}/backup`,
        resource: "c",
        protocols: "https",
        iPAddressOrRange: FAKE_EIP,
        permissions: "racwl",
        keyToSign: "key1",
      });
      expect(String(a.permissions)).to.not.include("d");
    });

    it("adds delete (racwdl) only in mirror mode", function () {
      expect(sasInvoke(mirror).args.permissions).to.equal("racwdl");
    });

    it("covers the current rotation window and the next one", function () {
      const a = sasInvoke(dev).args;
      const candidates = [sasWindow(devStarted, 7), sasWindow(devFinished, 7)];
      expect(candidates.map((w) => w.start)).to.include(a.sharedAccessStartTime);
      const expected = candidates.find((w) => w.start === a.sharedAccessStartTime)!;
      expect(a.sharedAccessExpiryTime).to.equal(expected.expiry);
      expect(dev.outputs.vaultSasExpiry).to.deep.equal({ secret: false, value: expected.expiry });
      expect(
        Date.parse(String(sasInvoke(prod).args.sharedAccessExpiryTime)) -
          Date.parse(String(sasInvoke(prod).args.sharedAccessStartTime)),
      ).to.equal(60 * DAY_MS);
    });

    it("is exported only as a secret URL, and no plain output or input carries a signature", function () {
      for (const r of [dev, prod, mirror]) {
        const url = r.outputs.vaultSasUrl;
        expect(url.secret).to.equal(true);
        const account = String(r.outputs.vaultAccountName.value);
        expect(String(url.value)).to.match(
          new RegExp(`^https://${account}\\.blob\\.core\\.windows\\.net/backup\\?.*sig=`),
        );
        for (const [k, o] of Object.entries(r.outputs))
          if (!o.secret) expect(JSON.stringify(o.value), `output ${k}`).to.not.include("sig=");
        for (const res of r.resources)
          for (const s of nonSecretStrings(res.inputs))
            expect(s, `${res.type} ${res.name}`).to.not.include("sig=");
      }
    });
  });

  describe("invalid configuration", function () {
    const expectRejected = (r: ProgramResult, ...patterns: RegExp[]) => {
      expect(r.error, "the program should fail").to.be.a("string");
      for (const p of patterns) expect(r.error).to.match(p);
      expect(r.resources, "no resource may be created").to.have.length(0);
    };

    it("rejects retention 0, a Premium SKU and a private IP, naming each key", function () {
      expectRejected(
        runProgram("dev", {
          softDeleteRetentionDays: 0,
          storageRedundancy: "Premium_LRS",
          allowedIps: ["10.0.0.1"],
        }),
        /softDeleteRetentionDays: must be a whole number between 1 and 365, got 0/,
        /storageRedundancy: unknown value "Premium_LRS"/,
        /allowedIps: "10\.0\.0\.1" must be a public address/,
      );
    });

    it("rejects retention 400 and an IP with an octet above 255", function () {
      expectRejected(
        runProgram("dev", { softDeleteRetentionDays: 400, allowedIps: ["300.1.1.1"] }),
        /softDeleteRetentionDays: must be a whole number between 1 and 365, got 400/,
        /allowedIps: "300\.1\.1\.1" has an octet above 255/,
      );
    });

    it("rejects point-in-time restore not shorter than soft-delete retention", function () {
      expectRejected(
        runProgram("dev", { pointInTimeRestoreDays: 7 }),
        /pointInTimeRestoreDays: must be less than softDeleteRetentionDays \(7\), got 7/,
      );
    });

    it("rejects, in SAS mode, a rotation window whose SAS would outlive the account keys' 90-day period", function () {
      expectRejected(
        runProgram("dev", { credentialMode: "sas", sasRotationDays: 46 }),
        /sasRotationDays: must be at most 45 in SAS mode, got 46: the SAS lives two rotation windows \(92 days\)/,
      );
      // The longest window that fits: its SAS is exactly the policy's and the key period.
      const longest = runProgram("dev", { credentialMode: "sas", sasRotationDays: 45 });
      expect(longest.error).to.equal(undefined);
      expect(inputs(longest, T.account).sasPolicy).to.deep.equal({
        expirationAction: "Block",
        sasExpirationPeriod: "90.00:00:00",
      });
    });

    it("rejects a retention shorter than the WORM period, naming the key", function () {
      expectRejected(
        runProgram("prod", { versionRetentionDays: 30 }),
        /versionRetentionDays: must be at least immutabilityDays \(90\), got 30/,
      );
    });
  });

  describe("pure helpers", function () {
    const valid: AzureBackupVaultArgs = {
      location: "westeurope",
      redundancy: "Standard_LRS",
      softDeleteRetentionDays: 7,
      pointInTimeRestoreDays: 0,
      immutabilityDays: 0,
      immutabilityLocked: false,
      versionRetentionDays: 30,
      deleteLock: false,
      egressIps: [FAKE_EIP],
      sasIp: FAKE_EIP,
      vnetCidr: "10.43.0.0/24",
      syncMode: "copy",
      credentialMode: "sas",
      sasRotationDays: 7,
    };

    it("splitKeyUri separates vault URI, key name and optional version", function () {
      expect(splitKeyUri("https://kv1.vault.azure.net/keys/k1")).to.deep.equal({
        keyVaultUri: "https://kv1.vault.azure.net",
        keyName: "k1",
        keyVersion: undefined,
      });
      expect(() => splitKeyUri("https://kv1.vault.azure.net/secrets/k1")).to.throw(/cmk.keyUri/);
    });

    it("sasExpirationPeriod writes whole days as D.HH:MM:SS, also past 99 days", function () {
      expect(sasExpirationPeriod(14)).to.equal("14.00:00:00");
      expect(sasExpirationPeriod(360)).to.equal("360.00:00:00");
    });

    it("accountNamePrefix keeps room for the 8-character suffix", function () {
      expect(accountNamePrefix("Vault-Prod_01")).to.equal("vaultprod01");
      expect(accountNamePrefix("a-very-long-component-name")).to.have.length(16);
    });

    it("the component reports every broken rule as a property path, for callers other than index.ts", function () {
      expect(vaultArgsProblems(valid)).to.deep.equal([]);
      const problems = vaultArgsProblems({
        ...valid,
        softDeleteRetentionDays: 3,
        pointInTimeRestoreDays: 3,
        immutabilityLocked: true,
        vnetCidr: "8.8.8.0/24",
        egressIps: [],
        cmk: { keyUri: "https://kv1.vault.azure.net/secrets/k1", identityId: "nope" },
      });
      const byPath = (path: string) =>
        problems.filter((p) => p.propertyPath === path).map((p) => p.reason);
      expect(byPath("pointInTimeRestoreDays").join("\n")).to.match(
        /must be less than softDeleteRetentionDays \(3\)/,
      );
      expect(byPath("immutabilityLocked").join("\n")).to.match(/requires immutabilityDays > 0/);
      expect(byPath("vnetCidr").join("\n")).to.match(/"8\.8\.8\.0\/24" must be a private/);
      expect(byPath("egressIps").join("\n")).to.match(/holds 0 entries; Azure allows 1 to 400/);
      expect(byPath("cmk.keyUri").join("\n")).to.match(/is not a Key Vault key URI/);
      expect(byPath("cmk.identityId").join("\n")).to.match(/user-assigned identity/);
      expect(problems).to.have.length(6);
    });

    it("throws one pulumi.InputPropertiesError with every property path (in-process, under mocks)", async function () {
      await pulumi.runtime.setMocks(
        {
          newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }),
          call: () => {
            throw new Error("no invokes expected");
          },
        },
        "cross-cloud-backup",
        "inproc",
        true,
      );
      let thrown: unknown;
      try {
        new AzureBackupVault("vault", {
          ...valid,
          location: "chinaeast2",
          redundancy: "Standard_GZRS",
          sasRotationDays: 0,
        });
      } catch (e) {
        thrown = e;
      }
      expect(pulumi.InputPropertiesError.isInstance(thrown), String(thrown)).to.equal(true);
      const err = thrown as pulumi.InputPropertiesError;
      expect(err.message).to.match(/AzureBackupVault "vault": invalid arguments/);
      // Callers outside a provider see the reasons in the message too.
      expect(err.message).to.match(/\n {2}- location: "chinaeast2" is a sovereign-cloud region/);
      expect(err.message).to.match(
        /\n {2}- sasRotationDays: must be a whole number between 1 and 180/,
      );
      expect(err.errors.map((e) => e.propertyPath).sort()).to.deep.equal([
        "location",
        "sasRotationDays",
      ]);
      expect(err.errors.find((e) => e.propertyPath === "location")?.reason).to.match(
        /sovereign-cloud region/,
      );
    });

    it("sends a locked WORM policy only to the account the lock names (Azure cannot create one locked)", function () {
      const lock = { immutabilityLocked: true, immutabilityLockAccount: "vaultab12cd34" };
      expect(immutabilityState(lock, "vaultab12cd34")).to.equal("Locked");
      // A new stack: its account (random suffix) is not the one named, so the policy is created
      // Unlocked and the program warns instead of failing at Azure.
      expect(immutabilityState(lock, "vaultzz99yy88")).to.equal("Unlocked");
      expect(immutabilityState({ immutabilityLocked: false }, "vaultab12cd34")).to.equal(
        "Unlocked",
      );
    });
  });
});
