// s3rver 3.7.1 lies to rclone in five ways (see /work/shared/toolchain.md); patches/s3rver+3.7.1.patch
// fixes them. Each describe block below proves one fix and fails against the unpatched package
// (`npx patch-package --reverse`, or reinstall s3rver, to see it fail).
import { expect } from "chai";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type ListObjectsV2CommandOutput,
  type S3Client,
} from "@aws-sdk/client-s3";
import { s3RemoteEnv, startS3, stopAll, type S3Emulator } from "../../harness/emulators";
import { describeRun, runRclone } from "../../harness/rclone";

const md5 = (data: string | Buffer) => createHash("md5").update(data).digest();

/** S3 (and the patched s3rver) order keys by UTF-8 bytes. */
const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

async function putAll(client: S3Client, bucket: string, keys: string[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++];
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `body of ${key}` }));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

interface Page {
  keys: string[];
  prefixes: string[];
}

async function listPage(
  client: S3Client,
  bucket: string,
  opts: { prefix?: string; delimiter?: string; token?: string } = {},
): Promise<ListObjectsV2CommandOutput & Page> {
  const out = await client.send(
    new ListObjectsV2Command({
      Bucket: bucket,
      Prefix: opts.prefix,
      Delimiter: opts.delimiter,
      ContinuationToken: opts.token,
    }),
  );
  return {
    ...out,
    keys: (out.Contents ?? []).map((o) => o.Key ?? ""),
    prefixes: (out.CommonPrefixes ?? []).map((p) => p.Prefix ?? ""),
  };
}

/** Every page of a listing, following continuation tokens. */
async function listAll(
  client: S3Client,
  bucket: string,
  opts: { prefix?: string; delimiter?: string } = {},
): Promise<Page & { pages: number }> {
  const result = { keys: [] as string[], prefixes: [] as string[], pages: 0 };
  let token: string | undefined;
  do {
    const page = await listPage(client, bucket, { ...opts, token });
    result.keys.push(...page.keys);
    result.prefixes.push(...page.prefixes);
    result.pages++;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
    if (page.IsTruncated) expect(token, "a truncated page must carry a token").to.be.a("string");
  } while (token !== undefined);
  return result;
}

/** All keys found by descending through delimiter listings, the way rclone walks directories. */
async function walkWithDelimiter(client: S3Client, bucket: string, prefix = ""): Promise<string[]> {
  const { keys, prefixes } = await listAll(client, bucket, { prefix, delimiter: "/" });
  const below = await Promise.all(prefixes.map((p) => walkWithDelimiter(client, bucket, p)));
  return [...keys, ...below.flat()];
}

/** Local files below dir as relative path -> content. */
function readTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    files.set(path.relative(dir, full), fs.readFileSync(full, "utf8"));
  }
  return files;
}

// a correct server needs no retries; retries would only hide (and slow down) a failure
const FAST_FAIL = ["--retries", "1", "--low-level-retries", "1"];

const lines = (s: string) => s.split("\n").filter((l) => l !== "");

