// One contract, generated: the engine's contract.py is what userdata/engineContract.ts renders
// from domain/ (a name changed on either side fails here), and the engine spells no shared name
// itself (a metric, status blob or SAS permission written as a literal in another module would
// bypass the contract).
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { SAS_PERMISSIONS } from "../../domain/credentials";
import { STATUS_BLOBS, STATUS_HISTORY } from "../../domain/layout";
import { METRICS } from "../../domain/telemetry";
import { ENGINE_PACKAGE_DIR } from "../../userdata/engineBundle";
import { ENGINE_CONTRACT_PATH, renderEngineContract } from "../../userdata/engineContract";

describe("the engine's contract (generated from domain/)", () => {
  it("contract.py is exactly what domain/ renders (run npm run gen:contract after changing domain/)", () => {
    const committed = readFileSync(ENGINE_CONTRACT_PATH, "utf8");
    expect(committed.split("\n")[0]).to.match(/GENERATED .* DO NOT EDIT/);
    expect(committed, "userdata/engine/ccb/contract.py is stale").to.equal(renderEngineContract());
  });

  it("carries every metric, status blob and SAS permission of domain/", () => {
    const text = renderEngineContract();
    for (const name of [
      ...Object.values(METRICS),
      ...Object.values(STATUS_BLOBS),
      STATUS_HISTORY.folder,
      ...Object.values(SAS_PERMISSIONS),
    ])
      expect(text).to.include(`"${name}"`);
  });

  it("no other engine module spells a shared name itself", () => {
    const shared = [
      ...Object.values(METRICS),
      ...Object.values(STATUS_BLOBS),
      STATUS_HISTORY.folder,
      ...Object.values(SAS_PERMISSIONS),
    ];
    const modules = readdirSync(ENGINE_PACKAGE_DIR).filter(
      (f) => f.endsWith(".py") && f !== "contract.py",
    );
    expect(modules.length).to.be.greaterThan(10);
    // Same spelling, another meaning: STS GetWebIdentityToken's request parameter.
    const unrelated = new Set(["federation.py: DurationSeconds"]);
    const offenders: string[] = [];
    for (const f of modules) {
      const source = readFileSync(path.join(ENGINE_PACKAGE_DIR, f), "utf8");
      for (const name of shared)
        if (
          (source.includes(`"${name}"`) || source.includes(`'${name}'`)) &&
          !unrelated.has(`${f}: ${name}`)
        )
          offenders.push(`${f}: ${name}`);
    }
    expect(offenders).to.deep.equal([]);
  });
});
