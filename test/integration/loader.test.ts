// The host's entry point (userdata/loader.py, rendered into user-data) against the SSM stand-in:
// it runs the engine only if the bytes read from Parameter Store match the SHA-256 it pins, keeps
// the checked copy, and never runs anything else. The engine here is a small bundle (the format of
// userdata/engineBundle.ts) whose entry point reports its arguments; every backup test runs the
// real engine bundle through the same loader (harness/datapath.ts).
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startTelemetryStandIn, type TelemetryStandIn } from "../../harness/telemetryStandIn";
import { packEngine, renderLoader, type EngineDelivery } from "../../userdata";

/** A bundle whose entry point prints what ran, its arguments and the file it was served from. */
function fakeBundle(ran: string, padding = ""): string {
  const cli = [
    "import json, os",
    "def main(argv):",
    `    print(json.dumps({'ran': ${ran}, 'args': argv, 'script': os.path.basename(os.path.dirname(os.path.dirname(__file__)))}))`,
    "    return 0",
    padding,
  ].join("\n");
  const modules = { fake: "", "fake.cli": cli };
  return JSON.stringify({ format: 1, entry: "fake.cli", packages: ["fake"], modules }) + "\n";
}

describe("the host's loader: engine from SSM Parameter Store, pinned by SHA-256", function () {
  this.timeout(120_000);
  let aws: TelemetryStandIn;
  let dir: string;
  let state: string;
  let loaderPath: string;
  let engine: EngineDelivery;

  before(async () => {
    aws = await startTelemetryStandIn();
  });
  after(async () => {
    await aws.stop();
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ccb-loader-"));
    state = path.join(dir, "state");
    fs.mkdirSync(state);
    // a long engine, so that it spans several parameters, as the real one does
    engine = packEngine(fakeBundle("True", `# ${randomBytes(6000).toString("hex")}\n`), "dev");
    loaderPath = path.join(dir, "cross-cloud-backup-sync");
    fs.writeFileSync(loaderPath, renderLoader("eu-west-1", engine), { mode: 0o755 });
    aws.reset();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const stock = (values: Record<string, string>) => aws.setSsmParameters(values);
  const fromEngine = () => Object.fromEntries(engine.parameters.map((p) => [p.name, p.value]));
  const run = (...args: string[]) => {
    const r = spawnSync(loaderPath, args, {
      encoding: "utf8",
      env: {
        PATH: process.env.PATH,
        STATE_DIRECTORY: state,
        AWS_ENDPOINT_URL_SSM: aws.endpoint,
        AWS_ACCESS_KEY_ID: "AKIAFAKEFAKEFAKEFAKE",
        AWS_SECRET_ACCESS_KEY: "fake-secret-for-tests",
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        AWS_EC2_METADATA_DISABLED: "true",
      },
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const ssmCalls = () => aws.calls().filter((c) => c.service === "ssm");
  const cached = () => fs.readdirSync(state).filter((f) => f.startsWith("engine-"));

  it("reads every part in one signed GetParameters call, runs the engine with the loader's arguments, then runs the checked copy without calling SSM", () => {
    expect(engine.parameters.length).to.be.at.least(2);
    stock(fromEngine());
    const first = run("--verify", "x y");
    expect(first.code, first.err).to.equal(0);
    expect(JSON.parse(first.out)).to.deep.equal({
      ran: true,
      args: ["--verify", "x y"],
      script: `engine-${engine.sha256.slice(0, 16)}.json`,
    });
    expect(ssmCalls().map((c) => c.body.Names)).to.deep.equal([
      engine.parameters.map((p) => p.name),
    ]);
    expect(cached()).to.deep.equal([`engine-${engine.sha256.slice(0, 16)}.json`]);
    expect(fs.readFileSync(path.join(state, cached()[0]), "utf8")).to.equal(engine.bundle);
    const second = run();
    expect(second.code, second.err).to.equal(0);
    expect(ssmCalls()).to.have.length(1);
  });

  it("reads an engine of more than 10 parts in GetParameters calls of at most 10 names, in order", () => {
    engine = packEngine(fakeBundle("True", `# ${randomBytes(30000).toString("hex")}\n`), "dev");
    fs.writeFileSync(loaderPath, renderLoader("eu-west-1", engine), { mode: 0o755 });
    expect(engine.parameters.length).to.be.within(11, 20);
    stock(fromEngine());
    const r = run("--drill");
    expect(r.code, r.err).to.equal(0);
    expect(JSON.parse(r.out)).to.include({ ran: true });
    const names = engine.parameters.map((p) => p.name);
    expect(ssmCalls().map((c) => c.body.Names)).to.deep.equal([
      names.slice(0, 10),
      names.slice(10),
    ]);
  });

  it("refuses a checked bundle it cannot run (not a bundle, or no entry module) with a message, not a traceback", () => {
    for (const bad of [
      "not json at all\n",
      JSON.stringify({ format: 1, entry: "x.cli", modules: {} }),
    ]) {
      engine = packEngine(bad, "dev");
      fs.writeFileSync(loaderPath, renderLoader("eu-west-1", engine), { mode: 0o755 });
      stock(fromEngine());
      const r = run();
      expect(r.code).to.equal(1);
      expect(r.err).to.include("the sync engine bundle cannot be run");
      expect(r.err).not.to.include("Traceback");
    }
  });

  it("refuses an engine whose bytes differ from the pinned SHA-256, and keeps nothing", () => {
    const tampered = fromEngine();
    const last = engine.parameters[engine.parameters.length - 1].name;
    const other = packEngine(fakeBundle("'tampered'"), "dev");
    // a complete, valid gzip stream, only not the pinned one
    for (const p of engine.parameters) delete tampered[p.name];
    other.parameters.forEach((p, i) => (tampered[engine.parameters[i].name] = p.value));
    for (const p of engine.parameters.slice(other.parameters.length)) tampered[p.name] = "";
    expect(tampered[last]).to.equal("");
    stock(tampered);
    const r = run();
    expect(r.code).to.equal(1);
    expect(r.out).to.equal("");
    expect(r.err).to.include(`not the ${engine.sha256} this host expects`);
    expect(cached()).to.deep.equal([]);
  });

  it("fails with the missing parameter's name (and runs nothing) when a part is not in Parameter Store", () => {
    const some = fromEngine();
    delete some[engine.parameters[1].name];
    stock(some);
    const r = run();
    expect(r.code).to.equal(1);
    expect(r.out).to.equal("");
    expect(r.err).to.include(`SSM parameters not found: ${engine.parameters[1].name}`);
  });

  it("reads the engine again when the kept copy was altered on disk", () => {
    stock(fromEngine());
    expect(run().code).to.equal(0);
    const copy = path.join(state, cached()[0]);
    fs.writeFileSync(copy, "import sys; print('altered'); sys.exit(9)\n");
    const r = run();
    expect(r.code, r.err).to.equal(0);
    expect(JSON.parse(r.out).ran).to.equal(true);
    expect(ssmCalls()).to.have.length(2);
    expect(fs.readFileSync(copy, "utf8")).to.equal(engine.bundle);
  });
});