describe("s3rver 3.7.1 (patched) against the SDK and rclone 1.60.1", function () {
  this.timeout(120_000);
  let s3: S3Emulator;
  let client: S3Client;
  let tmp: string;
  let env: Record<string, string | undefined>;

  before(async () => {
    s3 = await startS3();
    client = s3.client();
    env = s3RemoteEnv(s3);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ccb-s3rver-test-"));
  });
  after(async () => {
    client?.destroy();
    await stopAll();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe("(a) delimiter listings keep prefixes whose objects all sit deeper", () => {
    const bucket = "delim";
    // "a/", "p/" and "x/y/" hold no object directly: only deeper levels do
    const keys = ["a/b/c.txt", "p/q/r/s/t.txt", "x/top.txt", "x/y/z/deep.txt", "root.txt"];
    before(async () => {
      await s3.createBucket(bucket);
      await putAll(client, bucket, keys);
    });

    it("returns a/ and p/ at the root and x/y/, x/y/z/ below x/", async () => {
      const root = await listPage(client, bucket, { delimiter: "/" });
      expect(root.prefixes).to.deep.equal(["a/", "p/", "x/"]);
      expect(root.keys).to.deep.equal(["root.txt"]);

      const x = await listPage(client, bucket, { prefix: "x/", delimiter: "/" });
      expect(x.prefixes).to.deep.equal(["x/y/"]);
      expect(x.keys).to.deep.equal(["x/top.txt"]);

      const xy = await listPage(client, bucket, { prefix: "x/y/", delimiter: "/" });
      expect(xy.prefixes).to.deep.equal(["x/y/z/"]);
      expect(xy.keys).to.deep.equal([]);
    });

    it("a walk through delimiter listings finds every object", async () => {
      const found = await walkWithDelimiter(client, bucket);
      expect(found.sort()).to.deep.equal([...keys].sort());
    });

    it("rclone size and copy in directory-listing mode (no ListR, no --fast-list) see every object", async () => {
      // lsf -R/size use ListR (one recursive listing) whenever the backend has it, even without
      // --fast-list; --disable ListR makes them walk with delimiter listings like sync/copy do
      const sizeArgs = ["size", "--json", "--disable", "ListR", `source:${bucket}`];
      const size = await runRclone([...sizeArgs, ...FAST_FAIL], { env });
      expect(size.code, describeRun(sizeArgs, size)).to.equal(0);
      expect((JSON.parse(size.stdout) as { count: number }).count).to.equal(keys.length);

      const dest = path.join(tmp, "delim-copy");
      const copyArgs = ["copy", `source:${bucket}`, dest];
      const copy = await runRclone([...copyArgs, ...FAST_FAIL], { env });
      expect(copy.code, describeRun(copyArgs, copy)).to.equal(0);
      const tree = readTree(dest);
      expect([...tree.keys()].sort()).to.deep.equal([...keys].sort());
      for (const key of keys) expect(tree.get(key)).to.equal(`body of ${key}`);
    });
  });

  describe("(b) listings of more than 1,000 keys page completely without --openssl-legacy-provider", () => {
    const bucket = "bulk";
    // 2,000 keys under bulk/ (more than one page even inside that directory) plus three whose
    // names sort around it: "bulk-x.txt" < "bulk.txt" < "bulk/0000.txt" by key, but a file
    // system walk meets the directory "bulk" first
    const keys = [
      ...Array.from({ length: 2000 }, (_, i) => `bulk/${String(i).padStart(4, "0")}.txt`),
      "bulk-x.txt",
      "bulk.txt",
      "deep/only/one.txt",
    ];
    before(async () => {
      expect(keys).to.have.length(2003);
      await s3.createBucket(bucket);
      s3.seedOnDisk(
        bucket,
        keys.map((key) => ({ key, body: `body of ${key}` })),
      );
    });

    it("ListObjectsV2 pages return all 2,003 keys once each, in key order", async () => {
      const { keys: listed, pages } = await listAll(client, bucket);
      expect(pages).to.equal(3);
      expect(listed).to.have.length(2003);
      expect(listed).to.deep.equal([...keys].sort(byUtf8));
    });

    it("rclone lists all 2,003 objects with --fast-list (one recursive listing)", async () => {
      const args = ["lsf", "-R", "--files-only", "--fast-list", `source:${bucket}`];
      const r = await runRclone([...args, ...FAST_FAIL], { env });
      expect(r.code, describeRun(args, r)).to.equal(0);
      expect(lines(r.stdout).sort()).to.deep.equal([...keys].sort());
    });

    it("rclone lists all 2,003 objects without ListR (delimiter listings, 2 pages inside bulk/)", async () => {
      const args = ["lsf", "-R", "--files-only", "--disable", "ListR", `source:${bucket}`];
      const r = await runRclone([...args, ...FAST_FAIL], { env });
      expect(r.code, describeRun(args, r)).to.equal(0);
      expect(lines(r.stdout).sort()).to.deep.equal([...keys].sort());
    });
  });

  describe("(c) multipart uploads carry AWS's ETag md5(part md5s)-N", () => {
    const bucket = "multipart";
    const key = "big/object.bin";
    const part1 = Buffer.alloc(5 * 1024 * 1024 + 7, 0x61);
    const part2 = Buffer.from("tail of the object, shorter than 5 MiB");
    const expectedEtag = `"${createHash("md5")
      .update(Buffer.concat([md5(part1), md5(part2)]))
      .digest("hex")}-2"`;
    let completeEtag: string | undefined;

    before(async () => {
      await s3.createBucket(bucket);
      const { UploadId } = await client.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }),
      );
      const parts = [];
      for (const [i, body] of [part1, part2].entries()) {
        const { ETag } = await client.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId,
            PartNumber: i + 1,
            Body: body,
          }),
        );
        parts.push({ PartNumber: i + 1, ETag });
      }
      const done = await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
      completeEtag = done.ETag;
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: "small.txt", Body: "small" }));
    });

    it("CompleteMultipartUpload, HEAD, GET and ListObjectsV2 return the multipart ETag", async () => {
      expect(completeEtag).to.equal(expectedEtag);
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.ETag).to.equal(expectedEtag);
      expect(head.ContentLength).to.equal(part1.length + part2.length);

      const get = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      expect(get.ETag).to.equal(expectedEtag);
      const body = Buffer.from(await get.Body!.transformToByteArray());
      expect(body.equals(Buffer.concat([part1, part2])), "content is the parts in order").to.equal(
        true,
      );

      const list = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "big/" }));
      expect(list.Contents?.map((o) => [o.Key, o.ETag])).to.deep.equal([[key, expectedEtag]]);
    });

    it("a single PUT keeps its plain MD5 ETag", async () => {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: "small.txt" }));
      expect(head.ETag).to.equal(`"${md5("small").toString("hex")}"`);
    });
  });

  describe("(d) encoding-type=url listings round-trip + % space and unicode", () => {
    const bucket = "encoding";
    const keys = ["plus+sign.txt", "100%.txt", "space name.txt", "zürich/ü.txt", "a+b/c%20d.txt"];
    before(async () => {
      await s3.createBucket(bucket);
      await putAll(client, bucket, keys);
    });

    it("URL-encodes keys and common prefixes so that decoding gives the real names", async () => {
      const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
      const flat = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, EncodingType: "url" }),
      );
      expect(flat.EncodingType).to.equal("url");
      const decoded = (flat.Contents ?? []).map((o) => decode(o.Key ?? ""));
      expect(decoded.sort()).to.deep.equal([...keys].sort());

      const nested = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, EncodingType: "url", Delimiter: "/" }),
      );
      const prefixes = (nested.CommonPrefixes ?? []).map((p) => decode(p.Prefix ?? ""));
      expect(prefixes).to.deep.equal(["a+b/", "zürich/"]);
    });

    it("rclone copy brings every key over with its exact name and content", async () => {
      const dest = path.join(tmp, "encoding-copy");
      const args = ["copy", `source:${bucket}`, dest];
      const r = await runRclone([...args, ...FAST_FAIL], { env });
      expect(r.code, describeRun(args, r)).to.equal(0);
      expect(r.stderr).not.to.match(/failed to URL decode/);
      const tree = readTree(dest);
      expect([...tree.keys()].sort()).to.deep.equal([...keys].sort());
      for (const key of keys) expect(tree.get(key)).to.equal(`body of ${key}`);
    });
  });
});

