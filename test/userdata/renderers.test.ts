// Renderer tests, no mocks: golden files for the dev and prod stacks, and the real validators
// (cloud-init schema, py_compile and pyflakes, systemd-analyze verify/calendar) on what is rendered.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { ROOT, stackSettings } from "../../harness/stack";
import { hostPackages } from "../../userdata/hostPackages";
import { APT_SOURCES_PATH, AUTO_UPGRADES, aptSources } from "../../userdata/cloudInit";
import { CHECKS, checkCalendar, renderUnits, type CheckKind } from "../../userdata/schedule";
import { unpackEngine } from "../../harness/engine";
import { ENGINE_PACKAGE_DIR, engineBundle } from "../../userdata/engineBundle";

/** One module's source, as the engine bundle carries it (e.g. "ccb.rclone"). */
function engineModule(name: string): string {
  const bundle = JSON.parse(engineBundle().text) as { modules: Record<string, string> };
  return bundle.modules[name];
}
import {
  decodeUserData,
  encodeUserData,
  onCalendar,
  USER_DATA_LIMIT_BYTES,
  renderCloudInit,
  renderHostArtifacts,
  RCLONE_CONFIG_PATH,
  SCRIPT_PATH,
  SERVICE_NAME,
  TIMER_NAME,
  type HostArtifacts,
  type SyncSettings,
  type VaultAccess,
} from "../../userdata";

const FAKE_SAS =
  "https://vaultfake0000.blob.core.windows.net/backup?sv=2022-11-02&sr=c&sp=racwl&sig=FAKE";
const GOLDEN = path.join(ROOT, "test", "golden");

