// The container SAS the program requests, tried with real rclone 1.60.1 against Azurite: copy
// mode can upload but never delete, mirror mode can delete, and an expired, https-only or
// foreign-IP SAS gets nothing done. Azurite enforces permissions, times and protocol itself;
// the IP binding ("sip") only with patches/azurite+3.35.0.patch.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SASProtocol, type ContainerClient } from "@azure/storage-blob";
import { sasPermissions } from "../../components/vaultSas";
import {
  containerSas,
  startAzurite,
  stopAll,
  vaultRemoteEnv,
  type AzuriteEmulator,
  type ContainerSasOptions,
} from "../../harness/emulators";
import { describeRun, runRclone, type RcloneResult } from "../../harness/rclone";

const HOUR_MS = 3_600_000;
// fail fast: a refused request is not worth retrying
const FAST_FAIL = ["--retries", "1", "--low-level-retries", "1"];

describe("vault SAS permissions with rclone 1.60.1 against Azurite", function () {
  this.timeout(120_000);
  let azurite: AzuriteEmulator;
  let tmp: string;
  let counter = 0;

  before(async () => {
    azurite = await startAzurite({ inMemory: true });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ccb-azurite-sas-"));
  });
  after(async () => {
    await stopAll();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** A fresh container per test, so no test sees another's blobs. */
  async function freshContainer(): Promise<{ name: string; client: ContainerClient }> {
    const name = `vault-${++counter}`;
    return { name, client: await azurite.createContainer(name) };
  }

  /** A local dir with a few files (names unique per call, so a copy always has work to do). */
  function localFiles(): { dir: string; files: Record<string, string> } {
    const dir = fs.mkdtempSync(path.join(tmp, "src-"));
    const tag = path.basename(dir);
    const files = {
      [`a-${tag}.txt`]: `alpha ${tag}`,
      [`nested/b-${tag}.txt`]: `beta ${tag}`,
      [`c ${tag}.bin`]: `gamma ${tag}`.repeat(100),
    };
    for (const [name, body] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), body);
    }
    return { dir, files };
  }

  async function blobs(client: ContainerClient): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for await (const blob of client.listBlobsFlat()) {
      out[blob.name] = (await client.getBlockBlobClient(blob.name).downloadToBuffer()).toString();
    }
    return out;
  }

  function rclone(
    container: string,
    sas: ContainerSasOptions,
    args: string[],
  ): Promise<RcloneResult> {
    const env = vaultRemoteEnv(azurite, { container, sas: containerSas(container, sas) });
    return runRclone([...args, ...FAST_FAIL], { env });
  }

  const valid = (permissions: string): ContainerSasOptions => ({
    permissions,
    expiresOn: new Date(Date.now() + HOUR_MS),
  });

  it("copy mode (racwl): rclone copy uploads every local file", async () => {
    expect(sasPermissions("copy")).to.equal("racwl");
    const { name, client } = await freshContainer();
    const { dir, files } = localFiles();
    const args = ["copy", dir, `vault:${name}`];
    const r = await rclone(name, valid(sasPermissions("copy")), args);
    expect(r.code, describeRun(args, r)).to.equal(0);
    expect(await blobs(client)).to.deep.equal(files);
  });

  it("copy mode (racwl): rclone deletefile and delete are refused and the blob stays", async () => {
    const { name, client } = await freshContainer();
    await client.getBlockBlobClient("keep.txt").upload("keep", 4);
    const sas = valid(sasPermissions("copy"));

    const deletefile = ["deletefile", `vault:${name}/keep.txt`];
    const r1 = await rclone(name, sas, deletefile);
    expect(r1.code, describeRun(deletefile, r1)).to.not.equal(0);
    expect(r1.stderr).to.include("AuthorizationPermissionMismatch");

    const del = ["delete", `vault:${name}`];
    const r2 = await rclone(name, sas, del);
    expect(r2.code, describeRun(del, r2)).to.not.equal(0);
    expect(r2.stderr).to.include("AuthorizationPermissionMismatch");

    expect(await blobs(client)).to.deep.equal({ "keep.txt": "keep" });
  });

  it("mirror mode (racwdl): rclone deletefile removes the blob", async () => {
    expect(sasPermissions("mirror")).to.equal("racwdl");
    const { name, client } = await freshContainer();
    await client.getBlockBlobClient("gone.txt").upload("gone", 4);
    await client.getBlockBlobClient("stays.txt").upload("stays", 5);
    const args = ["deletefile", `vault:${name}/gone.txt`];
    const r = await rclone(name, valid(sasPermissions("mirror")), args);
    expect(r.code, describeRun(args, r)).to.equal(0);
    expect(await blobs(client)).to.deep.equal({ "stays.txt": "stays" });
  });

  it("Azurite enforces write permissions too: a read/list-only SAS (rl) cannot upload", async () => {
    const { name, client } = await freshContainer();
    const { dir } = localFiles();
    const args = ["copy", dir, `vault:${name}`];
    const r = await rclone(name, valid("rl"), args);
    expect(r.code, describeRun(args, r)).to.not.equal(0);
    expect(r.stderr).to.include("AuthorizationPermissionMismatch");
    expect(await blobs(client)).to.deep.equal({});
  });

  it("an expired SAS: rclone copy fails with AuthorizationFailure and writes nothing", async () => {
    const { name, client } = await freshContainer();
    const { dir } = localFiles();
    const args = ["copy", dir, `vault:${name}`];
    const r = await rclone(
      name,
      {
        permissions: sasPermissions("copy"),
        startsOn: new Date(Date.now() - 2 * HOUR_MS),
        expiresOn: new Date(Date.now() - HOUR_MS),
      },
      args,
    );
    expect(r.code, describeRun(args, r)).to.not.equal(0);
    expect(r.stderr).to.include("AuthorizationFailure");
    expect(await blobs(client)).to.deep.equal({});
  });

  it("an https-only SAS (what production requests) is refused over plain http", async () => {
    const { name, client } = await freshContainer();
    const { dir } = localFiles();
    const args = ["copy", dir, `vault:${name}`];
    const r = await rclone(
      name,
      { ...valid(sasPermissions("copy")), protocol: SASProtocol.Https },
      args,
    );
    expect(r.code, describeRun(args, r)).to.not.equal(0);
    expect(r.stderr).to.include("AuthorizationProtocolMismatch");
    expect(await blobs(client)).to.deep.equal({});
  });

  it("an IP-bound SAS works from its IP (127.0.0.1) and is refused from any other", async () => {
    const { name, client } = await freshContainer();
    const { dir, files } = localFiles();
    const args = ["copy", dir, `vault:${name}`];

    const foreign = await rclone(
      name,
      { ...valid(sasPermissions("copy")), ipRange: { start: "203.0.113.10" } },
      args,
    );
    expect(foreign.code, describeRun(args, foreign)).to.not.equal(0);
    expect(foreign.stderr).to.include("AuthorizationSourceIPMismatch");
    expect(await blobs(client)).to.deep.equal({});

    const own = await rclone(
      name,
      { ...valid(sasPermissions("copy")), ipRange: { start: "127.0.0.0", end: "127.0.0.255" } },
      args,
    );
    expect(own.code, describeRun(args, own)).to.equal(0);
    expect(await blobs(client)).to.deep.equal(files);
  });
});