describe("s3rver 3.7.1 (patched): (e) keys with segments longer than a file name", function () {
  this.timeout(120_000);
  // its own server: unpatched, the first long key crashes the process
  let s3: S3Emulator;
  let client: S3Client;
  const bucket = "long";
  const k255 = "k".repeat(255);
  const keys = [
    `dir/${"x".repeat(300)}.txt`, // long last segment
    `${"d".repeat(300)}/inner.txt`, // long directory segment
    `${"ü".repeat(150)}/${"ß".repeat(150)}`, // 300 bytes each in UTF-8
    `${k255}/${k255}/${k255}/${"k".repeat(256)}`, // S3's maximum: 1,024 bytes
  ];

  before(async () => {
    s3 = await startS3();
    client = await s3.createBucket(bucket);
  });
  after(async () => {
    client?.destroy();
    await stopAll();
  });

  it("PUT, GET, HEAD and LIST work and the server stays up", async () => {
    expect(Buffer.byteLength(keys[3])).to.equal(1024);
    for (const [i, key] of keys.entries()) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `long ${i}` }));
    }
    for (const [i, key] of keys.entries()) {
      const get = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      expect(await get.Body!.transformToString()).to.equal(`long ${i}`);
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.ETag).to.equal(`"${md5(`long ${i}`).toString("hex")}"`);
    }
    const flat = await listAll(client, bucket);
    expect(flat.keys).to.deep.equal([...keys].sort(byUtf8));
    const root = await listAll(client, bucket, { delimiter: "/" });
    expect(root.keys).to.deep.equal([]);
    expect(root.prefixes.sort(byUtf8)).to.deep.equal(
      ["dir/", `${"d".repeat(300)}/`, `${"ü".repeat(150)}/`, `${k255}/`].sort(byUtf8),
    );
    expect(s3.running, s3.output).to.equal(true);
  });

  it("'.' and '..' key segments are plain names: distinct objects, nothing outside the bucket", async () => {
    // (the same segment mapping as for long names; unpatched, path.join resolved them, so
    // "e/./x.txt" overwrote "e/x.txt" and "e/../../x.txt" landed outside the bucket's directory)
    const oddBucket = "odd-segments";
    await client.send(new CreateBucketCommand({ Bucket: oddBucket }));
    const odd = ["e/x.txt", "e/./x.txt", "e/../x.txt", "e/../../x.txt", "e/.."];
    for (const key of odd) {
      await client.send(new PutObjectCommand({ Bucket: oddBucket, Key: key, Body: `odd ${key}` }));
    }
    for (const key of odd) {
      const get = await client.send(new GetObjectCommand({ Bucket: oddBucket, Key: key }));
      expect(await get.Body!.transformToString()).to.equal(`odd ${key}`);
    }
    const listed = await listAll(client, oddBucket);
    expect(listed.keys).to.deep.equal([...odd].sort(byUtf8));
    expect(fs.readdirSync(s3.dataDir).sort()).to.deep.equal([bucket, oddBucket].sort());
  });

  it("DELETE removes long keys without leaving anything behind", async () => {
    for (const key of keys) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    }
    expect((await listAll(client, bucket)).keys).to.deep.equal([]);
    expect(fs.readdirSync(path.join(s3.dataDir, bucket))).to.deep.equal([]);
    expect(s3.running, s3.output).to.equal(true);
  });
});

