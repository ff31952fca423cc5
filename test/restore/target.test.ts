// A directory target never replaces a file that appeared after it was listed, unless told to, and
// never commits bytes its body refuses.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ContentRefused, DirTarget, type VerifiedBody } from "../../restore/target";

function body(text: string, refuse?: ContentRefused): VerifiedBody {
  const data = Buffer.from(text);
  let read = false;
  return {
    chunks: (async function* () {
      read = true;
      yield await Promise.resolve(data);
    })(),
    check: () => {
      if (!read) throw new Error("checked before the bytes were read");
      if (refuse) throw refuse;
    },
    md5: () => "",
  };
}

describe("restore targets: no silent replacement", () => {
  it("a directory target refuses to replace a file created since the listing, and replaces when told", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ccb-target-"));
    try {
      const t = new DirTarget(dir);
      const headers = { metadata: {} } as never;
      await t.write("a/new.txt", 3, headers, body("new"), false);
      expect(fs.readFileSync(path.join(dir, "a/new.txt"), "utf8")).to.equal("new");
      fs.writeFileSync(path.join(dir, "a/raced.txt"), "someone else's");
      let err: NodeJS.ErrnoException | undefined;
      try {
        await t.write("a/raced.txt", 4, headers, body("ours"), false);
      } catch (e) {
        err = e as NodeJS.ErrnoException;
      }
      expect(err?.code).to.equal("EEXIST");
      expect(fs.readFileSync(path.join(dir, "a/raced.txt"), "utf8")).to.equal("someone else's");
      expect(fs.readdirSync(path.join(dir, "a")).sort()).to.deep.equal(["new.txt", "raced.txt"]);
      await t.write("a/raced.txt", 4, headers, body("ours"), true);
      expect(fs.readFileSync(path.join(dir, "a/raced.txt"), "utf8")).to.equal("ours");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a directory target commits nothing its body refuses (no file, no temporary file)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ccb-target-"));
    try {
      const t = new DirTarget(dir);
      const headers = { metadata: {} } as never;
      for (const verdict of ["mismatch", "unverified"] as const) {
        const refusal = new ContentRefused(verdict, "because");
        let err: unknown;
        try {
          await t.write(`a/${verdict}.txt`, 3, headers, body("bad", refusal), false);
        } catch (e) {
          err = e;
        }
        expect(err).to.equal(refusal);
      }
      expect(fs.readdirSync(path.join(dir, "a"))).to.deep.equal([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
