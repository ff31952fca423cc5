// S3ReadOnlyAccess under Pulumi mocks, through the real program and the real stack files: the
// role only EC2 can assume, its one inline read policy, and that nothing in S3 is ever created.
import { expect } from "chai";
import type { PolicyDocument, Statement } from "../../components/s3ReadOnlyPolicy";
import {
  ofType,
  one,
  plain,
  runProgram,
  stackConfig,
  type ProgramResult,
} from "../support/program";
import type { RecordedResource } from "../../harness/mocks";

const COMPONENT = "cross-cloud-backup:aws:S3ReadOnlyAccess";
const ROLE = "aws:iam/role:Role";
const IDENTITY = "cross-cloud-backup:aws:HostIdentity";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const PROFILE = "aws:iam/instanceProfile:InstanceProfile";
const BOUNDARY = "arn:aws:iam::123456789012:policy/boundaries/ccb-host";
const PREFIX = "exports/";

// At most five distinct program runs (each a child process); results are cached per process.
const dev = () => runProgram("dev");
const prod = () => runProgram("prod");
const prodPrefix = () => runProgram("prod", { sourcePrefix: PREFIX });
const devBoundary = () => runProgram("dev", { permissionsBoundaryArn: BOUNDARY });
const devBad = () => runProgram("dev", { sourceBucket: "Bad_Bucket" });

/** The component's role, inline policy and instance profile, found by the component's name. */
function parts(r: ProgramResult): {
  role: RecordedResource;
  rolePolicy: RecordedResource;
  profile: RecordedResource;
} {
  expect(r.error, r.error).to.equal(undefined);
  const name = one(r, COMPONENT).name;
  const named = (type: string, n: string) => {
    const found = ofType(r, type).filter((x) => x.name === n);
    expect(found, `${type} ${n}`).to.have.lengthOf(1);
    return found[0];
  };
  // The role and profile belong to HostIdentity; S3ReadOnlyAccess adds its read policy.
  expect(ofType(r, IDENTITY)).to.have.lengthOf(1);
  return {
    role: named(ROLE, "sync-identity-role"),
    rolePolicy: named(ROLE_POLICY, `${name}-read`),
    profile: named(PROFILE, "sync-identity-profile"),
  };
}

/** The name the role has once created (the mocks echo the resource name when none is given). */
function roleName(role: RecordedResource): string {
  return plain<string | undefined>(role.inputs.name) ?? role.name;
}

function readPolicy(r: ProgramResult): PolicyDocument {
  return JSON.parse(plain<string>(parts(r).rolePolicy.inputs.policy)) as PolicyDocument;
}

const actionsOf = (s: Statement): string[] => [s.Action].flat();
const bySid = (doc: PolicyDocument, sid: string): Statement => {
  const found = doc.Statement.filter((s) => s.Sid === sid);
  expect(found, sid).to.have.lengthOf(1);
  return found[0];
};

