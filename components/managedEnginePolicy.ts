// Pure IAM documents for the managed engine (DataSync): plain values in, policy documents out, so
// the exact grants can be evaluated with an IAM policy evaluator (test/components/managedEngine.test.ts).
import { awsPartitionOf } from "../domain/awsData";
import type { PolicyDocument, Statement } from "./s3ReadOnlyPolicy";

/**
 * Trust: only DataSync may assume the role, and only for this account's DataSync resources in the
 * stack's region (the confused-deputy guard AWS recommends for service roles).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
 */
export function datasyncAssumeRolePolicy(region: string, account: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DataSyncAssumesRole",
        Effect: "Allow",
        Principal: { Service: "datasync.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": account },
          ArnLike: {
            "aws:SourceArn": `arn:${awsPartitionOf(region)}:datasync:${region}:${account}:*`,
          },
        },
      },
    ],
  };
}

export interface SourceReadInput {
  bucketName: string;
  /** Keys under this prefix only ("" = the whole bucket). */
  prefix: string;
  region: string;
  /** The account that must own the bucket (sourceBucketOwner, else the stack's own account). */
  bucketOwner: string;
  /** The bucket's SSE-KMS key; kms:Decrypt is granted only when this is set. */
  kmsKeyArn?: string;
}

/**
 * What DataSync needs on an S3 source location, and nothing that writes: the documented source
 * permissions (list the bucket and its multipart uploads, read objects, their versions and tags,
 * list an upload's parts), on the source bucket only, under the prefix only, and only while the
 * bucket belongs to the expected account (s3:ResourceAccount), so a bucket of the same name
 * re-created by someone else is not read. TLS is required, as for the host.
 * https://docs.aws.amazon.com/datasync/latest/userguide/create-s3-location.html#create-s3-location-required-permissions
 */
export function datasyncSourcePolicy(input: SourceReadInput): PolicyDocument {
  const bucketArn = `arn:${awsPartitionOf(input.region)}:s3:::${input.bucketName}`;
  const owner = { StringEquals: { "s3:ResourceAccount": input.bucketOwner } };
  const listBucket: Statement = {
    Sid: "ListSourceBucket",
    Effect: "Allow",
    Action: "s3:ListBucket",
    Resource: bucketArn,
    Condition:
      input.prefix === ""
        ? owner
        : { ...owner, StringLike: { "s3:prefix": [input.prefix, `${input.prefix}*`] } },
  };
  const statements: Statement[] = [
    listBucket,
    {
      Sid: "LocateSourceBucket",
      Effect: "Allow",
      Action: ["s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
      Resource: bucketArn,
      Condition: owner,
    },
    {
      Sid: "ReadSourceObjects",
      Effect: "Allow",
      Action: [
        "s3:GetObject",
        "s3:GetObjectTagging",
        "s3:GetObjectVersion",
        "s3:GetObjectVersionTagging",
        "s3:ListMultipartUploadParts",
      ],
      Resource: `${bucketArn}/${input.prefix}*`,
      Condition: owner,
    },
  ];
  if (input.kmsKeyArn !== undefined)
    statements.push({
      Sid: "DecryptSourceObjects",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: input.kmsKeyArn,
      Condition: { StringEquals: { "kms:ViaService": `s3.${input.region}.amazonaws.com` } },
    });
  statements.push({
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Action: ["s3:*", "kms:*"],
    Resource: "*",
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  });
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * The Azure location's credential: DataSync reads the SAS from this one secret (a customer-managed
 * secret, CustomSecretConfig), with the default aws/secretsmanager key, which Secrets Manager uses
 * on the caller's behalf. https://docs.aws.amazon.com/datasync/latest/userguide/location-credentials.html
 */
export function datasyncSecretPolicy(secretArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadVaultSas",
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        Resource: secretArn,
      },
    ],
  };
}
