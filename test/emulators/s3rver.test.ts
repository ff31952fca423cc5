// s3rver 3.7.1 departs from S3 in ways that mislead rclone and the engine; patches/s3rver+3.7.1.patch
// fixes them. Each describe block below proves one fix and fails against the unpatched package
// (`npx patch-package --reverse`, or reinstall s3rver, to see it fail).
import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
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

describe("s3rver fix: (f) ETags are not always MD5s, as in S3", function () {
  this.timeout(120_000);
  let s3: S3Emulator;
  let client: S3Client;
  const bucket = "etags";
  const body = "the same bytes, written again and again";
  const bodyMd5 = `"${md5(body).toString("hex")}"`;
  const kmsKeyId = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  const customerKey = randomBytes(32).toString("base64");
  const ssec = (key = customerKey) => ({ SSECustomerAlgorithm: "AES256", SSECustomerKey: key });
  const opaque = /^"[0-9a-f]{32}"$/;
  // what each kind of write asks for, and what HEAD must then report
  const writes = {
    kms: { ServerSideEncryption: "aws:kms" },
    kmsKey: { ServerSideEncryption: "aws:kms", SSEKMSKeyId: kmsKeyId },
    dsse: { ServerSideEncryption: "aws:kms:dsse" },
    ssec: ssec(),
  } as const;
  const put = (Key: string, extra: object = {}) =>
    client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: body, ...extra }));
  const putMultipart = async (Key: string, parts: Buffer[], extra: object = {}) => {
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key, ...extra }),
    );
    const done = [];
    for (const [i, Body] of parts.entries()) {
      const PartNumber = i + 1;
      const { ETag } = await client.send(
        new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber, Body }),
      );
      done.push({ PartNumber, ETag });
    }
    return client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key,
        UploadId,
        MultipartUpload: { Parts: done },
      }),
    );
  };
  /** HTTP status of a request that may fail (the SDK throws on 304, 4xx and 5xx). */
  const status = (p: Promise<{ $metadata: { httpStatusCode?: number } }>) =>
    p.then(
      (out) => ({ code: out.$metadata.httpStatusCode }),
      (e: { $metadata?: { httpStatusCode?: number } }) => ({ code: e.$metadata?.httpStatusCode }),
    );
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  before(async () => {
    s3 = await startS3();
    client = await s3.createBucket(bucket);
  });
  after(async () => {
    client?.destroy();
    await stopAll();
  });

  it("PutObject with SSE-KMS, DSSE-KMS or SSE-C: a fresh 32-hex ETag that is not the MD5, on PUT, HEAD and GET, with the encryption (unpatched: the MD5, no encryption)", async () => {
    for (const [name, sse] of Object.entries(writes)) {
      const key = `sse/${name}.txt`;
      const first = await put(key, sse);
      const second = await put(key, sse);
      for (const etag of [first.ETag, second.ETag]) {
        expect(etag, name).to.match(opaque);
        expect(etag, `${name}: the ETag is not the MD5`).not.to.equal(bodyMd5);
      }
      expect(second.ETag, `${name}: every write gets a new ETag`).not.to.equal(first.ETag);

      const read = "SSECustomerKey" in sse ? ssec() : {};
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ...read }));
      const get = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...read }));
      expect(await get.Body!.transformToString()).to.equal(body);
      for (const out of [second, head, get]) {
        expect(out.ETag, name).to.equal(second.ETag);
        if ("SSECustomerKey" in sse) {
          expect(out.SSECustomerAlgorithm, name).to.equal("AES256");
          expect(out.SSECustomerKeyMD5, name).to.equal(
            createHash("md5").update(Buffer.from(customerKey, "base64")).digest("base64"),
          );
          expect(out.ServerSideEncryption, name).to.equal(undefined);
        } else {
          expect(out.ServerSideEncryption, name).to.equal(sse.ServerSideEncryption);
          expect(out.SSEKMSKeyId, name).to.equal("SSEKMSKeyId" in sse ? kmsKeyId : undefined);
        }
      }
    }
  });

  it("a plain or SSE-S3 PUT keeps the MD5 ETag and reports AES256 (unpatched: no encryption header)", async () => {
    for (const [key, extra] of [
      ["plain.txt", {}],
      ["sse-s3.txt", { ServerSideEncryption: "AES256" }],
    ] as const) {
      const out = await put(key, extra);
      expect(out.ETag, key).to.equal(bodyMd5);
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.ETag, key).to.equal(bodyMd5);
      expect(head.ServerSideEncryption, key).to.equal("AES256");
      expect(head.SSEKMSKeyId, key).to.equal(undefined);
    }
  });

  it("an SSE-C object is read only with its key: none 400, another 403 (unpatched: the body without a key)", async () => {
    const Key = "ssec/guarded.txt";
    await put(Key, ssec());
    await put("ssec/plain.txt");
    for (const Command of [GetObjectCommand, HeadObjectCommand]) {
      const without = await status(client.send(new Command({ Bucket: bucket, Key })));
      expect(without.code, `${Command.name} without the key`).to.equal(400);
      const other = randomBytes(32).toString("base64");
      const wrong = await status(client.send(new Command({ Bucket: bucket, Key, ...ssec(other) })));
      expect(wrong.code, `${Command.name} with another key`).to.equal(403);
      const right = await status(client.send(new Command({ Bucket: bucket, Key, ...ssec() })));
      expect(right.code, `${Command.name} with the key`).to.equal(200);
    }
    const get = await status(
      client.send(new GetObjectCommand({ Bucket: bucket, Key: "ssec/plain.txt", ...ssec() })),
    );
    expect(get.code, "a key for an object without SSE-C").to.equal(400);
  });

  it("CopyObject encrypts the copy as asked: SSE-KMS gives a new opaque ETag, none gives the MD5, even from a KMS or multipart source (unpatched: the source's ETag)", async () => {
    const [plainSource, kmsSource, ssecSource] = ["plain", "kms", "ssec"].map(
      (name) => `copy/${name}-source.txt`,
    );
    await put(plainSource);
    const { ETag: kmsEtag } = await put(kmsSource, writes.kms);
    await put(ssecSource, ssec());
    const copy = async (source: string, Key: string, extra: object = {}) => {
      const out = await client.send(
        new CopyObjectCommand({ Bucket: bucket, Key, CopySource: `${bucket}/${source}`, ...extra }),
      );
      const head = await client.send(
        new HeadObjectCommand({
          Bucket: bucket,
          Key,
          ...("SSECustomerKey" in extra ? ssec() : {}),
        }),
      );
      expect(head.ETag, Key).to.equal(out.CopyObjectResult!.ETag);
      return { ...head, responseSse: out.ServerSideEncryption };
    };

    // SSE-KMS copy of a plain object: opaque ETag, and not the source's
    const toKms = await copy(plainSource, "copy/plain-to-kms.txt", writes.kms);
    expect(toKms.ETag).to.match(opaque);
    expect(toKms.ETag).not.to.equal(bodyMd5);
    expect(toKms.ServerSideEncryption).to.equal("aws:kms");
    expect(toKms.responseSse).to.equal("aws:kms");
    const kmsToKms = await copy(kmsSource, "copy/kms-to-kms.txt", writes.kms);
    expect(kmsToKms.ETag).to.match(opaque);
    expect(kmsToKms.ETag).not.to.equal(kmsEtag);

    // a copy without SSE headers is SSE-S3: the MD5 of the content, whatever the source had
    const kmsToPlain = await copy(kmsSource, "copy/kms-to-plain.txt");
    expect(kmsToPlain.ETag).to.equal(bodyMd5);
    expect(kmsToPlain.ServerSideEncryption).to.equal("AES256");
    const replaced = await copy(kmsSource, "copy/kms-to-plain-replaced.txt", {
      MetadataDirective: "REPLACE",
      Metadata: { note: "replaced" },
    });
    expect(replaced.ETag).to.equal(bodyMd5);
    expect(replaced.Metadata).to.deep.equal({ note: "replaced" });

    const partBodies = [Buffer.from("first part, "), Buffer.from("second part")];
    const multipartSource = "copy/multipart-source.bin";
    const done = await putMultipart(multipartSource, partBodies);
    expect(done.ETag).to.match(/^"[0-9a-f]{32}-2"$/);
    const fromMultipart = await copy(multipartSource, "copy/multipart-to-plain.bin");
    expect(fromMultipart.ETag).to.equal(`"${md5(Buffer.concat(partBodies)).toString("hex")}"`);

    // an SSE-C source needs its key for the copy (the copy-source headers)
    const refused = await status(
      client.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: "copy/ssec-refused.txt",
          CopySource: `${bucket}/${ssecSource}`,
        }),
      ),
    );
    expect(refused.code, "copy of an SSE-C object without its key").to.equal(400);
    const ssecToSsec = await copy(ssecSource, "copy/ssec-to-ssec.txt", {
      ...ssec(),
      CopySourceSSECustomerAlgorithm: "AES256",
      CopySourceSSECustomerKey: customerKey,
    });
    expect(ssecToSsec.ETag).to.match(opaque);
    expect(ssecToSsec.SSECustomerAlgorithm).to.equal("AES256");
  });

  it("GetObject and HeadObject compare If-Match with the stored ETag: the opaque one matches, the MD5 gets 412 (unpatched: If-Match ignored)", async () => {
    const Key = "conditional/kms.txt";
    const { ETag } = await put(Key, writes.kms);
    const get = await client.send(new GetObjectCommand({ Bucket: bucket, Key, IfMatch: ETag }));
    expect(await get.Body!.transformToString()).to.equal(body);
    expect(get.ETag).to.equal(ETag);
    const bare = ETag!.replace(/"/g, "");
    for (const Command of [GetObjectCommand, HeadObjectCommand]) {
      const matches = await status(
        client.send(new Command({ Bucket: bucket, Key, IfMatch: bare })),
      );
      expect(matches.code, `${Command.name} If-Match: the stored ETag, unquoted`).to.equal(200);
      const fails = await status(
        client.send(new Command({ Bucket: bucket, Key, IfMatch: bodyMd5 })),
      );
      expect(fails.code, `${Command.name} If-Match: the MD5`).to.equal(412);
      // If-Match wins over If-Unmodified-Since (as in S3 and RFC 7232)
      const past = new Date(Date.now() - 86_400_000);
      const both = await status(
        client.send(new Command({ Bucket: bucket, Key, IfMatch: ETag, IfUnmodifiedSince: past })),
      );
      expect(both.code, `${Command.name} If-Match true, If-Unmodified-Since false`).to.equal(200);
      const unmodified = await status(
        client.send(new Command({ Bucket: bucket, Key, IfUnmodifiedSince: past })),
      );
      expect(unmodified.code, `${Command.name} If-Unmodified-Since false`).to.equal(412);
      const notModified = await status(
        client.send(new Command({ Bucket: bucket, Key, IfNoneMatch: ETag })),
      );
      expect(notModified.code, `${Command.name} If-None-Match: the stored ETag`).to.equal(304);
      // If-None-Match wins over If-Modified-Since
      const future = new Date(Date.now() + 86_400_000);
      const changed = await status(
        client.send(
          new Command({ Bucket: bucket, Key, IfNoneMatch: bodyMd5, IfModifiedSince: future }),
        ),
      );
      expect(changed.code, `${Command.name} If-None-Match true, If-Modified-Since false`).to.equal(
        200,
      );
    }
  });

  it("ListObjectsV2 returns each object's stored ETag (unpatched: the MD5)", async () => {
    const written = new Map<string, string>();
    for (const [name, sse] of Object.entries(writes)) {
      written.set(`list/${name}.txt`, (await put(`list/${name}.txt`, sse)).ETag!);
    }
    written.set("list/plain.txt", (await put("list/plain.txt")).ETag!);
    const parts = [Buffer.from("one"), Buffer.from("two")];
    written.set("list/multipart.bin", (await putMultipart("list/multipart.bin", parts)).ETag!);
    const kmsParts = await putMultipart("list/multipart-kms.bin", parts, writes.kms);
    written.set("list/multipart-kms.bin", kmsParts.ETag!);

    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "list/" }));
    expect(new Map(listed.Contents?.map((o) => [o.Key!, o.ETag!]))).to.deep.equal(written);
    for (const name of Object.keys(writes)) {
      expect(written.get(`list/${name}.txt`), name)
        .to.match(opaque)
        .and.not.equal(bodyMd5);
    }
    expect(written.get("list/plain.txt")).to.equal(bodyMd5);
  });

  it("a multipart object's LastModified is the upload's initiation, not its completion; SSE-KMS shows (unpatched: completion time)", async () => {
    const Key = "multipart/initiated.bin";
    const floorSecond = (ms: number) => Math.floor(ms / 1000) * 1000;
    const beforeInitiate = Date.now();
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key, ...writes.kmsKey }),
    );
    const afterInitiate = Date.now();
    // LastModified has whole seconds: completing more than a second later tells them apart
    await sleep(1_100);
    const { ETag } = await client.send(
      new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber: 1, Body: body }),
    );
    const done = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key,
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] },
      }),
    );
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key }));
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: Key }));
    for (const [what, date] of [
      ["HeadObject", head.LastModified],
      ["ListObjectsV2", listed.Contents?.[0]?.LastModified],
    ] as const) {
      expect(date, what).to.be.instanceOf(Date);
      // (a file time may trail the clock by a few ms, hence the second of slack below)
      expect(date!.getTime(), `${what} LastModified`).to.be.within(
        floorSecond(beforeInitiate) - 1000,
        afterInitiate,
      );
    }
    expect(done.ETag).to.match(/^"[0-9a-f]{32}-1"$/);
    expect(head.ETag).to.equal(done.ETag);
    expect(done.ServerSideEncryption).to.equal("aws:kms");
    expect(head.ServerSideEncryption).to.equal("aws:kms");
    expect(head.SSEKMSKeyId).to.equal(kmsKeyId);
  });
});

