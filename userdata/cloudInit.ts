import { gunzipSync } from "node:zlib";
import { stableGzip } from "./gzip";
import { stringify } from "yaml";
import { renderRcloneConfig } from "./rcloneConfig";
import { CHECKS, renderUnits, type CheckKind } from "./schedule";
import { aptPreferences, hostPackages } from "./hostPackages";
import { SSM_AGENT_KEYRING, ssmAgentInstallCommand, ssmAgentKeyringBase64 } from "./ssmAgent";
import { engineDelivery, renderLoader, type EngineDelivery } from "./engineDelivery";
import { ENGINE_SETTINGS_PATH, renderEngineSettings } from "./engineSettings";
import {
  ENTRA_AUTHORITY,
  ENTRA_TOKEN_AUDIENCE,
  FEDERATED_SAS_RENEW_BELOW_SECONDS,
  FEDERATED_SAS_SECONDS,
  STORAGE_SCOPE,
  WEB_IDENTITY_SIGNING_ALGORITHM,
  WEB_IDENTITY_TOKEN_SECONDS,
} from "../domain/credentials";
import {
  FEDERATION_CONFIG_PATH,
  RCLONE_CONFIG_PATH,
  SCRIPT_PATH,
  SERVICE_NAME,
  TIMER_NAME,
  type SyncSettings,
  type VaultAccess,
} from "./settings";

export interface HostArtifacts {
  rcloneConfig: string;
  /** Federated mode: the identity the engine presents its AWS token to (JSON, no secret). */
  federationConfig?: string;
  /** The engine's settings (settings.json; the engine bundle is the same for every stack). */
  engineSettings: string;
  /** The sync engine (delivered through SSM parameters, see engineDelivery.ts). */
  engine: EngineDelivery;
  /** The host's entry point, in user-data: fetches and checks the engine, then runs it. */
  loader: string;
  service: string;
  timer: string;
  /** The integrity check's and the restore drill's units, each with a timer unless "off". */
  checks: Record<CheckKind, { service: string; timer?: string }>;
}

/** Everything the host runs, rendered from plain values. */
export function renderHostArtifacts(
  s: SyncSettings,
  access: VaultAccess,
  /** The engine's delivery when the caller has it already (SyncHost creates its parameters). */
  engine: EngineDelivery = engineDelivery(s.stack),
): HostArtifacts {
  const units = renderUnits(s.syncIntervalHours, access.kind === "federated", {
    integrity: s.integrityCheck,
    drill: s.restoreDrill,
  });
  return {
    rcloneConfig: renderRcloneConfig(s, access),
    federationConfig: access.kind === "federated" ? renderFederationConfig(access) : undefined,
    engineSettings: renderEngineSettings(s),
    engine,
    loader: renderLoader(s.sourceRegion, engine),
    service: units.service,
    timer: units.timer,
    checks: units.checks,
  };
}

/**
 * The engine's federated-identity settings: where to get the AWS token (regional STS endpoint,
 * audience, algorithm, lifetime), which Entra identity accepts it, and the vault's endpoint.
 * Identifiers only: without the host's AWS role they grant nothing.
 */
export function renderFederationConfig(
  access: Extract<VaultAccess, { kind: "federated" }>,
): string {
  return (
    JSON.stringify(
      {
        tenantId: access.tenantId,
        clientId: access.clientId,
        blobEndpoint: access.blobEndpoint,
        authority: access.authority ?? ENTRA_AUTHORITY,
        scope: STORAGE_SCOPE,
        audience: ENTRA_TOKEN_AUDIENCE,
        signingAlgorithm: WEB_IDENTITY_SIGNING_ALGORITHM,
        tokenSeconds: WEB_IDENTITY_TOKEN_SECONDS,
        sasSeconds: access.sasSeconds ?? FEDERATED_SAS_SECONDS,
        renewBelowSeconds: access.renewBelowSeconds ?? FEDERATED_SAS_RENEW_BELOW_SECONDS,
        ...(access.stsEndpoint ? { stsEndpoint: access.stsEndpoint } : {}),
        ...(access.sasIp ? { sasIp: access.sasIp } : {}),
        ...(access.retryDelaysSeconds ? { retryDelaysSeconds: access.retryDelaysSeconds } : {}),
      },
      null,
      1,
    ) + "\n"
  );
}

/**
 * apt's only sources, replacing the deb822 file Debian's AWS images ship (the same suites, read
 * through /etc/apt/mirrors/*.list) so that every package and index is fetched over HTTPS from
 * Debian's AWS mirror, and the security group needs no port 80. apt has the https method
 * built in and still checks the archive's signatures.
 */
export const APT_SOURCES_PATH = "/etc/apt/sources.list.d/debian.sources";
export function aptSources(): string {
  const stanza = (path: string, suites: string) =>
    `Types: deb\nURIs: https://cdn-aws.deb.debian.org/${path}\nSuites: ${suites}\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`;
  return [
    stanza("debian", "bookworm bookworm-updates bookworm-backports"),
    stanza("debian-security", "bookworm-security"),
  ].join("\n");
}

/**
 * unattended-upgrades runs daily (apt-daily-upgrade.timer) only when apt's configuration says so;
 * Debian's package leaves that to a debconf answer, so cloud-init writes it (apt.conf, its
 * /etc/apt/apt.conf.d/94cloud-init-config). Debian's default origins include the security suite,
 * and the pins (hostPackages.ts) let security updates of the pinned packages through. The engine
 * reports what is still pending (pendingSecurityUpdates).
 */
export const AUTO_UPGRADES =
  'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n';

