// npm run bench: what a sync run costs, in requests and seconds, over a bucket of many small
// objects (default 2,003, as in design decision 6). Prints, per run: S3 and Azure requests by kind
// and wall time, for the project's sync script (initial run, no-change run, run after 1% of the
// objects changed) and, for comparison, a naive `rclone sync` no-change pass.
//
//   npm run bench                  # 2,003 objects
//   npm run bench -- --objects 10000
import { startBackup, type SyncRun } from "../harness/datapath";
import { runRclone } from "../harness/rclone";
import { stopAll } from "../harness/emulators";

const arg = process.argv.indexOf("--objects");
const N = arg > 0 ? Number(process.argv[arg + 1]) : 2003;

function row(
  label: string,
  r: { s3: SyncRun["s3"]; azure: SyncRun["azure"]; durationMs: number },
): string {
  const c = (x: SyncRun["s3"]) =>
    `LIST ${x.LIST} HEAD ${x.HEAD} GET ${x.GET} PUT ${x.PUT} DELETE ${x.DELETE}`;
  return `${label.padEnd(34)} ${(r.durationMs / 1000).toFixed(2).padStart(7)} s | S3: ${c(r.s3)} | Azure: ${c(r.azure)}`;
}

async function main(): Promise<void> {
  const b = await startBackup({ azuriteInMemory: true });
  try {
    const keys: string[] = [];
    const objects = Array.from({ length: N }, (_, i) => {
      const key = `d${i % 20}/sub${i % 7}/object-${i}.txt`;
      keys.push(key);
      return { key, body: `object ${i}\n` };
    });
    b.s3.seedOnDisk(b.settings.sourceBucket, objects);
    b.backdate(keys, new Date(Date.now() - 2 * 86_400_000));
    console.log(`bench: ${N} objects, dev stack artifacts, rclone from Debian`);

    const initial = await b.run();
    if (initial.code !== 0) throw new Error(`initial run failed:\n${initial.stderr}`);
    console.log(row("sync script, initial", initial));
    b.backdate(keys, new Date(Date.now() - 86_400_000));

    const noChange = await b.run();
    console.log(row("sync script, no change", noChange));

    const changed = keys.slice(0, Math.max(1, Math.floor(N / 100)));
    for (const k of changed) await b.put(k, `changed ${k}\n`);
    const onePercent = await b.run();
    console.log(row(`sync script, ${changed.length} changed`, onePercent));

    // The naive alternative: rclone sync with default flags (reads each object's metadata).
    b.s3Proxy.reset();
    b.azureProxy.reset();
    const started = Date.now();
    const naive = await runRclone(
      ["sync", `source:${b.settings.sourceBucket}`, `vault:${b.settings.containerName}/data`],
      {
        env: { ...b.env(), RCLONE_CONFIG_VAULT_SAS_URL: b.sasUrl() },
        configPath: `${b.credentialsDir}/rclone.conf`,
        timeoutMs: 600_000,
      },
    );
    const naiveRun = {
      s3: { ...b.s3Proxy.counts },
      azure: { ...b.azureProxy.counts },
      durationMs: Date.now() - started,
    };
    console.log(row(`naive rclone sync, no change (exit ${naive.code})`, naiveRun));
    console.log(
      `no-change run: ${noChange.s3.HEAD + noChange.s3.GET} per-object S3 requests (naive: ${naiveRun.s3.HEAD + naiveRun.s3.GET})`,
    );
    console.log(
      "(the naive pass also rewrites blobs whose source LastModified this bench moved back in time; its HEAD count is the point)",
    );
  } finally {
    await b.stop();
    await stopAll();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
