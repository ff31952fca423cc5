// The host and the tests run the same engine packages: one pinned list, used by the host's
// cloud-init (with an apt pin that holds it) and by scripts/setup.sh, and installed here.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { stackSettings } from "../../harness/stack";
import { renderCloudInit, renderHostArtifacts } from "../../userdata";
import { aptPreferences, hostPackages } from "../../userdata/hostPackages";

describe("pinned host packages", () => {
  const pins = hostPackages();

  it("pins rclone 1.60.1 (the only Azure-capable Debian build) and botocore", () => {
    expect(pins.rclone).to.match(/^1\.60\.1\+/);
    expect(pins).to.have.property("python3-botocore");
  });

  it("the host's cloud-init installs exactly these versions and holds them with an apt pin", () => {
    const s = stackSettings("dev", { credentialMode: "sas" });
    const doc = parse(renderCloudInit(s, renderHostArtifacts(s, { kind: "ssm" }), "arm64")) as {
      packages: (string | string[])[];
      write_files: { path: string; content: string }[];
    };
    for (const [name, version] of Object.entries(pins)) {
      expect(doc.packages).to.deep.include([name, version]);
      expect(doc.packages).not.to.include(name);
    }
    const pref = doc.write_files.find(
      (f) => f.path === "/etc/apt/preferences.d/cross-cloud-backup",
    );
    expect(pref?.content).to.equal(aptPreferences(pins));
    expect(pref?.content).to.include(
      `Package: rclone\nPin: version ${pins.rclone}\nPin-Priority: 1001`,
    );
    // written before packages are installed: cloud-init runs write_files in its init stage
    expect(doc.write_files[0].path).to.equal("/etc/apt/preferences.d/cross-cloud-backup");
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
