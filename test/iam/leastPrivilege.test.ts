// Least privilege, proven with a real IAM policy evaluator (@cloud-copilot/iam-simulate) on the
// policy documents the program actually renders (recorded under mocks), not on the pure
// renderer: the sync host's role may list the source bucket, read its objects and, for SSE-KMS,
// decrypt with the bucket's key through S3, and nothing else. The mutation tests at the end show
// that the same checks fail when the policy is widened, so a green run here means something.
import { expect } from "chai";
import { runSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import { simulate, type Decision } from "../support/iamSimulate";
import type { PolicyDocument, Statement } from "../../components/s3ReadOnlyPolicy";
import { s3EndpointPolicy } from "../../components/syncNetwork";
import {
  ofType,
  one,
  plain,
  runProgram,
  stackConfig,
  type ProgramResult,
} from "../support/program";

const ACCOUNT = "123456789012";
const PRINCIPAL = `arn:aws:iam::${ACCOUNT}:role/x`;
const OTHER_BUCKET = "some-other-bucket";
const OTHER_KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/11111111-2222-4333-8444-555555555555`;
/** Stands in for "a key" where the stack has none (SSE-S3): decrypting must still be denied. */
const SOME_KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/99999999-8888-4777-8666-555555555555`;
/** The default key policy: it delegates to the account's IAM policies, so they decide. */
const KEY_POLICY = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "EnableIamUserPermissions",
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: "kms:*",
      Resource: "*",
    },
  ],
};

/** What the role is meant to reach: one bucket (optionally one prefix) and maybe its key. */
interface Target {
  bucket: string;
  prefix: string;
  region: string;
  kmsKeyArn?: string;
}

interface Check {
  what: string;
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
}

/**
 * Evaluates one request made by the role with `policies` as its identity policies, over TLS unless
 * the check says otherwise. Any simulator error is returned as the decision, so it fails a check.
 */
