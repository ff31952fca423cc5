// emulatorRemoteEnv must point the production remotes at the emulators through RCLONE_CONFIG_*
// variables alone: the config file below has the production shape (AWS provider, instance-role
// auth, eu-west-1, an https SAS URL on a host that cannot resolve) and is never edited.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  containerSas,
  emulatorRemoteEnv,
  startAzurite,
  startS3,
  stopAll,
  type AzuriteEmulator,
  type S3Emulator,
} from "../../harness/emulators";
import { describeRun, runRclone } from "../../harness/rclone";

const PRODUCTION_SHAPED_CONFIG = `[source]
type = s3
provider = AWS
env_auth = true
region = eu-west-1

[vault]
type = azureblob
sas_url = https://example.invalid/vault?sv=2022-11-02&spr=https&sp=racwl&sig=invalid
`;

describe("emulatorRemoteEnv: production-shaped rclone remotes reach the emulators via env only", function () {
  this.timeout(120_000);
  const bucket = "source-bucket";
  const container = "vault";
  const objects: Record<string, string> = {
    "top.txt": "top",
    "dir/nested.txt": "nested",
    "plus+sign.txt": "plus",
  };
  let s3: S3Emulator;
  let azurite: AzuriteEmulator;
  let client: S3Client;
  let tmp: string;
  let configPath: string;
  let env: Record<string, string | undefined>;

  before(async () => {
    [s3, azurite] = await Promise.all([startS3(), startAzurite({ inMemory: true })]);
    client = await s3.createBucket(bucket);
    for (const [key, body] of Object.entries(objects)) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    }
    await azurite.createContainer(container);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ccb-rclone-env-"));
    configPath = path.join(tmp, "rclone.conf");
    fs.writeFileSync(configPath, PRODUCTION_SHAPED_CONFIG);
    const sas = containerSas(container, {
      permissions: "racwl",
      expiresOn: new Date(Date.now() + 3_600_000),
    });
    env = emulatorRemoteEnv(s3, azurite, { container, sas });
  });
  after(async () => {
    client?.destroy();
    await stopAll();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("lists the s3rver bucket through [source] with path style, ListObjectsV2 and url encoding", async () => {
    const args = ["lsjson", "-R", "--files-only", "--dump", "headers", "-vv", `source:${bucket}`];
    const r = await runRclone(args, { env, configPath });
    expect(r.code, describeRun(args, r)).to.equal(0);
    const names = (JSON.parse(r.stdout) as { Path: string }[]).map((o) => o.Path).sort();
    expect(names).to.deep.equal(Object.keys(objects).sort());
    // the production request pattern (provider AWS quirks), only path-style instead of vhost
    expect(r.stderr).to.match(new RegExp(`GET /${bucket}\\?[^ ]*list-type=2`));
    expect(r.stderr).to.match(/encoding-type=url/);
    expect(r.stderr).to.include(`Host: 127.0.0.1:${s3.port}`);
    expect(r.stderr).not.to.match(/amazonaws\.com|169\.254\.169\.254/);
  });

  it("copies from [source] into [vault] on Azurite over the http SAS URL", async () => {
    const args = ["copy", "source:" + bucket, `vault:${container}`];
    const r = await runRclone(args, { env, configPath });
    expect(r.code, describeRun(args, r)).to.equal(0);
    const blobs: Record<string, string> = {};
    const containerClient = azurite.serviceClient().getContainerClient(container);
    for await (const blob of containerClient.listBlobsFlat()) {
      blobs[blob.name] = (
        await containerClient.getBlockBlobClient(blob.name).downloadToBuffer()
      ).toString();
    }
    expect(blobs).to.deep.equal(objects);
    expect(r.stderr).not.to.include("example.invalid");
  });

  it("leaves the config file untouched", () => {
    expect(fs.readFileSync(configPath, "utf8")).to.equal(PRODUCTION_SHAPED_CONFIG);
  });
});
