import {
  APP,
  CONFIG_DIR,
  FEDERATION_CONFIG_PATH,
  RCLONE_CONFIG_PATH,
  SCRIPT_PATH,
} from "./settings";
import type { CheckSchedule } from "../domain/modes";
import { ENGINE_SETTINGS_PATH } from "./engineSettings";

/** The host's own checks: the engine's flag, and the time of day it runs (UTC). */
export const CHECKS = {
  integrity: { flag: "--verify", unit: `${APP}-verify`, at: "03:30:00" },
  drill: { flag: "--drill", unit: `${APP}-drill`, at: "04:30:00" },
} as const;
export type CheckKind = keyof typeof CHECKS;

/**
 * When a check runs: away from the midnight backup slot (a run in progress finishes first, the
 * check takes the same lock); weekly on Sundays, monthly on the 1st.
 */
export function checkCalendar(kind: CheckKind, schedule: Exclude<CheckSchedule, "off">): string {
  const at = CHECKS[kind].at;
  return {
    daily: `*-*-* ${at} UTC`,
    weekly: `Sun *-*-* ${at} UTC`,
    monthly: `*-*-01 ${at} UTC`,
  }[schedule];
}

/** systemd OnCalendar expression for "every N hours", N dividing 24, starting at midnight UTC. */
export function onCalendar(intervalHours: number): string {
  if (!Number.isInteger(intervalHours) || intervalHours < 1 || 24 % intervalHours !== 0) {
    throw new Error(`syncIntervalHours must divide 24, got ${intervalHours}`);
  }
  return intervalHours === 24 ? "*-*-* 00:00:00 UTC" : `*-*-* 00/${intervalHours}:00:00 UTC`;
}

/**
 * A oneshot service (systemd never starts a unit that is still active, so timer runs cannot
 * overlap; the script's flock also covers manual runs) and its timer. Persistent=true makes a
 * run missed while the host was off happen at boot. Output goes to the journal.
 */
export function renderUnits(
  intervalHours: number,
  federated = false,
  schedules: Record<CheckKind, CheckSchedule> = { integrity: "off", drill: "off" },
): {
  service: string;
  timer: string;
  /** The integrity check's and the restore drill's units; a timer unless "off". */
  checks: Record<CheckKind, { service: string; timer?: string }>;
} {
  // The sandbox (systemd-analyze security rates it OK, test/userdata/unitSecurity.test.ts):
  // python3, rclone, sort(1) and apt-get -s need nothing outside the @system-service system calls
  // (one outside fails with EPERM rather than killing the run); /proc shows only the unit's own
  // processes, and the engine reads nothing else there; no kernel log, clock, hostname or
  // realtime scheduling.
  const unit = (description: string, args: string, stopPost = "") => `[Unit]
Description=cross-cloud-backup: ${description}
Documentation=https://github.com/cross-cloud-backup/cross-cloud-backup#the-sync-host
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart=${SCRIPT_PATH}${args}
${stopPost}# The rclone config and the engine's settings reach the unprivileged dynamic user as
# credentials; the files on disk stay root-only (0600).
LoadCredential=rclone.conf:${RCLONE_CONFIG_PATH}
LoadCredential=settings.json:${ENGINE_SETTINGS_PATH}
${federated ? `LoadCredential=federation.json:${FEDERATION_CONFIG_PATH}\n` : ""}# One dynamic user for the backup and its checks: named after the unit otherwise, each would get
# its own UID, and systemd re-owns the shared state directory whenever one of them starts.
DynamicUser=yes
User=${APP}
Group=${APP}
StateDirectory=${APP}
StateDirectoryMode=0700
# 75 = another run was in progress (not a failure of this run). 3 = partial: everything readable
# was backed up but some objects were skipped; 4 = the integrity check found mismatches. Both
# show the unit as failed so that they are noticed; the summary names the objects.
SuccessExitStatus=75
TimeoutStartSec=23h
# The engine's memory does not grow with the bucket (about 200 MB at its peak, measured by
# npm run bench); a hard cap keeps a runaway from taking the host's 1 GiB with it.
MemoryHigh=384M
MemoryMax=512M
Nice=10
IOSchedulingClass=best-effort
IOSchedulingPriority=7
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
ProtectProc=invisible
ProcSubset=pid
ProtectKernelLogs=yes
ProtectClock=yes
ProtectHostname=yes
RestrictRealtime=yes
CapabilityBoundingSet=
UMask=0077
InaccessiblePaths=-${CONFIG_DIR}
`;
  // Every ending is recorded: the engine records a failure or a SIGTERM itself; ExecStopPost
  // (which systemd runs after any ending, with SERVICE_RESULT) records a run killed before it
  // could, for memory or after TimeoutStartSec. TimeoutStopSec bounds both the run's own
  // recording after a SIGTERM and this one's publishing (CloudWatch calls are bounded too).
  const service = unit(
    "copy the S3 bucket to the Azure vault",
    "",
    `ExecStopPost=${SCRIPT_PATH} --record-ending
TimeoutStopSec=10min
`,
  );
  // A check waits for a backup in progress (the same lock), so it never sees a half-done copy.
  const check = (kind: CheckKind, description: string) => {
    const schedule = schedules[kind];
    return {
      service: unit(description, ` ${CHECKS[kind].flag}`),
      timer:
        schedule === "off"
          ? undefined
          : `[Unit]
Description=cross-cloud-backup: ${description} (${schedule})

[Timer]
OnCalendar=${checkCalendar(kind, schedule)}
Persistent=true
RandomizedDelaySec=1800
AccuracySec=1min
Unit=${CHECKS[kind].unit}.service

[Install]
WantedBy=timers.target
`,
    };
  };
  const checks = {
    integrity: check("integrity", "check that the Azure vault matches the S3 bucket"),
    drill: check("drill", "rehearse a restore of a sample from the Azure vault"),
  };
  const timer = `[Unit]
Description=cross-cloud-backup: run the backup every ${intervalHours} hour(s)

[Timer]
OnCalendar=${onCalendar(intervalHours)}
Persistent=true
RandomizedDelaySec=300
AccuracySec=1min
Unit=${APP}.service

[Install]
WantedBy=timers.target
`;
  return { service, timer, checks };
}