async function decide(policies: PolicyDocument[], check: Check): Promise<Decision> {
  const simulation: Simulation = {
    request: {
      principal: PRINCIPAL,
      action: check.action,
      resource: { resource: check.resource, accountId: ACCOUNT },
      contextVariables: { "aws:SecureTransport": "true", ...check.context },
    },
    identityPolicies: policies.map((policy, i) => ({ name: `inline-${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: check.action.startsWith("kms:") ? KEY_POLICY : undefined,
  };
  // iam-simulate drops "kms:EncryptionContext:aws:s3:arn", valid for kms:Decrypt.
  return simulate(simulation, /^kms:EncryptionContext:/i, "key-policy");
}

const bucketArn = (bucket: string) => `arn:aws:s3:::${bucket}`;

/** Requests the sync host must be able to make. */
function allowedChecks(t: Target): Check[] {
  const b = bucketArn(t.bucket);
  const object = `${b}/${t.prefix}data/2026/report.csv`;
  const checks: Check[] = [
    t.prefix === ""
      ? { what: "ListBucket on the bucket", action: "s3:ListBucket", resource: b }
      : {
          what: "ListBucket on the bucket under the prefix",
          action: "s3:ListBucket",
          resource: b,
          context: { "s3:prefix": t.prefix },
        },
    { what: "GetObject on an object", action: "s3:GetObject", resource: object },
  ];
  if (t.prefix !== "")
    checks.push({
      what: "ListBucket on a deeper level of the prefix",
      action: "s3:ListBucket",
      resource: b,
      context: { "s3:prefix": `${t.prefix}data/` },
    });
  if (t.kmsKeyArn !== undefined) {
    const via = `s3.${t.region}.amazonaws.com`;
    checks.push(
      {
        what: "kms:Decrypt via S3 for an object",
        action: "kms:Decrypt",
        resource: t.kmsKeyArn,
        context: { "kms:ViaService": via, "kms:EncryptionContext:aws:s3:arn": object },
      },
      {
        what: "kms:Decrypt via S3 for the bucket (S3 Bucket Key)",
        action: "kms:Decrypt",
        resource: t.kmsKeyArn,
        context: { "kms:ViaService": via, "kms:EncryptionContext:aws:s3:arn": b },
      },
    );
  }
  return checks;
}

/** Requests the sync host must never be able to make. Labels are stable: tests name them. */
function deniedChecks(t: Target): Check[] {
  const b = bucketArn(t.bucket);
  const object = `${b}/${t.prefix}data/2026/report.csv`;
  const key = t.kmsKeyArn ?? SOME_KEY;
  const via = `s3.${t.region}.amazonaws.com`;
  const s3Context = { "kms:ViaService": via, "kms:EncryptionContext:aws:s3:arn": object };
  const checks: Check[] = [
    { what: "s3:PutObject", action: "s3:PutObject", resource: object },
    { what: "s3:DeleteObject", action: "s3:DeleteObject", resource: object },
    { what: "s3:DeleteObjectVersion", action: "s3:DeleteObjectVersion", resource: object },
    { what: "s3:PutObjectAcl", action: "s3:PutObjectAcl", resource: object },
    { what: "s3:PutBucketPolicy", action: "s3:PutBucketPolicy", resource: b },
    { what: "s3:DeleteBucketPolicy", action: "s3:DeleteBucketPolicy", resource: b },
    { what: "s3:DeleteBucket", action: "s3:DeleteBucket", resource: b },
    // The IAM permission behind the PutBucketNotificationConfiguration API.
    { what: "s3:PutBucketNotification", action: "s3:PutBucketNotification", resource: b },
    {
      what: "s3:PutLifecycleConfiguration",
      action: "s3:PutLifecycleConfiguration",
      resource: b,
    },
    { what: "s3:PutBucketVersioning", action: "s3:PutBucketVersioning", resource: b },
    {
      what: "GetObject on another bucket",
      action: "s3:GetObject",
      resource: `${bucketArn(OTHER_BUCKET)}/${t.prefix}data/2026/report.csv`,
    },
    {
      what: "ListBucket on another bucket",
      action: "s3:ListBucket",
      resource: bucketArn(OTHER_BUCKET),
      context: t.prefix === "" ? {} : { "s3:prefix": t.prefix },
    },
    { what: "s3:ListAllMyBuckets", action: "s3:ListAllMyBuckets", resource: "*" },
    {
      what: "GetObject over plain HTTP",
      action: "s3:GetObject",
      resource: object,
      context: { "aws:SecureTransport": "false" },
    },
    {
      what: "kms:Decrypt not via S3",
      action: "kms:Decrypt",
      resource: key,
      context: { "kms:EncryptionContext:aws:s3:arn": object },
    },
    {
      what: "kms:Decrypt via another service",
      action: "kms:Decrypt",
      resource: key,
      context: { ...s3Context, "kms:ViaService": `ec2.${t.region}.amazonaws.com` },
    },
    {
      what: "kms:Decrypt via S3 in another region",
      action: "kms:Decrypt",
      resource: key,
      context: { ...s3Context, "kms:ViaService": "s3.us-east-1.amazonaws.com" },
    },
    {
      what: "kms:Decrypt on another key",
      action: "kms:Decrypt",
      resource: OTHER_KEY,
      context: s3Context,
    },
    {
      what: "kms:Decrypt for another bucket's object",
      action: "kms:Decrypt",
      resource: key,
      context: {
        ...s3Context,
        "kms:EncryptionContext:aws:s3:arn": `${bucketArn(OTHER_BUCKET)}/data/x`,
      },
    },
    {
      what: "kms:Encrypt",
      action: "kms:Encrypt",
      resource: key,
      context: { "kms:ViaService": via },
    },
    {
      what: "kms:GenerateDataKey",
      action: "kms:GenerateDataKey",
      resource: key,
      context: { "kms:ViaService": via },
    },
    {
      what: "iam:PassRole",
      action: "iam:PassRole",
      resource: PRINCIPAL,
      context: { "iam:PassedToService": "ec2.amazonaws.com" },
    },
    {
      what: "ec2:RunInstances",
      action: "ec2:RunInstances",
      resource: `arn:aws:ec2:${t.region}:${ACCOUNT}:instance/i-0123456789abcdef0`,
    },
    {
      what: "sts:AssumeRole",
      action: "sts:AssumeRole",
      resource: `arn:aws:iam::${ACCOUNT}:role/admin`,
    },
  ];
  if (t.prefix !== "") {
    checks.push(
      {
        what: "GetObject outside the prefix",
        action: "s3:GetObject",
        resource: `${b}/other/report.csv`,
      },
      {
        what: "ListBucket with s3:prefix outside the prefix",
        action: "s3:ListBucket",
        resource: b,
        context: { "s3:prefix": "other/" },
      },
      { what: "ListBucket of the whole bucket", action: "s3:ListBucket", resource: b },
      {
        what: "kms:Decrypt for an object outside the prefix",
        action: "kms:Decrypt",
        resource: key,
        context: { ...s3Context, "kms:EncryptionContext:aws:s3:arn": `${b}/other/report.csv` },
      },
    );
  }
  return checks;
}

/** True when a concrete resource is one the role is meant to reach with `action`. */
function inScope(t: Target, action: string, resource: string): boolean {
  const b = bucketArn(t.bucket);
  if (action === "s3:ListBucket") return resource === b;
  if (action === "s3:GetObject") return resource.startsWith(`${b}/${t.prefix}`);
  if (action === "kms:Decrypt") return resource === t.kmsKeyArn;
  return false;
}

/**
 * Probes built from the policies' own Allow statements: every S3 or KMS (action, resource
 * pattern) pair with the pattern's wildcards filled in. Catches a grant on any resource the fixed
 * checks do not name (a second bucket, a second key), whatever it is called. Other services'
 * grants on the role (the sync host's own, e.g. SSM) are not this test's concern; the fixed
 * checks still prove they do not reach the source or escalate.
 */
function probes(policies: PolicyDocument[], t: Target): Check[] {
  const statements: Statement[] = policies.flatMap((p) => p.Statement);
  const out: Check[] = [];
  for (const s of statements.filter((x) => x.Effect === "Allow")) {
    for (const action of [s.Action].flat()) {
      if (!/^(s3|kms):/i.test(action)) continue;
      if (/[*?]/.test(action)) continue; // wildcard actions are caught by the fixed checks
      for (const pattern of [s.Resource ?? []].flat()) {
        const resource =
          pattern === "*" ? "*" : pattern.replace(/\*/g, "probe").replace(/\?/g, "p");
        let context: Record<string, string> | undefined;
        if (action === "s3:ListBucket" && t.prefix !== "") context = { "s3:prefix": t.prefix };
        if (action.startsWith("kms:"))
          context = {
            "kms:ViaService": `s3.${t.region}.amazonaws.com`,
            "kms:EncryptionContext:aws:s3:arn": bucketArn(t.bucket),
          };
        out.push({ what: `probe ${action} on ${resource}`, action, resource, context });
      }
    }
  }
  return out;
}

/** Labels of the requests the role must be denied but is allowed (or that cannot be evaluated). */
async function unexpectedlyAllowed(
  policy: PolicyDocument | PolicyDocument[],
  target: Target,
): Promise<string[]> {
  const policies = [policy].flat();
  const failures: string[] = [];
  for (const check of deniedChecks(target)) {
    const d = await decide(policies, check);
    if (d === "Allowed") failures.push(check.what);
    else if (d.startsWith("error")) failures.push(`${check.what} [${d}]`);
  }
  for (const check of probes(policies, target)) {
    const d = await decide(policies, check);
    if (d === "Allowed" && !inScope(target, check.action, check.resource))
      failures.push(check.what);
    else if (d.startsWith("error")) failures.push(`${check.what} [${d}]`);
  }
  return failures;
}

/** Labels of the requests the role must be allowed but is not. */
async function unexpectedlyDenied(
  policy: PolicyDocument | PolicyDocument[],
  target: Target,
): Promise<string[]> {
  const failures: string[] = [];
  for (const check of allowedChecks(target)) {
    const d = await decide([policy].flat(), check);
    if (d !== "Allowed") failures.push(`${check.what} [${d}]`);
  }
  return failures;
}

/**
 * Every inline policy the program attaches to the host role (HostIdentity's), as rendered:
 * S3ReadOnlyAccess's read policy first, then every other component's grants on the same role
 * (the role's effective permissions are their union, so the denied checks run against all).
 */
function renderedPolicies(r: ProgramResult): PolicyDocument[] {
  expect(r.error, r.error).to.equal(undefined);
  const component = one(r, "cross-cloud-backup:aws:S3ReadOnlyAccess").name;
  const identity = one(r, "cross-cloud-backup:aws:HostIdentity").name;
  // Only the host's role may be taken on by an instance (the flow-log delivery role, when there
  // is one, trusts the flow-logs service only).
  const trusted = (x: { inputs: Record<string, unknown> }) =>
    (JSON.parse(plain<string>(x.inputs.assumeRolePolicy)) as PolicyDocument).Statement.flatMap(
      (st) =>
        [(st as { Principal?: { Service?: string | string[] } }).Principal?.Service ?? []].flat(),
    );
  const roles = ofType(r, "aws:iam/role:Role").filter((x) =>
    trusted(x).some((service) => /^ec2\./.test(service)),
  );
  expect(roles, "exactly one role an instance can assume: the host's").to.have.lengthOf(1);
  for (const other of ofType(r, "aws:iam/role:Role").filter((x) => !roles.includes(x)))
    expect(trusted(other), other.name).to.deep.equal(["vpc-flow-logs.amazonaws.com"]);
  const role = roles.find((x) => x.name === `${identity}-role`);
  expect(role, "the host identity's role").to.not.equal(undefined);
  const roleName = plain<string | undefined>(role!.inputs.name) ?? role!.name;
  const attached = ofType(r, "aws:iam/rolePolicy:RolePolicy").filter(
    (x) => plain(x.inputs.role) === roleName,
  );
  const read = attached.filter((x) => x.name === `${component}-read`);
  expect(read, "the component's read policy").to.have.lengthOf(1);
  return [read[0], ...attached.filter((x) => x !== read[0])].map(
    (x) => JSON.parse(plain<string>(x.inputs.policy)) as PolicyDocument,
  );
}

function targetOf(stack: string, prefix = ""): Target {
  const c = stackConfig(stack);
  return {
    bucket: c["cross-cloud-backup:sourceBucket"],
    prefix,
    region: c["aws:region"],
    kmsKeyArn: c["cross-cloud-backup:sourceKmsKeyArn"],
  };
}

const SCENARIOS = [
  { name: "dev (SSE-S3)", run: () => runProgram("dev"), target: () => targetOf("dev") },
  { name: "prod (SSE-KMS)", run: () => runProgram("prod"), target: () => targetOf("prod") },
  {
    name: 'prod with sourcePrefix "exports/"',
    run: () => runProgram("prod", { sourcePrefix: "exports/" }),
    target: () => targetOf("prod", "exports/"),
  },
];

describe("least privilege of the sync host's role (iam-simulate on the rendered policy)", () => {
  for (const s of SCENARIOS) {
    describe(s.name, () => {
      it("can list the bucket and read its objects (and decrypt them via S3 with SSE-KMS)", async () => {
        expect(await unexpectedlyDenied(renderedPolicies(s.run()), s.target())).to.deep.equal([]);
      });

      it("cannot write, delete, reconfigure, read elsewhere, escalate or use plain HTTP", async () => {
        expect(await unexpectedlyAllowed(renderedPolicies(s.run()), s.target())).to.deep.equal([]);
      });
    });
  }

  describe("mutation guard: the checks above fail on a widened policy", () => {
    const target = () => targetOf("prod");
    const rendered = () => renderedPolicies(runProgram("prod"));
    /** The role's policies with the read policy (rendered first) changed by `f`. */
    const mutate = (f: (doc: PolicyDocument) => void): PolicyDocument[] => {
      const [read, ...others] = structuredClone(rendered());
      f(read);
      return [read, ...others];
    };
    const stmt = (doc: PolicyDocument, sid: string) => doc.Statement.find((x) => x.Sid === sid)!;
    const flagged = (policies: PolicyDocument[]) => unexpectedlyAllowed(policies, target());

    it("the rendered prod policies themselves are not flagged", async () => {
      expect(await flagged(rendered())).to.deep.equal([]);
    });

    it('flags an added Allow of Action "*"', async () => {
      const doc = mutate((d) => d.Statement.push({ Effect: "Allow", Action: "*", Resource: "*" }));
      expect(await flagged(doc)).to.include.members([
        "s3:PutObject",
        "s3:DeleteBucket",
        "GetObject on another bucket",
        "kms:Decrypt not via S3",
        "kms:Encrypt",
        "iam:PassRole",
        "ec2:RunInstances",
        "sts:AssumeRole",
      ]);
    });

    it('flags an added Allow of "s3:*"', async () => {
      const doc = mutate((d) =>
        d.Statement.push({ Effect: "Allow", Action: "s3:*", Resource: "*" }),
      );
      expect(await flagged(doc)).to.include.members([
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:PutObjectAcl",
        "s3:PutBucketPolicy",
        "s3:DeleteBucket",
        "s3:PutBucketNotification",
        "s3:PutLifecycleConfiguration",
        "GetObject on another bucket",
        "ListBucket on another bucket",
        "s3:ListAllMyBuckets",
      ]);
    });

    it("flags s3:PutObject added to the read statement", async () => {
      const doc = mutate((d) => {
        stmt(d, "ReadSourceObjects").Action = ["s3:GetObject", "s3:PutObject"];
      });
      const found = await flagged(doc);
      expect(found).to.include("s3:PutObject");
      expect(found.filter((f) => !f.includes("s3:PutObject"))).to.deep.equal([]);
    });

    it("flags a second bucket added to the resources, whatever its name", async () => {
      const second = "unrelated-bucket";
      const doc = mutate((d) => {
        const list = stmt(d, "ListSourceBucket");
        list.Resource = [list.Resource as string, `arn:aws:s3:::${second}`];
        const read = stmt(d, "ReadSourceObjects");
        read.Resource = [read.Resource as string, `arn:aws:s3:::${second}/*`];
      });
      expect(await flagged(doc)).to.have.members([
        `probe s3:ListBucket on arn:aws:s3:::${second}`,
        `probe s3:GetObject on arn:aws:s3:::${second}/probe`,
      ]);
    });

    it("flags the second bucket by the fixed checks too when it is the one they name", async () => {
      const doc = mutate((d) => {
        const read = stmt(d, "ReadSourceObjects");
        read.Resource = [read.Resource as string, `arn:aws:s3:::${OTHER_BUCKET}/*`];
      });
      expect(await flagged(doc)).to.include("GetObject on another bucket");
    });

    it("flags a grant on another KMS key", async () => {
      const doc = mutate((d) => {
        const kms = stmt(d, "DecryptSourceObjects");
        kms.Resource = [kms.Resource as string, OTHER_KEY];
      });
      expect(await flagged(doc)).to.include("kms:Decrypt on another key");
    });
  });
});

describe("the S3 gateway endpoint's policy (iam-simulate, as a VPC endpoint policy)", () => {
  const policy = s3EndpointPolicy({
    region: "eu-west-1",
    sourceBucket: "example-app-data-dev",
    sourcePrefix: "exports/",
  });
  /** The host role may do anything in S3 here: only the endpoint policy decides. */
  const anything = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }],
  };
  async function through(action: string, resource: string): Promise<string> {
    const result = await runSimulation(
      {
        request: {
          principal: PRINCIPAL,
          action,
          resource: { resource, accountId: ACCOUNT },
          contextVariables: { "aws:SecureTransport": "true" },
        },
        identityPolicies: [{ name: "anything", policy: anything }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        vpcEndpointPolicies: [{ name: "s3-gateway", policy }],
      },
      {},
    );
    return result.resultType === "error"
      ? `error: ${JSON.stringify(result.errors)}`
      : result.overallResult;
  }

  it("lets the host list and read the source prefix and fetch the SSM agent", async () => {
    expect(await through("s3:ListBucket", "arn:aws:s3:::example-app-data-dev")).to.equal("Allowed");
    expect(
      await through("s3:GetObject", "arn:aws:s3:::example-app-data-dev/exports/2026/a.csv"),
    ).to.equal("Allowed");
    expect(
      await through(
        "s3:GetObject",
        "arn:aws:s3:::amazon-ssm-eu-west-1/latest/debian_arm64/amazon-ssm-agent.deb",
      ),
    ).to.equal("Allowed");
  });

  it("refuses any other bucket, any write, and reads outside the prefix, whatever the role allows", async () => {
    for (const [action, resource] of [
      ["s3:GetObject", "arn:aws:s3:::attacker-bucket/x"],
      ["s3:PutObject", "arn:aws:s3:::attacker-bucket/exfiltrated"],
      ["s3:PutObject", "arn:aws:s3:::example-app-data-dev/exports/x"],
      ["s3:DeleteObject", "arn:aws:s3:::example-app-data-dev/exports/x"],
      ["s3:GetObject", "arn:aws:s3:::example-app-data-dev/private/x"],
      ["s3:ListBucket", "arn:aws:s3:::another-bucket"],
      ["s3:PutObject", "arn:aws:s3:::amazon-ssm-eu-west-1/x"],
    ])
      expect(await through(action, resource), `${action} ${resource}`).to.equal("ImplicitlyDenied");
  });
});

describe("federated mode: the host may mint a token for Entra only (iam-simulate)", () => {
  let policies: PolicyDocument[];
  before(() => {
    policies = renderedPolicies(runProgram("dev"));
  });
  const mint = (context: Record<string, string | string[]>): Check => ({
    what: `sts:GetWebIdentityToken ${JSON.stringify(context)}`,
    action: "sts:GetWebIdentityToken",
    resource: "*",
    context,
  });
  const good = {
    "sts:IdentityTokenAudience": ["api://AzureADTokenExchange"],
    "sts:DurationSeconds": "300",
    "sts:SigningAlgorithm": "RS256",
  };

  it("is allowed a 300-second RS256 token for api://AzureADTokenExchange", async () => {
    expect(await decide(policies, mint(good))).to.equal("Allowed");
    expect(await decide(policies, mint({ ...good, "sts:DurationSeconds": "60" }))).to.equal(
      "Allowed",
    );
  });

  it("is denied any other audience, an extra audience, no audience, a longer token or ES384", async () => {
    const denied = [
      { ...good, "sts:IdentityTokenAudience": ["sts.amazonaws.com"] },
      {
        ...good,
        "sts:IdentityTokenAudience": ["api://AzureADTokenExchange", "https://example.invalid"],
      },
      { "sts:DurationSeconds": "300", "sts:SigningAlgorithm": "RS256" },
      { ...good, "sts:DurationSeconds": "3600" },
      { ...good, "sts:SigningAlgorithm": "ES384" },
    ];
    for (const context of denied) {
      const d = await decide(policies, mint(context));
      expect(d, JSON.stringify(context)).to.equal("ImplicitlyDenied");
    }
  });

  it("gains nothing else in STS and still cannot write S3", async () => {
    for (const action of ["sts:AssumeRole", "sts:TagSession", "sts:AssumeRoleWithWebIdentity"]) {
      const d = await decide(policies, {
        what: action,
        action,
        resource: `arn:aws:iam::${ACCOUNT}:role/other`,
      });
      expect(d, action).to.equal("ImplicitlyDenied");
    }
    expect(await unexpectedlyAllowed(policies, targetOf("dev"))).to.deep.equal([]);
  });
});

describe("run telemetry: the host publishes only into its namespace and its log group (iam-simulate)", () => {
  let policies: PolicyDocument[];
  before(() => {
    policies = renderedPolicies(runProgram("dev"));
  });
  const GROUP = `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/cross-cloud-backup/dev`;
  const OTHER_GROUP = `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/aws/lambda/payments`;
  const metrics = (namespace: string): Check => ({
    what: `PutMetricData into ${namespace}`,
    action: "cloudwatch:PutMetricData",
    resource: "*",
    context: { "cloudwatch:namespace": namespace },
  });

  it("may put metrics into its stack's namespace CrossCloudBackup/dev and write its own log group's streams", async () => {
    expect(await decide(policies, metrics("CrossCloudBackup/dev"))).to.equal("Allowed");
    for (const [action, resource] of [
      ["logs:CreateLogStream", `${GROUP}:log-stream:20261125T160000.000000000Z`],
      ["logs:PutLogEvents", `${GROUP}:log-stream:20261125T160000.000000000Z`],
    ])
      expect(await decide(policies, { what: action, action, resource }), action).to.equal(
        "Allowed",
      );
  });

  it("is denied other namespaces, other log groups, and reading or deleting logs and alarms", async () => {
    // CrossCloudBackup/prod: a dev host in the same account must not publish prod's health (the
    // prod alarms watch that namespace only). CrossCloudBackup: the namespace stacks once shared.
    for (const ns of [
      "AWS/EC2",
      "CrossCloudBackupX",
      "Other",
      "CrossCloudBackup/prod",
      "CrossCloudBackup",
    ])
      expect(await decide(policies, metrics(ns)), ns).to.equal("ImplicitlyDenied");
    const denied: [string, string][] = [
      ["logs:PutLogEvents", `${OTHER_GROUP}:log-stream:x`],
      ["logs:CreateLogStream", `${OTHER_GROUP}:log-stream:x`],
      ["logs:DeleteLogGroup", GROUP],
      ["logs:PutRetentionPolicy", GROUP],
      ["logs:GetLogEvents", `${GROUP}:log-stream:x`],
      [
        "cloudwatch:DeleteAlarms",
        `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:backup-alarms-missed-backup`,
      ],
      [
        "cloudwatch:DisableAlarmActions",
        `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:backup-alarms-missed-backup`,
      ],
    ];
    for (const [action, resource] of denied)
      expect(await decide(policies, { what: action, action, resource }), action).to.equal(
        "ImplicitlyDenied",
      );
  });
});

describe("engine delivery: the host reads its own engine's parameters and nothing else in SSM (iam-simulate)", () => {
  let policies: PolicyDocument[];
  before(() => {
    policies = renderedPolicies(runProgram("dev"));
  });
  const param = (name: string) => `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter${name}`;

  it("may GetParameters on /cross-cloud-backup/dev/engine/<n>", async () => {
    for (const n of [0, 1])
      expect(
        await decide(policies, {
          what: `engine part ${n}`,
          action: "ssm:GetParameters",
          resource: param(`/cross-cloud-backup/dev/engine/${n}`),
        }),
      ).to.equal("Allowed");
  });

  it("is denied another stack's engine, other parameters, and writing or listing parameters", async () => {
    const denied: [string, string][] = [
      ["ssm:GetParameters", param("/cross-cloud-backup/prod/engine/0")],
      ["ssm:GetParameters", param("/cross-cloud-backup/dev/engine/99")],
      ["ssm:GetParameters", param("/payments/db-password")],
      ["ssm:GetParameter", param("/cross-cloud-backup/dev/engine/0")],
      ["ssm:GetParametersByPath", param("/cross-cloud-backup/dev/engine")],
      ["ssm:PutParameter", param("/cross-cloud-backup/dev/engine/0")],
      ["ssm:DeleteParameter", param("/cross-cloud-backup/dev/engine/0")],
    ];
    for (const [action, resource] of denied)
      expect(
        await decide(policies, { what: `${action} ${resource}`, action, resource }),
        `${action} ${resource}`,
      ).to.equal("ImplicitlyDenied");
  });
});

describe("operator access: npm run verify may send the verify document to the host, nothing else (iam-simulate)", () => {
  const REGION = "eu-west-1";
  const HOST = `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/sync-host-instance-id`;
  const VERIFY = `arn:aws:ssm:${REGION}:${ACCOUNT}:document/cross-cloud-backup-prod-verify`;
  /**
   * An AWS-owned document. Its real ARN has no account (arn:aws:ssm:<region>::document/<name>),
   * which iam-simulate's ARN pattern does not take; the policy names one exact document ARN, so
   * the decision turns on the name either way.
   */
  const awsDocument = (name: string) => `arn:aws:ssm:${REGION}:${ACCOUNT}:document/${name}`;
  let operator: PolicyDocument[];
  before(() => {
    const r = runProgram("prod");
    expect(r.error).to.equal(undefined);
    operator = [
      JSON.parse(plain<string>(one(r, "aws:iam/policy:Policy").inputs.policy)) as PolicyDocument,
    ];
  });
  const decision = (action: string, resource: string) =>
    decide(operator, { what: `${action} ${resource}`, action, resource });

  it("allows SendCommand of the stack's verify document to the sync host, and reading the result", async () => {
    // SendCommand is authorized once per resource: the document and each target instance
    expect(await decision("ssm:SendCommand", VERIFY)).to.equal("Allowed");
    expect(await decision("ssm:SendCommand", HOST)).to.equal("Allowed");
    expect(await decision("ssm:GetCommandInvocation", "*")).to.equal("Allowed");
  });

  it("denies AWS-RunShellScript and every other document, other instances, sessions and document changes", async () => {
    const denied: [string, string][] = [
      ["ssm:SendCommand", awsDocument("AWS-RunShellScript")],
      ["ssm:SendCommand", awsDocument("AWS-RunPowerShellScript")],
      ["ssm:SendCommand", awsDocument("AWS-StartInteractiveCommand")],
      [
        "ssm:SendCommand",
        `arn:aws:ssm:${REGION}:${ACCOUNT}:document/cross-cloud-backup-dev-verify`,
      ],
      ["ssm:SendCommand", `arn:aws:ssm:${REGION}:${ACCOUNT}:document/my-admin-script`],
      ["ssm:SendCommand", `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0aaaaaaaaaaaaaaaa`],
      ["ssm:StartSession", HOST],
      ["ssm:StartSession", awsDocument("AWS-StartInteractiveCommand")],
      ["ssm:UpdateDocument", VERIFY],
      ["ssm:DeleteDocument", VERIFY],
      [
        "ssm:CreateDocument",
        `arn:aws:ssm:${REGION}:${ACCOUNT}:document/cross-cloud-backup-prod-verify2`,
      ],
      ["ssm:ModifyDocumentPermission", VERIFY],
      [
        "ssm:GetParameters",
        `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/cross-cloud-backup/prod/engine/0`,
      ],
      ["ec2:ModifyInstanceAttribute", HOST],
    ];
    for (const [action, resource] of denied)
      expect(await decision(action, resource), `${action} ${resource}`).to.equal(
        "ImplicitlyDenied",
      );
  });
});

describe("session and flow logs: their writers reach their own log group only (iam-simulate)", () => {
  const GROUPS = `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:`;
  const SESSIONS = `${GROUPS}/cross-cloud-backup/prod/sessions`;
  const FLOWS = `${GROUPS}/cross-cloud-backup/prod/vpc-flow-logs`;
  const OTHER = `${GROUPS}/aws/lambda/payments`;
  let host: PolicyDocument[];
  let flowRole: PolicyDocument[];
  before(() => {
    const r = runProgram("prod");
    host = renderedPolicies(r);
    const write = ofType(r, "aws:iam/rolePolicy:RolePolicy").filter(
      (p) => plain(p.inputs.role) === "sync-net-flow-logs-role",
    );
    expect(write, "the flow-log role's one policy").to.have.lengthOf(1);
    flowRole = [JSON.parse(plain<string>(write[0].inputs.policy)) as PolicyDocument];
  });
  const decision = (policies: PolicyDocument[], action: string, resource: string) =>
    decide(policies, { what: `${action} ${resource}`, action, resource });

  it("the host (its SSM agent) may write session transcripts into the session log group", async () => {
    for (const action of ["logs:CreateLogStream", "logs:PutLogEvents"])
      expect(await decision(host, action, `${SESSIONS}:log-stream:alice-0abc`), action).to.equal(
        "Allowed",
      );
    expect(await decision(host, "logs:DescribeLogStreams", SESSIONS)).to.equal("Allowed");
    expect(await decision(host, "logs:DescribeLogGroups", "*")).to.equal("Allowed");
  });

  it("the flow-log role may write flow records into the flow log group", async () => {
    for (const action of ["logs:CreateLogStream", "logs:PutLogEvents"])
      expect(await decision(flowRole, action, `${FLOWS}:log-stream:eni-0abc-all`), action).to.equal(
        "Allowed",
      );
  });

  it("neither may read, delete or reconfigure logs, nor write any other group", async () => {
    const denied: [PolicyDocument[], string, string][] = [
      [host, "logs:GetLogEvents", `${SESSIONS}:log-stream:alice-0abc`],
      [host, "logs:FilterLogEvents", SESSIONS],
      [host, "logs:DeleteLogGroup", SESSIONS],
      [host, "logs:DeleteLogStream", `${SESSIONS}:log-stream:alice-0abc`],
      [host, "logs:PutRetentionPolicy", SESSIONS],
      [host, "logs:PutLogEvents", `${FLOWS}:log-stream:eni-0abc-all`],
      [host, "logs:PutLogEvents", `${OTHER}:log-stream:x`],
      [flowRole, "logs:PutLogEvents", `${SESSIONS}:log-stream:x`],
      [flowRole, "logs:PutLogEvents", `${GROUPS}/cross-cloud-backup/prod:log-stream:x`],
      [flowRole, "logs:CreateLogStream", `${OTHER}:log-stream:x`],
      [flowRole, "logs:DeleteLogGroup", FLOWS],
      [flowRole, "logs:GetLogEvents", `${FLOWS}:log-stream:x`],
      [flowRole, "logs:CreateLogGroup", `${GROUPS}/attacker`],
      [flowRole, "s3:GetObject", "arn:aws:s3:::example-app-data-prod/x"],
    ];
    for (const [policies, action, resource] of denied)
      expect(await decision(policies, action, resource), `${action} ${resource}`).to.equal(
        "ImplicitlyDenied",
      );
  });
});
