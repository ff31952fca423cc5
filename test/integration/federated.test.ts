// Federated mode, end to end with real parts where they exist: the rendered engine under Debian's
// python3 + botocore 1.29 signs GetWebIdentityToken (STS stand-in), exchanges the token at the
// Entra stand-in, gets a user delegation key from Azurite in OAuth mode (HTTPS), signs a
// user-delegation SAS, and real rclone 1.60.1 copies with it. No key or SAS exists beforehand.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { METRICS } from "../../domain/telemetry";
import { startS3, stopAll, s3RemoteEnv, type S3Emulator } from "../../harness/emulators";
import {
  startFederatedVault,
  TEST_HOST_ROLE,
  type FederatedVault,
} from "../../harness/federatedVault";
import { stackSettings } from "../../harness/stack";
import { startTelemetryStandIn, type TelemetryStandIn } from "../../harness/telemetryStandIn";
import { request } from "../../harness/localTls";
import { renderHostArtifacts, type SyncSettings, type VaultAccess } from "../../userdata";

const BUCKET = "example-app-data-dev";

interface Run {
  code: number | null;
  stderr: string;
  summary: Record<string, any>;
}

/** No SAS signature, JWT (AWS or Entra token) or key id in `text`. */
function expectNoSecrets(text: string): void {
  for (const secret of [/sig=[A-Za-z0-9%]{10,}/, /eyJ[A-Za-z0-9_-]{10,}\./, /skoid=[0-9a-f-]{10,}/])
    expect(text).to.not.match(secret);
}

