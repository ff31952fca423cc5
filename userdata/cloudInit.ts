import { stringify } from "yaml";
import { renderRcloneConfig } from "./rcloneConfig";
import { renderUnits } from "./schedule";
import { renderSyncScript } from "./syncScript";
import {
  RCLONE_CONFIG_PATH,
  SCRIPT_PATH,
  SERVICE_NAME,
  TIMER_NAME,
  type SyncSettings,
} from "./settings";

export interface HostArtifacts {
  rcloneConfig: string;
  syncScript: string;
  service: string;
  timer: string;
}

/** Everything the host runs, rendered from plain values. */
export function renderHostArtifacts(s: SyncSettings, sasUrl?: string): HostArtifacts {
  const units = renderUnits(s.syncIntervalHours);
  return {
    rcloneConfig: renderRcloneConfig(s, sasUrl),
    syncScript: renderSyncScript(s),
    service: units.service,
    timer: units.timer,
  };
}

/**
 * The #cloud-config document. rclone, jq and the AWS CLI come from Debian's signed archive
 * (the rclone the tests run is the same Debian build). Debian images do not ship the SSM agent,
 * so it is installed from AWS's regional distribution bucket over TLS.
 */
export function renderCloudInit(
  s: SyncSettings,
  artifacts: HostArtifacts,
  arch: "arm64" | "x86_64",
): string {
  const debArch = arch === "arm64" ? "arm64" : "amd64";
  const region = s.sourceRegion;
  const ssmAgentUrl = `https://s3.${region}.amazonaws.com/amazon-ssm-${region}/latest/debian_${debArch}/amazon-ssm-agent.deb`;
  const packages = ["rclone", "jq", "unattended-upgrades"];
  if (s.credentialDelivery === "ssm") packages.push("awscli");
  const doc = {
    package_update: true,
    package_upgrade: true,
    packages,
    write_files: [
      {
        path: RCLONE_CONFIG_PATH,
        owner: "root:root",
        permissions: "0600",
        content: artifacts.rcloneConfig,
      },
      { path: SCRIPT_PATH, owner: "root:root", permissions: "0755", content: artifacts.syncScript },
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
    ],
    runcmd: [
      [
        "sh",
        "-c",
        `curl -fsSL --retry 5 --proto =https -o /run/amazon-ssm-agent.deb ${ssmAgentUrl} && dpkg -i /run/amazon-ssm-agent.deb && rm -f /run/amazon-ssm-agent.deb`,
      ],
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", "--now", TIMER_NAME],
      // The first backup starts at boot rather than at the next scheduled slot.
      ["systemctl", "start", "--no-block", SERVICE_NAME],
    ],
  };
  return `#cloud-config\n${stringify(doc, { lineWidth: 0 })}`;
}
