// The shell scripts users and CI run are shellcheck-clean.
import { expect } from "chai";
import { spawnSync } from "node:child_process";

describe("shell scripts", () => {
  for (const file of ["scripts/setup.sh", ".ci/run"]) {
    it(`${file} passes shellcheck with no findings`, () => {
      const r = spawnSync("shellcheck", ["-s", "bash", file], { encoding: "utf8" });
      expect(r.stdout + r.stderr).to.equal("");
      expect(r.status).to.equal(0);
    });
  }
});
