// harness/rehearsal.ts, which the demo calls: it must pass on a healthy vault and throw when the
// restore cannot give the data back exactly.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { startBackup, type Backup } from "../../harness/datapath";
import { restoreRehearsal } from "../../harness/rehearsal";

describe("restore rehearsal (demo)", function () {
  this.timeout(300_000);
  let b: Backup | undefined;
  afterEach(async () => {
    await b?.stop();
    b = undefined;
  });

  async function withObjects(n: number): Promise<Backup> {
    const backup = await startBackup({ azuriteInMemory: true });
    for (let i = 0; i < n; i++)
      await backup.put(`files/${String(i).padStart(3, "0")}.bin`, randomBytes(1000 + i));
    return backup;
  }

  it("loses a third of the source, overwrites another third, restores and verifies every byte", async () => {
    b = await withObjects(12);
    const lines: string[] = [];
    const r = await restoreRehearsal(b, (l) => lines.push(l));
    expect(r).to.include({ objects: 12, deleted: 4, overwritten: 4 });
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(
      /^restore verified: 12 objects \(\d+ bytes\) .* 4 deleted and 4 overwritten/,
    );
  });

  it("throws when the vault cannot give the data back (a blob tampered after the backup)", async () => {
    b = await withObjects(6);
    const backup = b;
    // Tamper as soon as the rehearsal's backup run has finished, before its restore.
    const run = backup.run.bind(backup);
    backup.run = async () => {
      const result = await run();
      const blob = backup.container.getBlockBlobClient("data/files/002.bin");
      const props = await blob.getProperties();
      const bad = randomBytes(1002);
      // Same size, its content record and Content-MD5 kept: a mismatch restore must refuse.
      await blob.upload(bad, bad.length, { metadata: props.metadata });
      await blob.setHTTPHeaders({ blobContentMD5: props.contentMD5 });
      return result;
    };
    let error: Error | undefined;
    try {
      await restoreRehearsal(backup, () => undefined);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).to.match(/the restore exited 4/);
  });
});
