// `npm run demo` is the project's main job on a fresh machine: it must end with a verification
// line and exit 0, and a tampered blob in the vault must make it fail.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { ROOT } from "../../harness/stack";

function demo(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", path.join(ROOT, "scripts", "demo.ts"), ...args],
    {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 240_000,
    },
  );
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("npm run demo", function () {
  this.timeout(300_000);

  it("copies, changes, re-syncs, verifies every object byte for byte and exits 0", () => {
    const r = demo();
    expect(r.code, r.out + r.err).to.equal(0);
    // The default is the stacks' default: keyless, through the STS and Entra stand-ins.
    expect(r.out).to.match(/mode: copy, credential: federated,/);
    expect(r.out).to.match(/STS stand-in https:\/\/127\.0\.0\.1:\d+ \(pid \d+\); Entra stand-in/);
    expect(r.out).to.match(/Run 1 \(initial copy\): exit 0, success/);
    // What the run published for the alarms (the CloudWatch stand-in recorded it).
    expect(r.out).to.match(
      /published to CloudWatch \(stand-in\): Heartbeat 1, RunFailed 0, RunPartial 0, BackupAgeSeconds \d+, SkippedObjects 0, AcceptedSkips 1, ObjectsCopied 10,/,
    );
    // How current the backup is, and the folder marker on the acknowledged skip list.
    expect(r.out).to.match(
      /fresh: yes, every change of its listing is stored; BackupAgeSeconds \d+ \(newest fresh listing: \d{4}-\d\d-\d\dT/,
    );
    expect(r.out).to.match(/skipped 0, accepted skips 1 \(acceptedSkips\)/);
    expect(r.out).to.include(
      'not stored, on the acknowledged skip list (acceptedSkips): "reports/2026/12/"',
    );
    expect(r.out).to.match(/copied 10 objects, 105\.3 MiB/);
    expect(r.out).to.match(
      /copied on run 2: assets\/img\/logo\.bin, reports\/2026\/11\/monthly\.csv, reports\/2026\/11\/weekly\.csv\n/,
    );
    expect(r.out).to.match(/deleted index\.html: still in the vault/);
    expect(r.out).to.match(
      /VERIFIED: all 10 source objects \(105\.3 MiB\) are identical in the vault/,
    );
    // It ends with the host's integrity check, and what the check published.
    expect(r.out).to.match(
      / {2}match: \d+ objects present with their size, \d+ pending, \d+ read back from the vault and verified against their content record \([\d.]+ MiB\), [\d.]+% of the vault read within 365 days/,
    );
    expect(r.out).to.match(
      /IntegrityMismatches 0, IntegrityCheckFailed 0, IntegrityObjectsChecked 10,/,
    );
    expect(r.out).to.match(/INTEGRITY CHECK PASSED: the vault matches the source\n/);
    // It ends with a restore rehearsal through the restore command.
    expect(r.out).to.match(
      /restore verified: \d+ objects \(\d+ bytes\) identical key for key in s3:\/\/[^/]+\/, including [1-9]\d* deleted and [1-9]\d* overwritten in the source/,
    );
  });

  it("--sas runs the same backup and verification with a SAS handed to the host", () => {
    const r = demo("--sas");
    expect(r.code, r.out + r.err).to.equal(0);
    expect(r.out).to.match(/mode: copy, credential: ssm,/);
    expect(r.out).to.not.match(/STS stand-in/);
    expect(r.out).to.match(
      /VERIFIED: all 10 source objects \(105\.3 MiB\) are identical in the vault/,
    );
  });

  it("fails verification when a blob in the vault was tampered with", () => {
    const r = demo("--tamper");
    expect(r.code).to.equal(1);
    expect(r.out).to.match(
      /MISMATCH reports\/2026\/11\/monthly\.csv: .*differ|MISMATCH reports\/2026\/11\/monthly\.csv: \d+ bytes/,
    );
    expect(r.out).to.match(/VERIFICATION FAILED: 1 of 10 objects differ/);
    expect(r.out).not.to.include("VERIFIED");
  });
});
