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

describe("restore targets: a directory target writes only inside its root", () => {
  const headers = { metadata: {} } as never;
  let base: string;
  let root: string;
  let outside: string;
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), "ccb-escape-"));
    root = path.join(base, "a", "b", "target");
    outside = path.join(base, "outside");
    fs.mkdirSync(root, { recursive: true });
    fs.mkdirSync(outside);
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  /** Every file and link under `base`, relative to it, without following links. */
  const tree = (dir = base, rel = ""): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const r = rel ? `${rel}/${e.name}` : e.name;
      return e.isDirectory() ? tree(path.join(dir, e.name), r) : [r];
    });

  it("reports keys with '..', '.' or empty segments, and never writes them", async () => {
    const t = new DirTarget(root);
    const keys = ["../../escaped.txt", "x/../../../../escaped.txt", "./dot", "a//b", "ok.txt"];
    const bad = t.unwritable(keys);
    expect([...bad.keys()].sort()).to.deep.equal(keys.filter((k) => k !== "ok.txt").sort());
    for (const reason of bad.values()) expect(reason).to.match(/'\.\.' path segment/);
    for (const k of keys.filter((k) => k !== "ok.txt")) {
      let err: Error | undefined;
      try {
        await t.write(k, 1, headers, body("x"), true);
      } catch (e) {
        err = e as Error;
      }
      expect(err?.message, k).to.match(/^refused: .*nothing written$/);
    }
    expect(tree()).to.deep.equal([]);
  });

  it("never writes through a symbolic link in the target (a folder or the file itself), even with replace", async () => {
    fs.symlinkSync(outside, path.join(root, "link"));
    fs.writeFileSync(path.join(outside, "precious.txt"), "precious");
    fs.symlinkSync(path.join(outside, "precious.txt"), path.join(root, "file.txt"));
    const t = new DirTarget(root);
    const bad = t.unwritable(["link/escaped.txt", "link/deeper/x.txt", "file.txt", "fine/x.txt"]);
    expect(Object.fromEntries(bad)).to.deep.equal({
      "link/escaped.txt":
        '"link" in the target is a symbolic link; a restore never writes through one',
      "link/deeper/x.txt":
        '"link" in the target is a symbolic link; a restore never writes through one',
      "file.txt": '"file.txt" in the target is a symbolic link; a restore never writes through one',
    });
    for (const k of ["link/escaped.txt", "link/deeper/x.txt", "file.txt"])
      for (const replace of [false, true]) {
        let err: Error | undefined;
        try {
          await t.write(k, 1, headers, body("x"), replace);
        } catch (e) {
          err = e as Error;
        }
        expect(err?.message, k).to.match(/^refused: .* is a symbolic link; .*nothing written$/);
      }
    await t.write("fine/x.txt", 1, headers, body("x"), false);
    expect(tree().sort()).to.deep.equal(
      [
        "a/b/target/file.txt",
        "a/b/target/fine/x.txt",
        "a/b/target/link",
        "outside/precious.txt",
      ].sort(),
    );
    expect(fs.readFileSync(path.join(outside, "precious.txt"), "utf8")).to.equal("precious");
  });

  it("a folder swapped for a link after the plan is caught when the file is written", async () => {
    const t = new DirTarget(root);
    expect(t.unwritable(["later/x.txt"]).size).to.equal(0);
    fs.symlinkSync(outside, path.join(root, "later"));
    let err: Error | undefined;
    try {
      await t.write("later/x.txt", 1, headers, body("x"), false);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/"later" in the target is a symbolic link/);
    expect(fs.readdirSync(outside)).to.deep.equal([]);
  });

  it("a backslash stays part of the file name on Linux and macOS; on Windows such a key is reported", async () => {
    const key = "win\\..\\..\\escaped.txt";
    expect(new DirTarget(root, "linux").unwritable([key]).size).to.equal(0);
    expect(new DirTarget(root, "darwin").unwritable([key]).size).to.equal(0);
    const win = new DirTarget(root, "win32");
    expect(win.unwritable([key, "plain.txt"]).get(key)).to.match(
      /backslash, which Windows reads as a folder separator/,
    );
    expect(win.unwritable([key, "plain.txt"]).has("plain.txt")).to.equal(false);
    let err: Error | undefined;
    try {
      await win.write(key, 1, headers, body("x"), false);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.match(/^refused: .*backslash/);
    if (process.platform !== "win32") {
      await new DirTarget(root).write(key, 1, headers, body("x"), false);
      expect(tree()).to.deep.equal([`a/b/target/${key}`]);
    }
  });
});
