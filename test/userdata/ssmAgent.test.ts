// The SSM agent is installed only if its package's signature verifies against AWS's signing key:
// the rendered cloud-init's own command runs here with stand-ins for curl and dpkg and the real
// gpgv, on packages signed by a throwaway key. What only AWS can show: that its current packages
// are signed with the shipped key.
import { expect } from "chai";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { renderCloudInit, renderHostArtifacts } from "../../userdata";
import {
  SSM_AGENT_KEYRING,
  SSM_AGENT_SIGNER_FINGERPRINT,
  ssmAgentKeyringBase64,
} from "../../userdata/ssmAgent";
import { stackSettings } from "../../harness/stack";

interface CloudConfig {
  write_files: { path: string; encoding?: string; content: string }[];
  runcmd: string[][];
}

const AGENT_DIR = "/run/cross-cloud-backup-ssm-agent";

function rendered(): CloudConfig {
  const s = {
    ...stackSettings("dev", { credentialMode: "sas" }),
    vaultContainerUrl: "https://v.example/backup",
  };
  return parse(
    renderCloudInit(s, renderHostArtifacts(s, { kind: "ssm" }), "arm64").replace(
      /^#cloud-config\n/,
      "",
    ),
  ) as CloudConfig;
}

/** The runcmd entry that installs the agent. */
function installCommand(doc: CloudConfig): string {
  const found = doc.runcmd.filter((c) => c.join(" ").includes("amazon-ssm-agent.deb"));
  expect(found).to.have.length(1);
  expect(found[0].slice(0, 2)).to.deep.equal(["sh", "-c"]);
  return found[0][2];
}

describe("SSM agent: installed only when AWS's signature verifies (real gpgv)", function () {
  let work: string;
  let gnupg: string;
  let testKeyring: string;
  let doc: CloudConfig;

  before(function () {
    this.timeout(60_000);
    doc = rendered();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "ccb-ssm-agent-"));
    gnupg = path.join(work, "gnupg");
    fs.mkdirSync(gnupg, { mode: 0o700 });
    const gpg = (...args: string[]) =>
      execFileSync("gpg", ["--batch", "--homedir", gnupg, ...args], { stdio: "pipe" });
    gpg(
      "--passphrase",
      "",
      "--quick-gen-key",
      "Throwaway <throwaway@example.invalid>",
      "rsa2048",
      "sign",
      "1d",
    );
    testKeyring = path.join(work, "throwaway.gpg");
    fs.writeFileSync(testKeyring, gpg("--export"));
    fs.writeFileSync(path.join(work, "agent.deb"), "not really a package\n");
    gpg("--detach-sign", "-o", path.join(work, "agent.deb.sig"), path.join(work, "agent.deb"));
  });

  after(function () {
    if (!work) return;
    // gpg started an agent for the throwaway home: stop it before removing its folder.
    spawnSync("gpgconf", ["--homedir", gnupg, "--kill", "gpg-agent"]);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("ships AWS's SSM agent signing key, by its published fingerprint, where the command reads it", function () {
    const file = doc.write_files.find((f) => f.path === SSM_AGENT_KEYRING)!;
    expect(file.encoding).to.equal("b64");
    expect(file.content).to.equal(ssmAgentKeyringBase64());
    const keyring = path.join(work, "shipped.gpg");
    fs.writeFileSync(keyring, Buffer.from(file.content, "base64"));
    const colons = execFileSync(
      "gpg",
      ["--batch", "--homedir", gnupg, "--with-colons", "--show-keys", keyring],
      {
        encoding: "utf8",
      },
    );
    const fingerprints = colons
      .split("\n")
      .filter((l) => l.startsWith("fpr:"))
      .map((l) => l.split(":")[9]);
    expect(fingerprints).to.deep.equal([SSM_AGENT_SIGNER_FINGERPRINT]);
    expect(colons).to.include("ssm-agent-signer@amazon.com");
    expect(installCommand(doc)).to.include(`gpgv --keyring ${SSM_AGENT_KEYRING} `);
  });

  /** Runs the rendered command with curl and dpkg stand-ins; what dpkg was asked to do, and stderr. */
  function install(
    keyring: string,
    opts: { tamper?: boolean; noSignature?: boolean } = {},
  ): { dpkg: string[]; stderr: string; status: number | null } {
    const run = fs.mkdtempSync(path.join(work, "run-"));
    const bin = path.join(run, "bin");
    fs.mkdirSync(bin);
    const served = path.join(run, "served");
    fs.mkdirSync(served);
    fs.copyFileSync(path.join(work, "agent.deb"), path.join(served, "agent.deb"));
    if (opts.tamper) fs.appendFileSync(path.join(served, "agent.deb"), "and a little more\n");
    if (!opts.noSignature)
      fs.copyFileSync(path.join(work, "agent.deb.sig"), path.join(served, "agent.deb.sig"));
    // curl -fsSL --retry 5 --proto =https -o <file> <url>: serve the package or its signature.
    fs.writeFileSync(
      path.join(bin, "curl"),
      `#!/bin/sh\nout=""; url=""\nwhile [ $# -gt 0 ]; do case "$1" in -o) out="$2"; shift 2;; *) url="$1"; shift;; esac; done\n` +
        `case "$url" in *.deb.sig) src=${served}/agent.deb.sig;; *.deb) src=${served}/agent.deb;; *) exit 22;; esac\n` +
        `[ -f "$src" ] || exit 22\ncp "$src" "$out"\n`,
      { mode: 0o755 },
    );
    fs.writeFileSync(path.join(bin, "dpkg"), `#!/bin/sh\necho "$@" >> ${run}/dpkg.calls\n`, {
      mode: 0o755,
    });
    const cmd = installCommand(doc)
      .split(AGENT_DIR)
      .join(path.join(run, "agent"))
      .split(SSM_AGENT_KEYRING)
      .join(keyring);
    const p = spawnSync("sh", ["-c", cmd], {
      env: { PATH: `${bin}:/usr/bin:/bin`, HOME: run },
      encoding: "utf8",
    });
    const calls = path.join(run, "dpkg.calls");
    return {
      dpkg: fs.existsSync(calls) ? fs.readFileSync(calls, "utf8").trim().split("\n") : [],
      stderr: p.stderr,
      status: p.status,
    };
  }

  it("installs a package signed with the key in the keyring", function () {
    const r = install(testKeyring);
    expect(r.dpkg).to.have.length(1);
    expect(r.dpkg[0]).to.match(/^-i .*\/agent\.deb$/);
  });

  it("installs nothing when another key signed it (here: the shipped AWS key does not know the throwaway one)", function () {
    const keyring = path.join(work, "aws.gpg");
    fs.writeFileSync(keyring, Buffer.from(ssmAgentKeyringBase64(), "base64"));
    const r = install(keyring);
    expect(r.dpkg).to.deep.equal([]);
    expect(r.stderr).to.include(
      `the SSM agent package does not verify against AWS's signing key ${SSM_AGENT_SIGNER_FINGERPRINT}: not installed`,
    );
  });

  it("installs nothing when the package changed after signing, or its signature is missing", function () {
    const tampered = install(testKeyring, { tamper: true });
    expect(tampered.dpkg).to.deep.equal([]);
    expect(tampered.stderr).to.include("does not verify");
    const unsigned = install(testKeyring, { noSignature: true });
    expect(unsigned.dpkg).to.deep.equal([]);
    expect(unsigned.stderr).to.include("could not download the SSM agent or its signature");
  });
});
