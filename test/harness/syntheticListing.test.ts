// The synthetic listing server (harness/syntheticListing.ts) stands in for S3 and Azure at sizes
// no emulator holds, so its answers must be the services' wire format: the real SDKs read it
// here (pagination, StartAfter, Prefix, Delimiter, url encoding, ExpectedBucketOwner; List
// Blobs flat and by hierarchy with metadata; status/ blobs), and the engine's own listing and
// planning (harness/listing-bench.py) must see every object unchanged, or exactly the change set.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
  type ListObjectsV2CommandOutput,
} from "@aws-sdk/client-s3";
import { ContainerClient, RestError } from "@azure/storage-blob";
import { unpackEngine } from "../../harness/engine";
import { stopAll } from "../../harness/emulators";
import {
  FAKE_AWS_CREDENTIALS,
  listingWorkDir,
  runListing,
  startSyntheticListing,
  type SyntheticListing,
} from "../../harness/syntheticListing";

const N = 20_000;

function s3Client(server: SyntheticListing): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.config.region,
    forcePathStyle: true,
    credentials: { ...FAKE_AWS_CREDENTIALS },
    maxAttempts: 1,
  });
}

/** Every page of a ListObjectsV2 pagination, following NextContinuationToken. */
async function pages(
  client: S3Client,
  input: Omit<ConstructorParameters<typeof ListObjectsV2Command>[0], "Bucket">,
  bucket: string,
): Promise<ListObjectsV2CommandOutput[]> {
  const out: ListObjectsV2CommandOutput[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ ...input, Bucket: bucket, ContinuationToken: token }),
    );
    out.push(page);
    token = page.NextContinuationToken;
    if (page.IsTruncated)
      expect(token, "a truncated page names its continuation").to.be.a("string");
  } while (token);
  return out;
}

const keysOf = (ps: ListObjectsV2CommandOutput[]) =>
  ps.flatMap((p) => (p.Contents ?? []).map((o) => o.Key!));
const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

interface SourceRow {
  key: string;
  etag: string;
  size: number;
  mtime: number;
}