describe("federated mode: the rendered engine mints its own SAS (stand-ins, Azurite OAuth, rclone)", function () {
  this.timeout(360_000);
  let s3: S3Emulator;
  let fed: FederatedVault;
  let settings: SyncSettings;
  let work: string;

  let telemetry: TelemetryStandIn;

  before(async () => {
    [s3, fed, telemetry] = await Promise.all([
      startS3(),
      startFederatedVault(),
      startTelemetryStandIn(),
    ]);
    await s3.createBucket(BUCKET);
    const objects = Array.from({ length: 30 }, (_, i) => ({
      key: `reports/r${String(i).padStart(3, "0")}.txt`,
      body: `report ${i}\n`.repeat(i + 1),
    }));
    s3.seedOnDisk(BUCKET, objects);
    settings = stackSettings("dev");
    expect(settings.credential).to.equal("federated");
    work = fs.mkdtempSync(path.join(os.tmpdir(), "ccb-federated-"));
  });
  after(async () => {
    await stopAll();
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** Render the host's files for `access` and run the engine once, as systemd would. */
  function runEngine(access: VaultAccess, name: string): Promise<Run> {
    const dir = path.join(work, name);
    const creds = path.join(dir, "credentials");
    const state = path.join(dir, "state");
    fs.mkdirSync(creds, { recursive: true });
    fs.mkdirSync(state, { recursive: true });
    const a = renderHostArtifacts(settings, access);
    fs.writeFileSync(path.join(creds, "rclone.conf"), a.rcloneConfig, { mode: 0o600 });
    fs.writeFileSync(path.join(creds, "federation.json"), a.federationConfig!, { mode: 0o600 });
    fs.writeFileSync(path.join(creds, "settings.json"), a.engineSettings, { mode: 0o600 });
    // The host's entry point: the loader, which reads the engine bundle from SSM (the stand-in).
    const script = path.join(dir, "sync");
    fs.writeFileSync(script, a.loader, { mode: 0o755 });
    telemetry.setSsmParameters(
      Object.fromEntries(a.engine.parameters.map((p) => [p.name, p.value])),
    );
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...s3RemoteEnv(s3),
      ...fed.env,
      ...telemetry.env,
      STATE_DIRECTORY: state,
      CREDENTIALS_DIRECTORY: creds,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      AWS_EC2_METADATA_DISABLED: "true",
    };
    for (const k of ["AWS_SESSION_TOKEN", "AWS_PROFILE", "RCLONE_CONFIG_VAULT_SAS_URL"])
      delete env[k];
    return new Promise((resolve) => {
      const child = spawn(script, [], { env, stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("close", (code) => {
        const f = path.join(state, "last-run.json");
        const summary = fs.existsSync(f)
          ? (JSON.parse(fs.readFileSync(f, "utf8")) as Record<string, any>)
          : {};
        resolve({ code, stderr, summary });
      });
    });
  }

  async function blob(name: string): Promise<{ status: number; body: string }> {
    const r = await fed.azurite.request("GET", `/backup/${name}?${fed.azurite.adminSas()}`);
    return { status: r.status, body: r.body };
  }

  it("copies every object with no stored credential, and keeps tokens and SAS out of its output", async () => {
    const run = await runEngine(fed.access(), "first");
    expect(run.code, run.stderr).to.equal(0);
    expect(run.summary).to.include({ outcome: "success", copied: 30, sourceObjects: 30 });
    expect((await blob("data/reports/r007.txt")).body).to.equal("report 7\n".repeat(8));
    // The run published its summary with the minted SAS too.
    const status = await blob("status/last-run.json");
    expect(status.status).to.equal(200);
    expect(run.stderr).to.match(
      /minted a user-delegation SAS through the host's federated identity/,
    );
    expectNoSecrets(run.stderr);
    // Federated runs publish too, without a credential metric (there is nothing to expire).
    const published = telemetry.metrics().at(-1)!;
    expect(published).to.include({ Heartbeat: 1, RunFailed: 0, ObjectsCopied: 30 });
    expect(published).to.not.have.property("CredentialSecondsLeft");
    const logs = fs.readdirSync(path.join(work, "first", "state"), {
      recursive: true,
      encoding: "utf8",
    });
    for (const f of logs) {
      const p = path.join(work, "first", "state", f);
      if (fs.statSync(p).isFile()) {
        const text = fs.readFileSync(p).toString("latin1");
        expect(text, f).to.not.match(/sig=[A-Za-z0-9%]{10,}/);
        expect(text, f).to.not.match(/eyJ[A-Za-z0-9_-]{10,}\./);
      }
    }
  });

  it("a second run with nothing to do copies nothing", async () => {
    const run = await runEngine(fed.access(), "second");
    expect(run.code, run.stderr).to.equal(0);
    expect(run.summary).to.include({ outcome: "success", copied: 0, unchanged: 30 });
  });

  it("mints a fresh SAS whenever the current one runs low, so every batch of a long run starts with one", async () => {
    // 4,000 new objects: four rclone batches of up to 1,000. renewBelowSeconds = sasSeconds makes
    // every SAS "low" at once, so each use (the listing, every batch, the status blob) mints.
    // With the real values (24 h, renewed below 23 h, the unit's TimeoutStartSec) no batch can
    // outlive its SAS; this shows the renewal happens where it must, whatever the machine's speed.
    s3.seedOnDisk(
      BUCKET,
      Array.from({ length: 4000 }, (_, i) => ({ key: `bulk/${i}.txt`, body: `bulk ${i}\n` })),
    );
    const run = await runEngine(fed.access({ sasSeconds: 600, renewBelowSeconds: 600 }), "renew");
    expect(run.code, run.stderr).to.equal(0);
    expect(run.summary.outcome).to.equal("success");
    expect(run.summary.copied).to.be.at.least(4000);
    const mints = run.stderr.match(/minted a user-delegation SAS/g) ?? [];
    // The vault listing, four batches and the status blob: six uses at least.
    expect(mints.length, run.stderr).to.be.at.least(6);
  });

  it("binds the SAS to the host's egress IP: from another address the vault refuses it", async () => {
    const run = await runEngine(fed.access({ sasIp: "203.0.113.10" }), "other-ip");
    expect(run.code).to.equal(1);
    expect(run.summary.errors.join("\n")).to.match(/AuthorizationSourceIPMismatch|403/);
  });

  it("fails clearly, copying nothing, when Entra trusts another role", async () => {
    const other = await startFederatedVault({ subject: `${TEST_HOST_ROLE}-other` });
    const run = await runEngine(other.access(), "other-role");
    expect(run.code).to.equal(1);
    expect(run.summary.outcome).to.equal("failure");
    expect(run.summary.errors.join("\n")).to.match(
      /Entra ID refused the host's federated token \(HTTP 401\): AADSTS700213/,
    );
    // A federated credential takes minutes to propagate: the engine retried before giving up.
    expect(run.stderr.match(/AADSTS700213.*; retrying in 0\.2 s/g) ?? []).to.have.length(2);
    expectNoSecrets(run.stderr);
    const listing = await request(
      `${other.azurite.blobEndpoint}/backup?restype=container&comp=list&${other.azurite.adminSas()}`,
    );
    expect(listing.body).to.not.include("<Name>data/");
  });

  it("fails clearly when the AWS account has not enabled outbound federation", async () => {
    const off = await startFederatedVault({ federationEnabled: false });
    const run = await runEngine(off.access(), "federation-off");
    expect(run.code).to.equal(1);
    expect(run.summary.errors.join("\n")).to.match(
      /AWS STS refused GetWebIdentityToken \(HTTP 403 OutboundWebIdentityFederationDisabledException\)/,
    );
    // A setting, not a transient error: no retry.
    expect(run.stderr).to.not.include("retrying");
    expectNoSecrets(run.stderr);
  });

  it("the token endpoint down (Entra unreachable): the run fails naming it, recorded and published", async () => {
    const down = await startFederatedVault();
    await down.entra.stop();
    telemetry.reset();
    const run = await runEngine(down.access(), "entra-down");
    expect(run.code, run.stderr).to.equal(1);
    expect(run.summary.outcome).to.equal("failure");
    expect(run.summary.ending).to.equal("finished");
    expect(run.summary.errors.join("\n")).to.match(
      /cannot reach Entra ID's token endpoint \(127\.0\.0\.1:\d+\): .*Connection refused/,
    );
    expect(run.summary.copied).to.equal(0);
    const published = telemetry.metrics().at(-1)!;
    expect(published).to.include({ [METRICS.runFailed]: 1, [METRICS.heartbeat]: 0 });
    expect(published[METRICS.backupAgeSeconds]).to.equal(run.summary.backupAgeSeconds);
    expectNoSecrets(run.stderr);
  });
});