function run(cmd: string, args: string[], input?: string) {
  const r = spawnSync(cmd, args, { encoding: "utf8", input });
  if (r.error) throw r.error;
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

interface Rendered {
  settings: SyncSettings;
  artifacts: HostArtifacts;
  cloudInit: string;
}
/** Obviously fake identifiers for a federated host (they are not secrets either). */
const FAKE_FEDERATION: VaultAccess = {
  kind: "federated",
  tenantId: "00000000-0000-0000-0000-00000000aaaa",
  clientId: "00000000-0000-0000-0000-00000000bbbb",
  blobEndpoint: "https://vaultexample0000.blob.core.windows.net/",
  sasIp: "203.0.113.10",
};
function accessFor(settings: SyncSettings): VaultAccess {
  switch (settings.credential) {
    case "ssm":
      return { kind: "ssm" };
    case "userData":
      return { kind: "userData", sasUrl: FAKE_SAS };
    case "federated":
      return FAKE_FEDERATION;
  }
}
function renderStack(stack: string, overrides: Record<string, unknown> = {}): Rendered {
  const settings = stackSettings(stack, overrides);
  const artifacts = renderHostArtifacts(settings, accessFor(settings));
  return { settings, artifacts, cloudInit: renderCloudInit(settings, artifacts, "arm64") };
}

const cases: [string, Rendered][] = [
  ["dev", renderStack("dev")],
  ["prod", renderStack("prod")],
  [
    "dev-mirror-userdata",
    renderStack("dev", {
      syncMode: "mirror",
      credentialMode: "sas",
      credentialDelivery: "userData",
      sourcePrefix: "exports/",
    }),
  ],
  ["dev-sas-ssm", renderStack("dev", { credentialMode: "sas" })],
];

/** The check units' files, by name (a timer only where the check is scheduled). */
function checkUnitFiles(a: HostArtifacts): Record<string, string> {
  const files: Record<string, string> = {};
  for (const kind of Object.keys(CHECKS) as CheckKind[]) {
    files[`${CHECKS[kind].unit}.service`] = a.checks[kind].service;
    const timer = a.checks[kind].timer;
    if (timer !== undefined) files[`${CHECKS[kind].unit}.timer`] = timer;
  }
  return files;
}

function withTemp<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), "ccb-render-"));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("userdata renderers", () => {
  describe("golden files", () => {
    for (const [name, r] of cases) {
      it(`${name}: renders exactly the reviewed artifacts`, () => {
        const files: Record<string, string> = {
          "cloud-init.yaml": r.cloudInit,
          "rclone.conf": r.artifacts.rcloneConfig,
          "settings.json": r.artifacts.engineSettings,
          [SERVICE_NAME]: r.artifacts.service,
          [TIMER_NAME]: r.artifacts.timer,
          ...checkUnitFiles(r.artifacts),
        };
        const dir = path.join(GOLDEN, name);
        for (const [file, content] of Object.entries(files)) {
          const p = path.join(dir, file);
          if (process.env.UPDATE_GOLDEN === "1") {
            mkdirSync(dir, { recursive: true });
            writeFileSync(p, content);
          }
          expect(existsSync(p), `${p} missing: run UPDATE_GOLDEN=1 npm run test:unit`).to.equal(
            true,
          );
          expect(content, `${name}/${file} differs from its golden file`).to.equal(
            readFileSync(p, "utf8"),
          );
        }
      });
    }
  });

  describe("cloud-init document", () => {
    for (const [name, r] of cases) {
      it(`${name}: passes cloud-init schema validation`, () => {
        withTemp((dir) => {
          const f = path.join(dir, "user-data");
          writeFileSync(f, r.cloudInit);
          const res = run("cloud-init", ["schema", "--config-file", f]);
          expect(res.out).to.match(/Valid cloud-config/);
          expect(res.code).to.equal(0);
        });
      });
    }

    it("carries any prefix preview accepts to the engine exactly: cloud-init's YAML reads settings.json back unchanged", () => {
      // C1 controls, NEL and the Unicode line and paragraph separators break or fold YAML;
      // astral characters need surrogate pairs in JSON's escapes.
      const prefixes = [
        "a\u0090b/",
        "a\u0085b/",
        "a\u2028b/",
        "a\u2029b/",
        "caf\u00e9/\u{1F600}/",
        "exports/",
      ];
      for (const prefix of prefixes) {
        const r = renderStack("dev", { sourcePrefix: prefix });
        expect(r.artifacts.engineSettings, prefix).to.match(/^[\x00-\x7f]*$/);
        withTemp((dir) => {
          const f = path.join(dir, "user-data");
          writeFileSync(f, r.cloudInit);
          const res = run("cloud-init", ["schema", "--config-file", f]);
          expect(res.out, JSON.stringify(prefix)).to.match(/Valid cloud-config/);
          // What cloud-init writes (PyYAML, as cloud-init parses it), as the engine reads it.
          const read = run("/usr/bin/python3", [
            "-c",
            "import json, sys, yaml\ndoc = yaml.safe_load(open(sys.argv[1], encoding='utf-8'))\n" +
              "f = [w for w in doc['write_files'] if w['path'].endswith('/settings.json')][0]\n" +
              "print(json.dumps(json.loads(f['content'])['sourcePrefix']))",
            f,
          ]);
          expect(read.code, read.out).to.equal(0);
          expect(JSON.parse(read.out), JSON.stringify(prefix)).to.equal(prefix);
        });
      }
    });

    it("fits EC2's 16 KB user-data limit once gzipped, and decodes back to the same document", () => {
      for (const [name, r] of cases) {
        const encoded = encodeUserData(r.cloudInit);
        const raw = Buffer.from(encoded, "base64");
        expect(raw.subarray(0, 2).toString("hex"), "gzip magic").to.equal("1f8b");
        // The engine travels through SSM parameters (engineDelivery.ts): user-data holds the
        // loader, the units and the package list, far below the limit whatever the engine's size.
        expect(raw.length, name).to.be.below(USER_DATA_LIMIT_BYTES / 2);
        expect(decodeUserData(encoded)).to.equal(r.cloudInit);
        expect(encodeUserData(r.cloudInit), "deterministic").to.equal(encoded);
        // the same bytes on every platform: no timestamp, OS byte fixed to Unix
        expect(raw.readUInt32LE(4), "mtime").to.equal(0);
        expect(raw[9], "OS byte").to.equal(3);
      }
      expect(() => encodeUserData(randomBytes(20_000).toString("base64"))).to.throw(
        /over EC2's 16384-byte limit/,
      );
    });

    it("writes the config 0600, the script executable, installs rclone, enables the timer and starts a first run", () => {
      const doc = parse(cases[0][1].cloudInit.replace(/^#cloud-config\n/, "")) as {
        packages: string[];
        write_files: { path: string; permissions: string; owner: string; content: string }[];
        runcmd: string[][];
      };
      const byPath = new Map(doc.write_files.map((f) => [f.path, f]));
      expect(byPath.get(RCLONE_CONFIG_PATH)?.permissions).to.equal("0600");
      expect(byPath.get(RCLONE_CONFIG_PATH)?.owner).to.equal("root:root");
      expect(byPath.get(SCRIPT_PATH)?.permissions).to.equal("0755");
      expect(byPath.get(`/etc/systemd/system/${SERVICE_NAME}`)?.content).to.equal(
        cases[0][1].artifacts.service,
      );
      // by name: the apt pin (hostPackages.ts) holds it to the tested upstream version
      expect(doc.packages).to.include("rclone");
      expect(hostPackages()).to.have.property("rclone");
      // awscli only where the engine reads the SAS from SSM.
      expect(cases[3][1].cloudInit).to.match(/^ {2}- awscli$/m);
      expect(cases[0][1].cloudInit).to.not.match(/^ {2}- awscli$/m);
      const cmds = doc.runcmd.map((c) => c.join(" "));
      expect(cmds).to.include(`systemctl enable --now ${TIMER_NAME}`);
      expect(cmds).to.include(`systemctl start --no-block ${SERVICE_NAME}`);
      expect(cmds.findIndex((c) => c.includes("enable --now"))).to.be.below(
        cmds.findIndex((c) => c.includes("start --no-block")),
      );
    });

    it("points apt only at Debian's mirror over HTTPS, and no apt source is left on plain HTTP", () => {
      for (const [name, r] of cases) {
        const doc = parse(r.cloudInit.replace(/^#cloud-config\n/, "")) as {
          apt: Record<string, unknown>;
          write_files: { path: string; content: string }[];
        };
        // cloud-init writes no sources.list of its own; ours replaces the image's debian.sources
        // (apt.conf only switches unattended-upgrades on: no source, proxy or key)
        expect(doc.apt, name).to.deep.equal({
          preserve_sources_list: true,
          conf: AUTO_UPGRADES,
        });
        const sources = doc.write_files.find((f) => f.path === APT_SOURCES_PATH)?.content;
        expect(sources, name).to.equal(aptSources());
        // plain HTTP remains only for instance metadata (link-local, never leaves the host)
        for (const url of r.cloudInit.match(/http:\/\/[^\s"')]+/g) ?? [])
          expect(url, name).to.match(/^http:\/\/169\.254\.169\.254\//);
      }
      // Debian's own apt parses the file (no network): every index it would fetch is HTTPS, for
      // the release, its point updates, backports and the security archive.
      withTemp((dir) => {
        mkdirSync(path.join(dir, "parts"));
        mkdirSync(path.join(dir, "lists", "partial"), { recursive: true });
        writeFileSync(path.join(dir, "parts", "debian.sources"), aptSources());
        const res = run("apt-get", [
          ...["-o", "Dir::Etc::SourceList=/dev/null", "-o", `Dir::Etc::SourceParts=${dir}/parts`],
          ...["-o", `Dir::State::Lists=${dir}/lists`, "-o", `Dir::Cache=${dir}/cache`],
          "--print-uris",
          "update",
        ]);
        expect(res.code, res.out).to.equal(0);
        const uris = [...res.out.matchAll(/^'([^']+)'/gm)].map((m) => m[1]);
        expect(uris).to.have.length.above(4);
        for (const u of uris) expect(u).to.match(/^https:\/\/cdn-aws\.deb\.debian\.org\//);
        expect(uris.filter((u) => u.endsWith("/InRelease"))).to.deep.equal(
          ["bookworm", "bookworm-updates", "bookworm-backports"]
            .map((s) => `https://cdn-aws.deb.debian.org/debian/dists/${s}/InRelease`)
            .concat(
              "https://cdn-aws.deb.debian.org/debian-security/dists/bookworm-security/InRelease",
            ),
        );
      });
    });

    it("keeps the SAS out of user-data with SSM delivery and puts it only in the rclone config with userData delivery", () => {
      for (const [name, r] of [cases[0], cases[1], cases[3]]) {
        expect(r.cloudInit, name).not.to.include("sig=");
        expect(r.artifacts.rcloneConfig, name).not.to.include("sas_url");
        expect(r.artifacts.engineSettings, name).not.to.include("sig=");
      }
      expect(engineModule("ccb.credentials")).to.include('"aws", "ssm", "get-parameter"');
      expect(JSON.parse(cases[0][1].artifacts.engineSettings).credential).to.equal("federated");
      expect(JSON.parse(cases[3][1].artifacts.engineSettings).credential).to.equal("ssm");
      const u = cases[2][1];
      expect(u.artifacts.rcloneConfig).to.include(`sas_url = ${FAKE_SAS}`);
      expect(u.artifacts.engineSettings).not.to.include("sig=");
      expect(u.artifacts.engine.bundle).not.to.include("sig=");
      expect(u.cloudInit).not.to.match(/- awscli/);
    });
  });

  describe("rclone config", () => {
    it("reads S3 with the instance role and never checks or creates the bucket", () => {
      const c = cases[0][1].artifacts.rcloneConfig;
      expect(c).to.match(
        /^\[source\]\ntype = s3\nprovider = AWS\nenv_auth = true\nregion = eu-west-1\n/,
      );
      expect(c).to.include("no_check_bucket = true");
      expect(c).not.to.match(/access_key_id|secret_access_key/);
      expect(c).not.to.include("server_side_encryption");
    });
    it("sets SSE-KMS with the configured key for a KMS bucket (prod)", () => {
      const c = cases[1][1].artifacts.rcloneConfig;
      expect(c).to.include("server_side_encryption = aws:kms");
      expect(c).to.include(`sse_kms_key_id = ${cases[1][1].settings.sourceKmsKeyArn}`);
    });
    it("refuses vault access of another kind than the settings' credential", () => {
      expect(() => renderHostArtifacts(cases[2][1].settings, { kind: "ssm" })).to.throw(
        /vault access "ssm" does not match credential "userData"/,
      );
      expect(() => renderHostArtifacts(cases[0][1].settings, { kind: "ssm" })).to.throw(
        /does not match credential "federated"/,
      );
    });
    it("federated mode: no SAS anywhere, the identity file loaded as a systemd credential", () => {
      const fed = cases[0][1];
      expect(fed.settings.credential).to.equal("federated");
      expect(fed.artifacts.rcloneConfig).to.not.include("sas_url");
      const f = JSON.parse(fed.artifacts.federationConfig!) as Record<string, unknown>;
      expect(f).to.include({
        tenantId: "00000000-0000-0000-0000-00000000aaaa",
        clientId: "00000000-0000-0000-0000-00000000bbbb",
        audience: "api://AzureADTokenExchange",
        scope: "https://storage.azure.com/.default",
        authority: "https://login.microsoftonline.com",
        signingAlgorithm: "RS256",
      });
      expect(fed.artifacts.service).to.include(
        "LoadCredential=federation.json:/etc/cross-cloud-backup/federation.json",
      );
      expect(fed.cloudInit).to.include("/etc/cross-cloud-backup/federation.json");
      // SAS modes neither write nor load it (a missing credential file would fail the unit).
      expect(cases[2][1].artifacts.federationConfig).to.equal(undefined);
      expect(cases[2][1].artifacts.service).to.not.include("federation.json");
      // awscli is only there to read the SSM parameter.
      expect(fed.cloudInit).to.not.match(/^- awscli$/m);
    });
  });

  describe("sync engine", () => {
    for (const [name, r] of cases) {
      it(`${name}: the loader compiles with the host's python3 and passes pyflakes with no findings`, () => {
        withTemp((dir) => {
          const file = path.join(dir, "loader.py");
          writeFileSync(file, r.artifacts.loader);
          const compiled = run("/usr/bin/python3", ["-m", "py_compile", file]);
          expect(compiled.out).to.equal("");
          expect(compiled.code).to.equal(0);
          const flakes = run("/usr/bin/python3", ["-m", "pyflakes", file]);
          expect(flakes.out).to.equal("");
          expect(flakes.code).to.equal(0);
        });
      });
    }
    it("the engine's modules, as the bundle carries them, compile and pass pyflakes with no findings", () => {
      withTemp((dir) => {
        const pkg = path.join(unpackEngine(dir), "ccb");
        const compiled = run("/usr/bin/python3", ["-m", "compileall", "-q", pkg]);
        expect(compiled.out).to.equal("");
        expect(compiled.code).to.equal(0);
        const flakes = run("/usr/bin/python3", ["-m", "pyflakes", pkg]);
        expect(flakes.out).to.equal("");
        expect(flakes.code).to.equal(0);
      });
    });
    it("delivers one bundle, identical for every stack, holding exactly the package's sources", () => {
      const bundles = new Set(cases.map(([, r]) => r.artifacts.engine.bundle));
      expect(bundles.size).to.equal(1);
      const doc = JSON.parse([...bundles][0]) as {
        entry: string;
        packages: string[];
        modules: Record<string, string>;
      };
      expect(doc.entry).to.equal("ccb.cli");
      expect(doc.packages).to.deep.equal(["ccb"]);
      const onDisk = readdirSync(ENGINE_PACKAGE_DIR).filter((f) => f.endsWith(".py"));
      expect(Object.keys(doc.modules)).to.have.length(onDisk.length);
      for (const f of onDisk) {
        const mod = f === "__init__.py" ? "ccb" : `ccb.${f.slice(0, -3)}`;
        expect(doc.modules[mod], mod).to.equal(
          readFileSync(path.join(ENGINE_PACKAGE_DIR, f), "utf8"),
        );
      }
    });
    it("renders the mode, source, container and deletion limits into the engine's settings", () => {
      const settings = (i: number) =>
        JSON.parse(cases[i][1].artifacts.engineSettings) as Record<string, unknown>;
      expect(settings(0).syncMode).to.equal("copy");
      expect(settings(2).syncMode).to.equal("mirror");
      expect(settings(2).sourcePrefix).to.equal("exports/");
      expect(settings(0).maxDeletes).to.equal(100);
      expect(settings(0).maxDeletePercent).to.equal(50);
      expect(settings(0).containerName).to.equal("backup");
    });
    it("runs with the host's own python3, isolated from the environment's Python paths", () => {
      expect(cases[0][1].artifacts.loader.split("\n")[0]).to.equal("#!/usr/bin/python3 -I");
    });
    it("copies with the flags that keep rclone 1.60.1 safe: one block upload at a time, no retries of a whole batch", () => {
      const s = engineModule("ccb.rclone");
      for (const flag of [
        '"--no-traverse", "--no-check-dest", "--use-server-modtime", "--no-unicode-normalization"',
        '"--azureblob-upload-concurrency", "1"',
        '"--retries", "1"',
      ])
        expect(s).to.include(flag);
      expect(s).not.to.match(/-vv|"DEBUG"|--dump/);
    });
  });

  describe("schedule units", () => {
    for (const [name, r] of cases.slice(0, 2)) {
      it(`${name}: service and timer pass systemd-analyze verify without warnings`, () => {
        withTemp((root) => {
          mkdirSync(path.join(root, "etc/systemd/system"), { recursive: true });
          mkdirSync(path.join(root, "usr/lib/systemd"), { recursive: true });
          cpSync("/lib/systemd/system", path.join(root, "usr/lib/systemd/system"), {
            recursive: true,
          });
          writeFileSync(path.join(root, "etc/systemd/system", SERVICE_NAME), r.artifacts.service);
          writeFileSync(path.join(root, "etc/systemd/system", TIMER_NAME), r.artifacts.timer);
          const checks = checkUnitFiles(r.artifacts);
          for (const [name, content] of Object.entries(checks))
            writeFileSync(path.join(root, "etc/systemd/system", name), content);
          mkdirSync(path.join(root, path.dirname(SCRIPT_PATH)), { recursive: true });
          writeFileSync(path.join(root, SCRIPT_PATH), r.artifacts.loader);
          chmodSync(path.join(root, SCRIPT_PATH), 0o755);
          const res = run("systemd-analyze", [
            "verify",
            `--root=${root}`,
            SERVICE_NAME,
            TIMER_NAME,
            ...Object.keys(checks),
          ]);
          expect(res.out).to.equal("");
          expect(res.code).to.equal(0);
        });
      });
    }

    it("never lets runs overlap and catches up a run missed while the host was down", () => {
      const { service, timer } = cases[0][1].artifacts;
      expect(service).to.match(/^Type=oneshot$/m);
      expect(timer).to.match(/^Persistent=true$/m);
      expect(timer).to.match(/^OnCalendar=\*-\*-\* 00\/4:00:00 UTC$/m);
    });

    for (const hours of [1, 2, 3, 4, 6, 8, 12, 24]) {
      it(`every ${hours}h: systemd-analyze calendar elapses exactly ${hours}h apart`, () => {
        const res = run("systemd-analyze", ["calendar", "--iterations=5", onCalendar(hours)]);
        expect(res.code).to.equal(0);
        const times = [
          ...res.out.matchAll(/(?:Next elapse|Iter\. #\d+): \w{3} (\S+ \S+) UTC/g),
        ].map((m) => Date.parse(`${m[1].replace(" ", "T")}Z`));
        expect(times).to.have.length(5);
        for (let i = 1; i < times.length; i++)
          expect(times[i] - times[i - 1]).to.equal(hours * 3600_000);
        expect(new Date(times[0]).getUTCHours() % hours).to.equal(0);
      });
    }

    it("runs the integrity check and the restore drill on their own schedules, with the backup's sandbox", () => {
      const { service, checks } = cases[0][1].artifacts;
      // the same hardening and limits as the backup: only the description and arguments differ,
      // and only the backup records a kill afterwards (ExecStopPost; a killed check is caught by
      // its overdue alarm)
      expect(service).to.match(
        new RegExp(`^ExecStopPost=${SCRIPT_PATH} --record-ending\nTimeoutStopSec=10min$`, "m"),
      );
      const strip = (u: string) =>
        u
          .replace(/^(ExecStopPost|TimeoutStopSec)=.*\n/gm, "")
          .replace(/^(Description|ExecStart)=.*$/gm, "")
          .replace(/^#.*$/gm, "");
      const doc = parse(cases[0][1].cloudInit.replace(/^#cloud-config\n/, "")) as {
        runcmd: string[][];
      };
      const cmds = doc.runcmd.map((c) => c.join(" "));
      for (const [kind, calendar] of [
        ["integrity", "Sun *-*-* 03:30:00 UTC"],
        ["drill", "*-*-01 04:30:00 UTC"],
      ] as [CheckKind, string][]) {
        const { service: unit, timer } = checks[kind];
        expect(unit).to.match(new RegExp(`^ExecStart=${SCRIPT_PATH} ${CHECKS[kind].flag}$`, "m"));
        expect(strip(unit)).to.equal(strip(service));
        expect(unit).to.not.match(/ExecStopPost/);
        // the same dynamic user (and so the same UID) as the backup: they share a state directory
        expect(unit).to.match(/^User=cross-cloud-backup$/m);
        expect(unit).to.match(/^DynamicUser=yes$/m);
        expect(timer).to.include(`\nOnCalendar=${calendar}\n`);
        expect(timer).to.match(/^Persistent=true$/m);
        expect(timer).to.include(`\nUnit=${CHECKS[kind].unit}.service\n`);
        expect(cmds).to.include(`systemctl enable --now ${CHECKS[kind].unit}.timer`);
        for (const when of ["daily", "weekly", "monthly"] as const) {
          const res = run("systemd-analyze", ["calendar", checkCalendar(kind, when)]);
          expect(res.code, `${kind} ${when}: ${res.out}`).to.equal(0);
        }
      }
      const off = renderUnits(4, true, { integrity: "off", drill: "off" });
      expect(off.checks.integrity.timer).to.equal(undefined);
      expect(off.checks.drill.timer).to.equal(undefined);
      expect(off.checks.integrity.service).to.include("--verify");
    });

    it("rejects an interval that does not divide 24", () => {
      expect(() => onCalendar(5)).to.throw(/must divide 24/);
      expect(() => onCalendar(0)).to.throw(/must divide 24/);
    });
  });
});
