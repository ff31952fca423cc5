// mocha's configuration. Test files run in parallel, two at a time: most of the integration
// tests wait on emulators, rclone and retries rather than on the CPU. The slowest files start
// first (durations measured by `npm test`), so the run ends soon after its longest file instead
// of starting it last; every other file follows in name order, so none can be left out. The
// global fixtures (test/support/fixtures.ts) let the workers share the Pulumi program's results.
const fs = require("node:fs");
const path = require("node:path");

const SLOWEST_FIRST = [
  "test/integration/sync.test.ts",
  "test/integration/demo.test.ts",
  "test/integration/federated.test.ts",
  "test/restore/restore.test.ts",
  "test/components/azureBackupVault.test.ts",
  "test/components/syncHost.test.ts",
  "test/components/monitoring.test.ts",
  "test/integration/engine.test.ts",
  "test/harness/syntheticListing.test.ts",
  "test/integration/history.test.ts",
  "test/report/browser.test.ts",
  "test/harness/rehearsal.test.ts",
  "test/components/federation.test.ts",
  "test/emulators/federation.test.ts",
  "test/integration/integrity.test.ts",
  "test/integration/telemetry.test.ts",
  "test/restore/cli.test.ts",
  "test/components/s3ReadOnlyAccess.test.ts",
  "test/cli/stackOutputs.test.ts",
];

const all = fs
  .readdirSync("test", { recursive: true, encoding: "utf8" })
  .filter((f) => f.endsWith(".test.ts"))
  .map((f) => path.join("test", f))
  .sort();

module.exports = {
  require: ["tsx", "test/support/fixtures.ts"],
  extension: ["ts"],
  spec: [
    ...SLOWEST_FIRST.filter((f) => all.includes(f)),
    ...all.filter((f) => !SLOWEST_FIRST.includes(f)),
  ],
  // Generous: two files share two cores; a test that waits on purpose sets its own limit.
  timeout: 120000,
  reporter: "spec",
  parallel: true,
  jobs: 2,
};