async function sourceRows(server: SyntheticListing): Promise<SourceRow[]> {
  const ps = await pages(s3Client(server), {}, server.config.bucket);
  return ps.flatMap((p) =>
    (p.Contents ?? []).map((o) => ({
      key: o.Key!,
      etag: o.ETag!.replace(/"/g, ""),
      size: o.Size!,
      mtime: Math.floor(o.LastModified!.getTime() / 1000),
    })),
  );
}

/** The vault's data/ blobs by key, with what the content record says (read with the Azure SDK). */
async function vaultRows(
  server: SyntheticListing,
): Promise<Map<string, SourceRow & { md5: string }>> {
  const container = new ContainerClient(server.sasUrl());
  const out = new Map<string, SourceRow & { md5: string }>();
  for await (const b of container.listBlobsFlat({ prefix: "data/", includeMetadata: true })) {
    const record = JSON.parse(decodeURIComponent(b.metadata!.ccbsource)) as {
      etag: string;
      size: number;
      mtime: number;
      md5: string;
      format: number;
    };
    expect(record.format).to.equal(1);
    expect(Buffer.from(b.properties.contentMD5!).toString("hex")).to.equal(record.md5);
    expect(b.properties.contentLength).to.equal(record.size);
    expect(Date.parse(b.metadata!.mtime) / 1000).to.equal(record.mtime);
    out.set(b.name.slice("data/".length), { key: b.name, ...record });
  }
  return out;
}

describe("synthetic listing server", function () {
  this.timeout(300_000);
  let workDir: string;
  let engineDir: string;

  before(() => {
    workDir = listingWorkDir();
    engineDir = unpackEngine(path.join(workDir, "engine"));
  });
  after(async () => {
    await stopAll();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  describe("with no change", () => {
    let server: SyntheticListing;
    let all: string[];
    before(async () => {
      server = await startSyntheticListing({ objects: N, bucketOwner: "123456789012" });
      const ps = await pages(s3Client(server), { MaxKeys: 1000 }, server.config.bucket);
      expect(ps).to.have.length(N / 1000);
      for (const p of ps) expect(p.KeyCount).to.equal((p.Contents ?? []).length);
      all = keysOf(ps);
    });
    after(() => server.stop());

    it("lists every key once, in UTF-8 byte order, through the S3 SDK's pagination", () => {
      expect(all).to.have.length(N);
      expect(new Set(all).size).to.equal(N);
      expect([...all].sort(utf8Order)).to.deep.equal(all);
      // JavaScript's own order differs where an emoji meets a fullwidth letter: the server's does not
      expect([...all].sort()).to.not.deep.equal(all);
      const top = (k: string) => k.split("/")[0];
      const share = (t: string) => all.filter((k) => top(k) === t).length / N;
      expect(share("warehouse"), "most keys under one deep prefix").to.be.above(0.7);
      expect(share("logs")).to.be.within(0.2, 0.3);
      expect(all.filter((k) => /[^\x20-\x7e]/.test(k)).length).to.be.within(5, 50);
    });

    it("starts after any StartAfter, existing key or not, in byte order", async () => {
      const client = s3Client(server);
      for (const [after, index] of [
        [all[12_345], 12_346],
        [`${all[777]} `, 778],
        ["\uff57", all.findIndex((k) => k.startsWith("\uff57"))],
        ["\u{1F4E5}", all.findIndex((k) => k.startsWith("\u{1F4E6}"))],
      ] as const) {
        expect(index).to.be.above(0);
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: server.config.bucket, StartAfter: after, MaxKeys: 3 }),
        );
        expect(page.StartAfter).to.equal(after);
        expect(page.Contents!.map((o) => o.Key)).to.deep.equal(all.slice(index, index + 3));
      }
    });

    it("answers Prefix, and Delimiter with CommonPrefixes, page after page", async () => {
      const client = s3Client(server);
      const logs = keysOf(await pages(client, { Prefix: "logs/app/" }, server.config.bucket));
      expect(logs).to.deep.equal(all.filter((k) => k.startsWith("logs/app/")));
      const root = await pages(client, { Delimiter: "/", MaxKeys: 2 }, server.config.bucket);
      const prefixes = root.flatMap((p) => (p.CommonPrefixes ?? []).map((c) => c.Prefix));
      expect(prefixes).to.deep.equal([
        ...new Set(all.filter((k) => k.includes("/")).map((k) => k.split("/")[0] + "/")),
      ]);
      expect(keysOf(root)).to.deep.equal(all.filter((k) => !k.includes("/")));
      const days = "warehouse/events/year=2025/";
      const deep = await pages(client, { Prefix: days, Delimiter: "/" }, server.config.bucket);
      const expected = new Set(
        all
          .filter((k) => k.startsWith(days))
          .map((k) => days + k.slice(days.length).split("/")[0] + "/"),
      );
      expect(deep.flatMap((p) => (p.CommonPrefixes ?? []).map((c) => c.Prefix))).to.deep.equal([
        ...expected,
      ]);
      expect(expected.size).to.be.above(1);
    });

    it("url-encodes keys when asked, as S3 does (space %20, plus %2B)", async () => {
      const page = await s3Client(server).send(
        new ListObjectsV2Command({
          Bucket: server.config.bucket,
          EncodingType: "url",
          Prefix: "tmp/",
          MaxKeys: 2,
        }),
      );
      expect(page.EncodingType).to.equal("url");
      const raw = page.Contents!.map((o) => o.Key!);
      expect(raw[0]).to.match(/^tmp\/scratch%2B\d+%20copy\.txt$/);
      expect(raw.map(decodeURIComponent)).to.deep.equal(
        all.filter((k) => k.startsWith("tmp/")).slice(0, 2),
      );
    });

    it("refuses a wrong ExpectedBucketOwner, a wrong bucket and an unsigned request", async () => {
      const client = s3Client(server);
      const fails = async (input: { Bucket: string; ExpectedBucketOwner?: string }) => {
        try {
          await client.send(new ListObjectsV2Command(input));
        } catch (e) {
          expect(e).to.be.instanceOf(S3ServiceException);
          return (e as S3ServiceException).name;
        }
        throw new Error("listed");
      };
      expect(
        await fails({ Bucket: server.config.bucket, ExpectedBucketOwner: "999999999999" }),
      ).to.equal("AccessDenied");
      expect(await fails({ Bucket: "another-bucket" })).to.equal("NoSuchBucket");
      const ok = await client.send(
        new ListObjectsV2Command({
          Bucket: server.config.bucket,
          ExpectedBucketOwner: "123456789012",
          MaxKeys: 1,
        }),
      );
      expect(ok.KeyCount).to.equal(1);
      const unsigned = await fetch(`${server.endpoint}/${server.config.bucket}?list-type=2`);
      expect(unsigned.status).to.equal(403);
      expect(await unsigned.text()).to.contain("<Code>AccessDenied</Code>");
    });

    it("lists the vault with the Azure SDK: every key as data/<key>, sealed with its source object", async () => {
      const source = await sourceRows(server);
      const vault = await vaultRows(server);
      expect([...vault.keys()]).to.deep.equal(all);
      for (const s of source) {
        const v = vault.get(s.key)!;
        expect([v.etag, v.size, v.mtime], s.key).to.deep.equal([s.etag, s.size, s.mtime]);
      }
      const container = new ContainerClient(server.sasUrl());
      const sizes = [];
      for await (const p of container
        .listBlobsFlat({ prefix: "data/" })
        .byPage({ maxPageSize: 7000 }))
        sizes.push(p.segment.blobItems.length);
      expect(sizes).to.deep.equal(Array(N / 5000).fill(5000));
    });

    it("lists the vault by hierarchy with BlobPrefix, like S3's delimiter listing", async () => {
      const container = new ContainerClient(server.sasUrl());
      const prefixes: string[] = [];
      const blobs: string[] = [];
      for await (const item of container.listBlobsByHierarchy("/", {
        prefix: "data/",
        includeMetadata: true,
      })) {
        if (item.kind === "prefix") prefixes.push(item.name);
        else {
          blobs.push(item.name);
          expect(item.metadata?.ccbsource).to.be.a("string");
        }
      }
      expect(prefixes).to.deep.equal([
        ...new Set(all.filter((k) => k.includes("/")).map((k) => `data/${k.split("/")[0]}/`)),
      ]);
      expect(blobs).to.deep.equal(all.filter((k) => !k.includes("/")).map((k) => `data/${k}`));
    });

    it("stores, serves and lists small status/ blobs; refuses requests without a live SAS", async () => {
      const container = new ContainerClient(server.sasUrl());
      const blob = container.getBlockBlobClient("status/probe.json");
      const body = JSON.stringify({ hello: "vault" });
      await blob.upload(body, Buffer.byteLength(body), {
        blobHTTPHeaders: { blobContentType: "application/json" },
      });
      expect((await blob.downloadToBuffer()).toString("utf8")).to.equal(body);
      expect((await blob.getProperties()).contentLength).to.equal(Buffer.byteLength(body));
      const names: string[] = [];
      for await (const b of container.listBlobsFlat({ prefix: "status/" })) names.push(b.name);
      expect(names).to.deep.equal(["status/probe.json"]);
      const absent = await container
        .getBlobClient("status/absent.json")
        .download()
        .catch((e: unknown) => e);
      expect(absent).to.be.instanceOf(RestError);
      expect((absent as RestError).statusCode).to.equal(404);
      expect((absent as RestError).code).to.equal("BlobNotFound");
      const unsigned = await fetch(`${server.containerUrl}?restype=container&comp=list`);
      expect(unsigned.status).to.equal(403);
      const expired = await fetch(
        `${server.sasUrl(new Date(Date.now() - 60_000))}&restype=container&comp=list`,
      );
      expect(expired.status).to.equal(403);
      expect(expired.headers.get("x-ms-error-code")).to.equal("AuthenticationFailed");
    });

    it("answers the engine's own vault and source probes and status reads and writes", () => {
      const env = server.engineEnv(
        path.join(workDir, "probe-state"),
        path.join(workDir, "probe-credentials"),
      );
      const script = [
        "import json, sys",
        `sys.path.insert(0, ${JSON.stringify(engineDir)})`,
        "from ccb import cli",
        "from ccb.base import RunFailed",
        "ctx = cli.context()",
        "out = {'vaultProbe': ctx.vault.probe(), 'sourceProbe': ctx.source.probe()}",
        "try:",
        "    ctx.vault.get_json('status/last-success.json')",
        "except RunFailed as e:",
        "    out['absent'] = str(e)",
        "ctx.vault.put_status('status/last-run.json', json.dumps({'freshAsOf': '2026-01-02T03:04:05Z'}).encode())",
        "out['freshAsOf'] = cli.vault_fresh_as_of(cli.context().vault)  # a new run's first look",
        "print(json.dumps(out))",
      ].join("\n");
      const out = JSON.parse(
        execFileSync("/usr/bin/python3", ["-I", "-c", script], { env, encoding: "utf8" }),
      ) as Record<string, unknown>;
      expect(out).to.deep.equal({
        vaultProbe: null,
        sourceProbe: null,
        absent: "BlobNotFound (HTTP 404)",
        freshAsOf: Date.parse("2026-01-02T03:04:05Z") / 1000,
      });
    });

    it("the engine's listing and plan see every object as unchanged", async () => {
      await server.reset();
      const run = await runListing(server, engineDir, workDir);
      expect(run.counts).to.include({
        sourceObjects: N,
        vaultObjects: N,
        unchanged: N,
        new: 0,
        changed: 0,
        vaultOnly: 0,
      });
      expect(run.plan.copy.lines).to.equal(0);
      expect(run.skipped.count, JSON.stringify(run.skipped)).to.equal(0);
      const counts = await server.counts();
      expect(counts.s3.LIST).to.be.at.least(N / 1000);
      expect(counts.azure.LIST).to.be.at.least(N / 5000);
      expect(counts.azure.PUT + counts.s3.GET + counts.s3.HEAD).to.equal(0);
      expect(run.rss.totalKiB).to.be.above(0);
    });
  });

  describe("with a change set", () => {
    let server: SyntheticListing;
    let changed: SourceRow[];
    let missing: SourceRow[];
    let vault: Map<string, SourceRow>;
    before(async () => {
      server = await startSyntheticListing({
        objects: N,
        seed: 7,
        changedPercent: 1,
        missingPercent: 1,
      });
      const source = await sourceRows(server);
      vault = await vaultRows(server);
      changed = source.filter((s) => vault.has(s.key) && vault.get(s.key)!.etag !== s.etag);
      missing = source.filter((s) => !vault.has(s.key));
    });
    after(() => server.stop());

    it("makes about 1% of the objects changed and 1% missing, as the SDKs see them", async () => {
      expect(changed.length).to.be.within(N * 0.005, N * 0.015);
      expect(missing.length).to.be.within(N * 0.005, N * 0.015);
      expect(await server.changes()).to.deep.equal({
        changed: changed.length,
        missing: missing.length,
      });
      // an overwrite has a new time as well as a new ETag, never the copied version's
      for (const s of changed) expect(s.mtime).to.be.above(vault.get(s.key)!.mtime);
    });

    it("the engine's plan copies exactly the change set", async () => {
      const run = await runListing(server, engineDir, workDir, { copyKeys: true });
      expect(run.counts).to.include({
        sourceObjects: N,
        vaultObjects: N - missing.length,
        unchanged: N - changed.length - missing.length,
        new: missing.length,
        changed: changed.length,
        vaultOnly: 0,
      });
      expect([...run.copyKeys!].sort()).to.deep.equal(
        [...changed, ...missing].map((s) => s.key).sort(),
      );
      expect(run.plan.archive.lines).to.equal(changed.length);
    });
  });

  describe("with throttling", () => {
    it("the engine retries S3 SlowDown and Azure ServerBusy and still plans every object", async () => {
      const server = await startSyntheticListing({
        objects: N,
        s3ListFailFraction: 0.1,
        azureListFailFraction: 0.5,
      });
      try {
        const run = await runListing(server, engineDir, workDir);
        const counts = await server.counts();
        expect(counts.injected.s3).to.be.at.least(2);
        expect(counts.injected.azure).to.be.at.least(2);
        expect(run.counts).to.include({ sourceObjects: N, vaultObjects: N, unchanged: N });
        expect(run.errors.count).to.equal(0);
      } finally {
        await server.stop();
      }
    });
  });
});
