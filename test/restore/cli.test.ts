// The restore command's contract: flags parsed strictly, usage errors that say what to type
// (exit 2), and no credential in anything it prints.
import { expect } from "chai";
import { parseRestoreFlags } from "../../cli/restore";
import { spawnRestore } from "../../harness/rehearsal";
import { redact, vaultSourceFrom } from "../../restore/vault";

describe("restore command: usage", function () {
  this.timeout(120_000);
  const env = { ...process.env, AWS_REGION: "us-east-1" };

  it("--help documents every part of the contract", async () => {
    const r = await spawnRestore(["--help"], env);
    expect(r.code).to.equal(0);
    for (const flag of [
      "--from",
      "--container",
      "--account",
      "--stack",
      "--to s3://<bucket>/[prefix]",
      "--prefix",
      "--at",
      "--dry-run",
      "--list-points",
      "--in-place",
      "--yes-overwrite-source",
      "--source-bucket",
      "--overwrite",
      "--strict",
      "--accept-mismatch",
    ])
      expect(r.stdout, flag).to.include(flag);
    // What a restore verifies, the verdicts and the exit codes.
    expect(r.stdout).to.match(/size and\s+MD5 checked against the content record/);
    for (const verdict of ["verified", "unverified", "mismatch"])
      expect(r.stdout, verdict).to.include(verdict);
    expect(r.stdout).to.match(/exit codes: 0 restored \(unverified objects named\)/);
    expect(r.stdout).to.match(/4 an object refused by its verdict/);
  });

  it("--strict and --accept-mismatch parse into the restore's options; off by default", () => {
    const base = ["--account", "vault1", "--to", "s3://recovery/", "--source-bucket", "src"];
    const none = parseRestoreFlags(base).values;
    expect(none.strict).to.equal(undefined);
    expect(none["accept-mismatch"]).to.equal(undefined);
    expect(parseRestoreFlags([...base, "--strict"]).values.strict).to.equal(true);
    expect(parseRestoreFlags([...base, "--accept-mismatch"]).values["accept-mismatch"]).to.equal(
      true,
    );
    expect(() => parseRestoreFlags([...base, "--strict=yes"])).to.throw(/--strict/);
    expect(() => parseRestoreFlags([...base, "--strict", "--accept-mismatch"])).to.throw(
      /contradict each other/,
    );
  });

  it("rejects unknown flags and incomplete commands with exit 2 and what to type", async () => {
    const cases: [string[], RegExp][] = [
      [["--bogus"], /Unknown option '--bogus'/],
      [["--to", "s3://b/"], /exactly one of --stack, --account or --from/],
      [
        ["--account", "vault1"],
        /--to <s3:\/\/bucket\/prefix \| directory>, --in-place, or --list-points/,
      ],
      [["--account", "Bad_Name", "--to", "d"], /not a storage account name/],
      [["--account", "vault1", "--to", "d", "--at", "yesterday"], /--at must be an ISO time/],
      [["--account", "vault1", "--to", "d", "--yes-overwrite-source"], /only confirms --in-place/],
      [
        ["--account", "vault1", "--to", "d", "--strict", "--accept-mismatch"],
        /--strict .* and --accept-mismatch .* contradict each other/,
      ],
      [
        ["--account", "vault1", "--to", "gs://b/x"],
        /--to must be s3:\/\/<bucket>\/\[prefix\] or a local directory/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await spawnRestore(args, env);
      expect(r.code, args.join(" ")).to.equal(2);
      expect(r.stderr, args.join(" ")).to.match(message);
    }
  });

  it("an S3 restore with --from or --account needs --source-bucket or --stack: the host-written status/ never names the source bucket alone (exit 2, before any request)", async () => {
    const sas = "https://acct.blob.core.windows.net/backup?sv=2024&sig=FAKEsig0000&se=2030";
    for (const vault of [
      ["--account", "vault1"],
      ["--from", sas],
    ]) {
      for (const to of [["--to", "s3://recovery/"], ["--in-place"]]) {
        const args = [...vault, ...to];
        expect(() => parseRestoreFlags(args), args.join(" ")).to.throw(
          /pass --source-bucket <name> .* or use --stack <name>; the vault's status\/last-run.json is written by the sync host/,
        );
        expect(() => parseRestoreFlags([...args, "--source-bucket", "src"])).not.to.throw();
      }
      // A directory target never writes to S3: the source bucket does not matter.
      expect(() => parseRestoreFlags([...vault, "--to", "restored"])).not.to.throw();
      expect(() => parseRestoreFlags([...vault, "--list-points"])).not.to.throw();
    }
    expect(() => parseRestoreFlags(["--stack", "prod", "--to", "s3://recovery/"])).not.to.throw();
    // The command: exit 2 with what to type (the vault's host does not exist: no request made).
    const r = await spawnRestore(
      ["--from", "https://nohost.invalid/c?sv=1&sig=FAKEsig0000", "--to", "s3://recovery/"],
      env,
    );
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/pass --source-bucket <name>/);
    expect(r.stderr).not.to.include("FAKEsig0000");
  });

  it("never prints a SAS signature or an account key", async () => {
    const sas = "https://acct.blob.core.windows.net/other?sv=2024&sig=FAKEsig0000&se=2030";
    const r = await spawnRestore(["--from", sas, "--container", "backup", "--to", "d"], env);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/names container "other" but --container says "backup"/);
    expect(r.stderr).not.to.include("FAKEsig0000");
    expect(redact(`GET ${sas} failed`)).to.equal(
      "GET https://acct.blob.core.windows.net/other?sv=REDACTED&sig=REDACTED&se=REDACTED failed",
    );
    expect(redact("AccountName=a;AccountKey=abc/def==;BlobEndpoint=x")).to.equal(
      "AccountName=a;AccountKey=REDACTED;BlobEndpoint=x",
    );
  });

  it("an account URL without SAS means the operator's Entra identity", () => {
    expect(
      vaultSourceFrom("https://vault1.blob.core.windows.net", undefined, undefined),
    ).to.deep.equal({
      kind: "entra",
      accountUrl: "https://vault1.blob.core.windows.net",
      container: "backup",
    });
    expect(vaultSourceFrom(undefined, "vault1", "c")).to.deep.equal({
      kind: "entra",
      accountUrl: "https://vault1.blob.core.windows.net",
      container: "c",
    });
    expect(() =>
      vaultSourceFrom("http://vault1.blob.core.windows.net", undefined, undefined),
    ).to.throw(/https/);
  });
});