describe("S3ReadOnlyAccess (mocks)", () => {
  for (const [stack, run] of [
    ["dev", dev],
    ["prod", prod],
  ] as const) {
    describe(`${stack} stack`, () => {
      it(`registers the ${COMPONENT} component`, () => {
        expect(ofType(run(), COMPONENT)).to.have.lengthOf(1);
      });

      it("role can be assumed only by ec2.amazonaws.com with sts:AssumeRole", () => {
        const trust = JSON.parse(plain<string>(parts(run()).role.inputs.assumeRolePolicy)) as {
          Statement: Statement[];
        };
        expect(trust.Statement).to.have.lengthOf(1);
        const [s] = trust.Statement;
        expect(s.Effect).to.equal("Allow");
        expect(s.Principal).to.deep.equal({ Service: "ec2.amazonaws.com" });
        expect(actionsOf(s)).to.deep.equal(["sts:AssumeRole"]);
      });

      it("attaches the inline read policy to that role, and no managed policy", () => {
        const r = run();
        const { role, rolePolicy } = parts(r);
        expect(plain(rolePolicy.inputs.role)).to.equal(roleName(role));
        // A managed policy's document is not in the program, so the least-privilege proof
        // (test/iam) could not evaluate it; inline RolePolicies on the role are all evaluated.
        const attachments = r.resources.filter(
          (x) =>
            /^aws:iam\/(rolePolicyAttachment|policyAttachment):/.test(x.type) &&
            JSON.stringify(x.inputs).includes(JSON.stringify(roleName(role))),
        );
        expect(attachments.map((x) => x.name)).to.deep.equal([]);
        expect(role.inputs.managedPolicyArns ?? []).to.deep.equal([]);
        expect(role.inputs.inlinePolicies ?? []).to.deep.equal([]);
      });

      it("keeps the role and profile S3ReadOnlyAccess first created (aliases), so no stack replaces them", () => {
        const r = run();
        const former =
          "urn:pulumi:" +
          stack +
          "::cross-cloud-backup::cross-cloud-backup:aws:S3ReadOnlyAccess::source-read";
        expect(r.aliases[`${ROLE}::sync-identity-role`]).to.deep.equal([
          `source-read-role under ${former}`,
        ]);
        expect(r.aliases[`${PROFILE}::sync-identity-profile`]).to.deep.equal([
          `source-read-profile under ${former}`,
        ]);
      });

      it("gives the instance profile that role", () => {
        const { role, profile } = parts(run());
        expect(plain(profile.inputs.role)).to.equal(roleName(role));
      });

      it("sets no permissions boundary unless one is configured", () => {
        expect(parts(run()).role.inputs.permissionsBoundary).to.equal(undefined);
      });

      it("lists the bucket from stack config and reads all of its objects", () => {
        const bucket = stackConfig(stack)["cross-cloud-backup:sourceBucket"];
        const doc = readPolicy(run());
        const list = bySid(doc, "ListSourceBucket");
        expect(actionsOf(list)).to.deep.equal(["s3:ListBucket"]);
        expect(list.Resource).to.equal(`arn:aws:s3:::${bucket}`);
        expect(list.Condition).to.equal(undefined);
        const read = bySid(doc, "ReadSourceObjects");
        expect(actionsOf(read)).to.deep.equal(["s3:GetObject"]);
        expect(read.Resource).to.equal(`arn:aws:s3:::${bucket}/*`);
      });
    });
  }

  it("sets the permissions boundary when permissionsBoundaryArn is configured", () => {
    expect(parts(devBoundary()).role.inputs.permissionsBoundary).to.equal(BOUNDARY);
  });

  it("prod (SSE-KMS) may kms:Decrypt only its key, only through S3 in the bucket's region", () => {
    const config = stackConfig("prod");
    const keyArn = config["cross-cloud-backup:sourceKmsKeyArn"];
    const region = config["aws:region"];
    expect(keyArn).to.match(/^arn:aws:kms:/);
    const kms = readPolicy(prod()).Statement.filter(
      (s) => s.Effect === "Allow" && actionsOf(s).some((a) => a.startsWith("kms:")),
    );
    expect(kms).to.have.lengthOf(1);
    expect(actionsOf(kms[0])).to.deep.equal(["kms:Decrypt"]);
    expect(kms[0].Resource).to.equal(keyArn);
    expect(region).to.equal("eu-west-1");
    expect(kms[0].Condition?.StringEquals).to.deep.equal({
      "kms:ViaService": "s3.eu-west-1.amazonaws.com",
    });
  });

  it("dev (SSE-S3) grants no kms action at all", () => {
    const allowed = readPolicy(dev())
      .Statement.filter((s) => s.Effect === "Allow")
      .flatMap(actionsOf);
    expect(allowed.sort()).to.deep.equal(["s3:GetObject", "s3:ListBucket"]);
  });

  it("with sourcePrefix, reads only objects under the prefix and lists only with s3:prefix", () => {
    const bucket = stackConfig("prod")["cross-cloud-backup:sourceBucket"];
    const doc = readPolicy(prodPrefix());
    expect(bySid(doc, "ReadSourceObjects").Resource).to.equal(`arn:aws:s3:::${bucket}/${PREFIX}*`);
    const list = bySid(doc, "ListSourceBucket");
    expect(list.Resource).to.equal(`arn:aws:s3:::${bucket}`);
    expect(list.Condition?.StringLike?.["s3:prefix"]).to.include(`${PREFIX}*`);
  });

  it("never creates or changes anything in S3 (no aws:s3/ resource in any stack)", () => {
    for (const r of [dev(), prod(), prodPrefix(), devBoundary()]) {
      expect(r.error, r.error).to.equal(undefined);
      expect(r.resources.length).to.be.greaterThan(0);
      const s3 = r.resources.filter((x) => x.type.startsWith("aws:s3/"));
      expect(s3.map((x) => `${x.type} ${x.name}`)).to.deep.equal([]);
    }
  });

  it("a bad config fails before any resource is created, naming the key", () => {
    const r = devBad();
    expect(r.error).to.be.a("string");
    expect(r.error).to.include("cross-cloud-backup:sourceBucket");
    expect(r.error).to.include("Bad_Bucket");
    expect(r.resources).to.deep.equal([]);
  });
});
