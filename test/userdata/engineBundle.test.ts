// The engine bundle: one reviewed manifest (every module's SHA-256 and size, and the bundle's),
// and room to grow in the SSM delivery and in user-data.
import { expect } from "chai";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { ROOT, stackSettings } from "../../harness/stack";
import {
  encodeUserData,
  engineBundle,
  engineDelivery,
  ENGINE_CHUNK_CHARS,
  MAX_ENGINE_CHUNKS,
  renderCloudInit,
  renderHostArtifacts,
  USER_DATA_LIMIT_BYTES,
  type VaultAccess,
} from "../../userdata";

/** Obviously fake identifiers, as long as real ones. */
const FEDERATED: VaultAccess = {
  kind: "federated",
  tenantId: "00000000-0000-0000-0000-00000000aaaa",
  clientId: "00000000-0000-0000-0000-00000000bbbb",
  blobEndpoint: "https://vaultfake0000.blob.core.windows.net/",
  sasIp: "203.0.113.10",
};
const MANIFEST = path.join(ROOT, "test", "golden", "engine", "manifest.json");

describe("the engine bundle", () => {
  it("matches its reviewed manifest (UPDATE_GOLDEN=1 rewrites it after a reviewed change)", () => {
    const bundle = engineBundle();
    const delivery = engineDelivery("dev");
    const manifest =
      JSON.stringify(
        {
          sha256: bundle.sha256,
          bytes: Buffer.byteLength(bundle.text),
          ssmParameters: delivery.parameters.length,
          modules: bundle.modules,
        },
        null,
        2,
      ) + "\n";
    if (process.env.UPDATE_GOLDEN === "1") {
      mkdirSync(path.dirname(MANIFEST), { recursive: true });
      writeFileSync(MANIFEST, manifest);
    }
    expect(
      existsSync(MANIFEST),
      `${MANIFEST} missing: run UPDATE_GOLDEN=1 npm run test:unit`,
    ).to.equal(true);
    expect(manifest, "the engine differs from its reviewed manifest").to.equal(
      readFileSync(MANIFEST, "utf8"),
    );
  });

  it("is the same for every stack; only the parameter names differ", () => {
    const dev = engineDelivery("dev");
    const prod = engineDelivery("prod");
    expect(dev.sha256).to.equal(prod.sha256);
    expect(dev.parameters.map((p) => p.value)).to.deep.equal(prod.parameters.map((p) => p.value));
    expect(prod.parameters[0].name).to.equal("/cross-cloud-backup/prod/engine/0");
  });

  it("fits the SSM delivery, and each stack's user-data (with its settings) fits EC2's limit, with 25% headroom", () => {
    const packed = engineDelivery("dev").parameters.reduce((n, p) => n + p.value.length, 0);
    const capacity = ENGINE_CHUNK_CHARS * MAX_ENGINE_CHUNKS;
    console.log(
      `      engine: ${packed} of ${capacity} characters in SSM (${Math.round((100 * packed) / capacity)}%)`,
    );
    expect(packed).to.be.at.most(capacity * 0.75);
    for (const stack of ["dev", "prod"]) {
      const s = stackSettings(stack);
      const userData = Buffer.from(
        encodeUserData(renderCloudInit(s, renderHostArtifacts(s, FEDERATED), "arm64")),
        "base64",
      ).length;
      console.log(
        `      ${stack} user-data: ${userData} of ${USER_DATA_LIMIT_BYTES} bytes gzipped`,
      );
      expect(userData, stack).to.be.at.most(USER_DATA_LIMIT_BYTES * 0.75);
    }
  });
});
