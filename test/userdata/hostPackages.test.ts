// The host and the tests run the same engine packages: one pinned list, used by the host's
// cloud-init (with an apt pin that holds it) and by scripts/setup.sh, and installed here.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { stackSettings } from "../../harness/stack";
import { renderCloudInit, renderHostArtifacts } from "../../userdata";
import { aptPreferences, hostPackages } from "../../userdata/hostPackages";

describe("pinned host packages", () => {
  const pins = hostPackages();

  it("pins rclone 1.60.1 (the only Azure-capable Debian build), botocore and zstd (sort's compressor)", () => {
    expect(pins.rclone).to.match(/^1\.60\.1\+/);
    expect(pins).to.have.property("python3-botocore");
    expect(pins.zstd).to.match(/^1\.5\./);
  });

  it("the host's cloud-init installs these packages by name, held to their versions by an apt pin written first", () => {
    const s = stackSettings("dev", { credentialMode: "sas" });
    const doc = parse(renderCloudInit(s, renderHostArtifacts(s, { kind: "ssm" }), "arm64")) as {
      packages: (string | string[])[];
      write_files: { path: string; content: string }[];
      apt: { conf?: string };
    };
    for (const name of Object.keys(pins)) expect(doc.packages).to.include(name);
    expect(doc.packages.filter((p) => Array.isArray(p))).to.deep.equal([]);
    const pref = doc.write_files.find(
      (f) => f.path === "/etc/apt/preferences.d/cross-cloud-backup",
    );
    expect(pref?.content).to.equal(aptPreferences(pins));
    expect(pref?.content).to.include(
      `Package: rclone\nPin: version 1.60.1+dfsg-2*\nPin-Priority: 1001`,
    );
    // written before packages are installed: cloud-init runs write_files in its init stage
    expect(doc.write_files[0].path).to.equal("/etc/apt/preferences.d/cross-cloud-backup");
    // and unattended-upgrades is switched on, so the rebuilds the pin lets through do install
    expect(doc.packages).to.include("unattended-upgrades");
    expect(doc.apt.conf).to.match(/^APT::Periodic::Unattended-Upgrade "1";$/m);
    expect(doc.apt.conf).to.match(/^APT::Periodic::Update-Package-Lists "1";$/m);
  });

  describe("the pin, as the real apt reads it (fake local archives, apt-cache policy)", () => {
    let dir: string;
    /** Candidate version of `name`, and each available version's priority. */
    function policy(
      name: string,
      archives: { label: string; versions: string[] }[],
      preferences: string,
    ): { candidate: string; priority: Record<string, number> } {
      dir = mkdtempSync(path.join(tmpdir(), "ccb-apt-pin-"));
      const sources: string[] = [];
      for (const [i, a] of archives.entries()) {
        const repo = path.join(dir, `repo${i}`);
        mkdirSync(repo);
        writeFileSync(
          path.join(repo, "Packages"),
          a.versions
            .map(
              (v) =>
                `Package: ${name}\nVersion: ${v}\nArchitecture: all\nMaintainer: t <t@example.org>\nFilename: ${name}_${v}_all.deb\nSize: 1\nDescription: t\n`,
            )
            .join("\n"),
        );
        writeFileSync(
          path.join(repo, "Release"),
          `Origin: Debian\nLabel: ${a.label}\nSuite: stable\nCodename: bookworm\nDate: ${new Date().toUTCString()}\n`,
        );
        sources.push(`deb [trusted=yes] file:${repo} ./`);
      }
      for (const d of ["lists/partial", "cache/archives/partial", "preferences.d"])
        mkdirSync(path.join(dir, d), { recursive: true });
      writeFileSync(path.join(dir, "sources.list"), sources.join("\n") + "\n");
      writeFileSync(path.join(dir, "preferences.d", "cross-cloud-backup"), preferences);
      writeFileSync(path.join(dir, "status"), "");
      const opts = [
        `Dir::Etc::SourceList=${dir}/sources.list`,
        "Dir::Etc::SourceParts=/nonexistent",
        `Dir::State=${dir}`,
        `Dir::State::Lists=${dir}/lists`,
        `Dir::State::status=${dir}/status`,
        `Dir::Cache=${dir}/cache`,
        "Dir::Etc::Preferences=/nonexistent",
        `Dir::Etc::PreferencesParts=${dir}/preferences.d`,
        "Debug::NoLocking=true",
      ].flatMap((o) => ["-o", o]);
      const update = spawnSync("apt-get", [...opts, "-qq", "update"], { encoding: "utf8" });
      expect(update.status, update.stderr).to.equal(0);
      const r = spawnSync("apt-cache", [...opts, "policy", name], { encoding: "utf8" });
      expect(r.status, r.stderr).to.equal(0);
      const candidate = /Candidate: (\S+)/.exec(r.stdout)?.[1] ?? "";
      const priority: Record<string, number> = {};
      for (const m of r.stdout.matchAll(/^ {5}(?:\*\*\* )?(\S+) (-?\d+)$/gm))
        priority[m[1]] = Number(m[2]);
      return { candidate, priority };
    }
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("lets Debian's rebuilds and stable updates of rclone 1.60.1+dfsg-2 install, not 1.61.0", () => {
      const { candidate, priority } = policy(
        "rclone",
        [
          {
            label: "Debian",
            versions: ["1.60.1+dfsg-2+b5", "1.60.1+dfsg-2+b6", "1.60.1+dfsg-2+deb12u1", "1.61.0-1"],
          },
        ],
        aptPreferences(pins),
      );
      expect(priority["1.60.1+dfsg-2+b6"]).to.equal(1001);
      expect(priority["1.60.1+dfsg-2+deb12u1"]).to.equal(1001);
      expect(priority["1.61.0-1"]).to.equal(500);
      expect(candidate).to.equal("1.60.1+dfsg-2+deb12u1");
    });

    it("takes a binNMU over the tested build, and never a newer upstream from a plain Debian suite", () => {
      const { candidate } = policy(
        "rclone",
        [{ label: "Debian", versions: ["1.60.1+dfsg-2+b5", "1.60.1+dfsg-2+b6", "1.61.0-1"] }],
        aptPreferences(pins),
      );
      expect(candidate).to.equal("1.60.1+dfsg-2+b6");
    });

    it("takes whatever Debian-Security publishes for a pinned package", () => {
      const { candidate } = policy(
        "python3-botocore",
        [
          { label: "Debian", versions: [pins["python3-botocore"], "1.34.0+repack-1"] },
          { label: "Debian-Security", versions: ["1.29.28+repack-1~deb12u1"] },
        ],
        aptPreferences(pins),
      );
      expect(candidate).to.equal("1.29.28+repack-1~deb12u1");
    });
  });

  it("scripts/setup.sh installs from the same list", () => {
    const setup = readFileSync("scripts/setup.sh", "utf8");
    expect(setup).to.include("done <userdata/host-packages.txt");
    expect(setup).not.to.match(/\brclone=|botocore=/);
  });

  it("this machine runs exactly the pinned versions (what the tests run is what the host runs)", () => {
    for (const [name, version] of Object.entries(pins)) {
      const r = spawnSync("dpkg-query", ["-W", "-f=${Version}", name], { encoding: "utf8" });
      expect(r.stdout, `${name} installed here`).to.equal(version);
    }
    const v = spawnSync("rclone", ["version"], { encoding: "utf8" });
    expect(v.stdout).to.match(/^rclone v1\.60\.1/);
  });
});