/**
 * The #cloud-config document. rclone, botocore and the AWS CLI come from Debian's signed
 * archive (the versions the tests run, pinned in userdata/host-packages.txt). Debian images do not ship the SSM agent,
 * so it is downloaded from AWS's regional distribution bucket over TLS and installed only if its
 * signature verifies against AWS's signing key (userdata/ssmAgent.ts).
 */
export function renderCloudInit(
  s: SyncSettings,
  artifacts: HostArtifacts,
  arch: "arm64" | "x86_64",
): string {
  const debArch = arch === "arm64" ? "arm64" : "amd64";
  const region = s.sourceRegion;
  // The engine's own dependencies at the upstream versions the tests run, held there by an apt
  // pin (written before cloud-init installs packages): apt installs the newest Debian rebuild or
  // security update of that version (hostPackages.ts), never another upstream version.
  const pinned = hostPackages();
  const packages: string[] = [...Object.keys(pinned), "unattended-upgrades"];
  if (s.credential === "ssm") packages.push("awscli");
  // The checks' services (on demand: systemctl start <unit>) and the timers of those scheduled.
  const checkUnits = (Object.keys(CHECKS) as CheckKind[]).flatMap((kind) => {
    const { service, timer } = artifacts.checks[kind];
    const units: [string, string][] = [[`${CHECKS[kind].unit}.service`, service]];
    if (timer !== undefined) units.push([`${CHECKS[kind].unit}.timer`, timer]);
    return units;
  });
  const doc = {
    // The instance has no public IP of its own: its egress is the Elastic IP, associated just
    // after the instance starts. Wait for it (IMDSv2) before anything goes to the network, so
    // the first package install and the first backup do not race the association.
    bootcmd: [
      [
        "sh",
        "-c",
        'for i in $(seq 60); do t=$(curl -fsS -m 2 -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 60" http://169.254.169.254/latest/api/token) && [ -n "$(curl -fsS -m 2 -H "X-aws-ec2-metadata-token: $t" http://169.254.169.254/latest/meta-data/public-ipv4)" ] && exit 0; sleep 5; done; echo "cross-cloud-backup: no public IPv4 (Elastic IP) after 5 minutes" >&2',
      ],
    ],
    // cloud-init must not write a sources.list of its own (Debian's default; stated so that
    // an image setting cannot add one).
    apt: { preserve_sources_list: true, conf: AUTO_UPGRADES },
    package_update: true,
    package_upgrade: true,
    packages,
    // write_files runs in cloud-init's init stage, before the final stage installs packages.
    write_files: [
      {
        path: "/etc/apt/preferences.d/cross-cloud-backup",
        owner: "root:root",
        permissions: "0644",
        content: aptPreferences(pinned),
      },
      {
        path: APT_SOURCES_PATH,
        owner: "root:root",
        permissions: "0644",
        content: aptSources(),
      },
      {
        path: RCLONE_CONFIG_PATH,
        owner: "root:root",
        permissions: "0600",
        content: artifacts.rcloneConfig,
      },
      {
        path: ENGINE_SETTINGS_PATH,
        owner: "root:root",
        permissions: "0600",
        content: artifacts.engineSettings,
      },
      ...(artifacts.federationConfig === undefined
        ? []
        : [
            {
              path: FEDERATION_CONFIG_PATH,
              owner: "root:root",
              permissions: "0600",
              content: artifacts.federationConfig,
            },
          ]),
      { path: SCRIPT_PATH, owner: "root:root", permissions: "0755", content: artifacts.loader },
      // The key the SSM agent's package must be signed with (binary, as gpgv reads it).
      {
        path: SSM_AGENT_KEYRING,
        owner: "root:root",
        permissions: "0644",
        encoding: "b64",
        content: ssmAgentKeyringBase64(),
      },
      {
        path: `/etc/systemd/system/${SERVICE_NAME}`,
        owner: "root:root",
        permissions: "0644",
        content: artifacts.service,
      },
      {
        path: `/etc/systemd/system/${TIMER_NAME}`,
        owner: "root:root",
        permissions: "0644",
        content: artifacts.timer,
      },
      ...checkUnits.map(([name, content]) => ({
        path: `/etc/systemd/system/${name}`,
        owner: "root:root",
        permissions: "0644",
        content,
      })),
    ],
    runcmd: [
      ["sh", "-c", ssmAgentInstallCommand(region, debArch)],
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", "--now", TIMER_NAME],
      ...checkUnits
        .filter(([name]) => name.endsWith(".timer"))
        .map(([name]) => ["systemctl", "enable", "--now", name]),
      // The first backup starts at boot rather than at the next scheduled slot.
      ["systemctl", "start", "--no-block", SERVICE_NAME],
    ],
  };
  return `#cloud-config\n${stringify(doc, { lineWidth: 0 })}`;
}

/** EC2's limit on user-data, before base64 encoding. */
export const USER_DATA_LIMIT_BYTES = 16 * 1024;

/**
 * User-data as the instance gets it: gzip (cloud-init recognises the gzip header) then base64.
 * The engine itself travels through SSM parameters (engineDelivery.ts), so this stays small. Deterministic
 * (no timestamp in the gzip header), so an unchanged document never replaces the host.
 */
export function encodeUserData(cloudConfig: string): string {
  const gz = stableGzip(Buffer.from(cloudConfig, "utf8"));
  if (gz.length > USER_DATA_LIMIT_BYTES) {
    throw new Error(
      `user-data is ${gz.length} bytes gzipped, over EC2's ${USER_DATA_LIMIT_BYTES}-byte limit`,
    );
  }
  return gz.toString("base64");
}

/** The inverse of encodeUserData (for tests and for reading a deployed host's user-data). */
export function decodeUserData(base64: string): string {
  return gunzipSync(Buffer.from(base64, "base64")).toString("utf8");
}
