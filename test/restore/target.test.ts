// A directory target never replaces a file that appeared after it was listed, unless told to.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DirTarget, type VerifiedBody } from "../../restore/target";

function body(text: string): VerifiedBody {
  const data = Buffer.from(text);
  return {
    chunks: (async function* () {
      yield await Promise.resolve(data);
    })(),
    check: () => undefined,
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
});