describe("s3rver fix: (g) keys with empty segments ('//') are keys like any other, as in S3", function () {
  this.timeout(120_000);
  let s3: S3Emulator;
  let client: S3Client;
  const bucket = "slashes";
  // S3 takes everything after "/<bucket>/" as the key, so "a//b" and "a/b" are two objects.
  // Unpatched, every key with an empty segment got a plain-text 404 (no XML) on PUT.
  const slashed = ["double//slash.txt", "a//b//c", "//leading", "trailing//"];
  // neighbours whose names differ only in their slashes: none may overwrite another
  const neighbours = ["double/slash.txt", "a/b/c", "/leading", "trailing/", "plain.txt"];
  const keys = [...slashed, ...neighbours];
  const bodyOf = (key: string) => `body of ${JSON.stringify(key)}`;

  before(async () => {
    s3 = await startS3();
    client = await s3.createBucket(bucket);
  });
  after(async () => {
    client?.destroy();
    await stopAll();
  });

  it("PUT, HEAD and GET return each object under its exact key (unpatched: PUT answers a non-XML 404)", async () => {
    for (const key of keys) {
      const put = await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: bodyOf(key) }),
      );
      expect(put.ETag, key).to.equal(`"${md5(bodyOf(key)).toString("hex")}"`);
    }
    for (const key of keys) {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.ContentLength, key).to.equal(Buffer.byteLength(bodyOf(key)));
      expect(head.ETag, key).to.equal(`"${md5(bodyOf(key)).toString("hex")}"`);
      const get = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      expect(await get.Body!.transformToString(), key).to.equal(bodyOf(key));
    }
    expect(s3.running, s3.output).to.equal(true);
  });

  it("ListObjectsV2 lists the exact keys, flat, paged and by delimiter", async () => {
    const flat = await listAll(client, bucket);
    expect(flat.keys).to.deep.equal([...keys].sort(byUtf8));

    // one key per page: each continuation token must resume after a key with "//"
    const paged: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1, ContinuationToken: token }),
      );
      paged.push(...(page.Contents ?? []).map((o) => o.Key ?? ""));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    expect(paged).to.deep.equal([...keys].sort(byUtf8));

    // an empty segment is a level of its own: "/" and "a//" are common prefixes
    const root = await listAll(client, bucket, { delimiter: "/" });
    expect(root.keys).to.deep.equal(["plain.txt"]);
    expect(root.prefixes).to.deep.equal(["/", "a/", "double/", "trailing/"]);
    const a = await listAll(client, bucket, { prefix: "a/", delimiter: "/" });
    expect(a.prefixes).to.deep.equal(["a//", "a/b/"]);
    const leading = await listAll(client, bucket, { prefix: "/", delimiter: "/" });
    expect(leading.keys).to.deep.equal(["/leading"]);
    expect(leading.prefixes).to.deep.equal(["//"]);
    const trailing = await listAll(client, bucket, { prefix: "trailing/", delimiter: "/" });
    expect(trailing.keys).to.deep.equal(["trailing/"]);
    expect(trailing.prefixes).to.deep.equal(["trailing//"]);

    // rclone's listings ask for encoding-type=url; "/" stays as it is there
    const encoded = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, EncodingType: "url", Prefix: "double/" }),
    );
    expect(encoded.Contents?.map((o) => o.Key)).to.deep.equal([
      "double//slash.txt",
      "double/slash.txt",
    ]);
  });

  it("DELETE removes each key alone and leaves nothing behind", async () => {
    for (const key of slashed) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    }
    expect((await listAll(client, bucket)).keys).to.deep.equal([...neighbours].sort(byUtf8));
    for (const key of neighbours) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    }
    expect(fs.readdirSync(path.join(s3.dataDir, bucket))).to.deep.equal([]);
  });
});
