// Composes one stack: reads config once, builds the components, exports outputs.
import * as pulumi from "@pulumi/pulumi";
import { readStackConfig } from "./config";
import { S3ReadOnlyAccess } from "./components/s3ReadOnlyAccess";

const cfg = readStackConfig();
const tags = { project: "cross-cloud-backup", stack: pulumi.getStack(), "managed-by": "pulumi" };

const access = new S3ReadOnlyAccess("source-read", {
  bucketName: cfg.sourceBucket,
  prefix: cfg.sourcePrefix,
  region: cfg.sourceRegion,
  kmsKeyArn: cfg.sourceKmsKeyArn,
  permissionsBoundaryArn: cfg.permissionsBoundaryArn,
  tags,
});

export const sourceBucket = cfg.sourceBucket;
export const syncRoleName = access.roleName;
export const syncRoleArn = access.roleArn;
export const instanceProfileName = access.instanceProfileName;
