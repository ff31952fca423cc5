// Pure policy renderers for S3ReadOnlyAccess: plain values in, IAM policy documents out.
// Kept apart from the component so the exact documents can be reasoned about and evaluated.
import { awsPartitionOf } from "../domain/awsData";

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: Statement[];
}
export interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource?: string | string[];
  Principal?: Record<string, string | string[]>;
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface ReadOnlyPolicyInput {
  bucketName: string;
  /** Limit reads to keys under this prefix ("" = the whole bucket). */
  prefix: string;
  region: string;
  /** The bucket's SSE-KMS key; kms:Decrypt is granted only when this is set. */
  kmsKeyArn?: string;
}

/** Trust policy: only the EC2 service may assume the role. */
export function ec2AssumeRolePolicy(region: string): PolicyDocument {
  const service =
    awsPartitionOf(region) === "aws-cn" ? "ec2.amazonaws.com.cn" : "ec2.amazonaws.com";
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "Ec2AssumeRole",
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
      },
    ],
  };
}

/**
 * Exactly list + read on one existing bucket: s3:ListBucket on the bucket (narrowed with
 * s3:prefix when a prefix is set), s3:GetObject on its objects, and kms:Decrypt on the bucket's
 * key only through S3 for this bucket. A deny on non-TLS requests makes plain-HTTP reads
 * impossible even if an endpoint is misconfigured.
 */
export function s3ReadOnlyPolicy(input: ReadOnlyPolicyInput): PolicyDocument {
  const bucketArn = `arn:${awsPartitionOf(input.region)}:s3:::${input.bucketName}`;
  const list: Statement = {
    Sid: "ListSourceBucket",
    Effect: "Allow",
    Action: "s3:ListBucket",
    Resource: bucketArn,
  };
  if (input.prefix !== "") {
    list.Condition = { StringLike: { "s3:prefix": [input.prefix, `${input.prefix}*`] } };
  }
  const statements: Statement[] = [
    list,
    {
      Sid: "ReadSourceObjects",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: `${bucketArn}/${input.prefix}*`,
    },
  ];
  if (input.kmsKeyArn !== undefined) {
    statements.push({
      Sid: "DecryptSourceObjects",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: input.kmsKeyArn,
      Condition: {
        StringEquals: { "kms:ViaService": `s3.${input.region}.amazonaws.com` },
        // With S3 Bucket Keys the context is the bucket ARN, without them the object ARN.
        StringLike: {
          "kms:EncryptionContext:aws:s3:arn": [bucketArn, `${bucketArn}/${input.prefix}*`],
        },
      },
    });
  }
  statements.push({
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Action: ["s3:*", "kms:*"],
    Resource: "*",
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  });
  return { Version: "2012-10-17", Statement: statements };
}