describe("s3rver fix: archive storage classes are listed and refuse GET, as in S3", () => {
  let s3: S3Emulator;
  let client: S3Client;
  const bucket = "storage-classes";
  before(async () => {
    s3 = await startS3();
    client = await s3.createBucket(bucket);
    for (const [key, StorageClass] of [
      ["cold.bin", "GLACIER"],
      ["deep.bin", "DEEP_ARCHIVE"],
      ["ia.bin", "STANDARD_IA"],
      ["plain.bin", undefined],
    ] as const) {
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: key, StorageClass }),
      );
    }
  });
  after(async () => {
    client?.destroy();
    await stopAll();
  });

  it("ListObjectsV2 reports each object's own storage class (unpatched: always STANDARD)", async () => {
    const out = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(out.Contents?.map((o) => [o.Key, o.StorageClass])).to.deep.equal([
      ["cold.bin", "GLACIER"],
      ["deep.bin", "DEEP_ARCHIVE"],
      ["ia.bin", "STANDARD_IA"],
      ["plain.bin", "STANDARD"],
    ]);
  });

  it("GET of a GLACIER or DEEP_ARCHIVE object fails with InvalidObjectState; HEAD works (unpatched: GET returns the body)", async () => {
    for (const key of ["cold.bin", "deep.bin"]) {
      const err = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key })).then(
        () => undefined,
        (e: unknown) => e as { name?: string; $metadata?: { httpStatusCode?: number } },
      );
      expect(err?.name, key).to.equal("InvalidObjectState");
      expect(err?.$metadata?.httpStatusCode).to.equal(403);
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.ContentLength).to.equal(key.length);
    }
    const ia = await client.send(new GetObjectCommand({ Bucket: bucket, Key: "ia.bin" }));
    expect(await ia.Body!.transformToString()).to.equal("ia.bin");
  });
});
