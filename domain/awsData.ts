// AWS regions and EC2 instance types as data, read from the pinned @pulumi/aws (7.48.0) by
// scripts/gen-aws-data.ts into ./data/awsEnums.ts. Plain TypeScript: no Pulumi imports here.
import { AWS_REGION_NAMES, EC2_INSTANCE_TYPE_NAMES, PULUMI_AWS_VERSION } from "./data/awsEnums";

/** Every region in @pulumi/aws's Region enum, sorted, unique. */
export const AWS_REGIONS: readonly string[] = AWS_REGION_NAMES;

/** Every instance type in @pulumi/aws's ec2.InstanceType enum, sorted, unique. */
export const INSTANCE_TYPES: readonly string[] = EC2_INSTANCE_TYPE_NAMES;

export type AwsPartition =
  | "aws"
  | "aws-cn"
  | "aws-us-gov"
  | "aws-iso"
  | "aws-iso-b"
  | "aws-iso-e"
  | "aws-iso-f"
  | "aws-eusc";

// Partitions by region-name prefix, as the AWS SDKs' partitions.json regionRegex values define them
// (@aws-sdk/core util-endpoints; see also
// https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html).
// Checked in order; "us-iso-" does not match "us-isob-"/"us-isof-" names (the dash comes first).
const PARTITION_PREFIXES: readonly (readonly [string, AwsPartition])[] = [
  ["cn-", "aws-cn"],
  ["us-gov-", "aws-us-gov"],
  ["us-iso-", "aws-iso"],
  ["us-isob-", "aws-iso-b"],
  ["eu-isoe-", "aws-iso-e"],
  ["us-isof-", "aws-iso-f"],
  ["eusc-", "aws-eusc"],
];

/**
 * The partition a region belongs to, by its name's prefix ("aws" for any other name, as the SDKs
 * default): the one answer for ARNs, service principals and the config's partition rule. Whether
 * the region exists is a separate question (AWS_REGIONS); the config adapter asks it first.
 */
export function awsPartitionOf(region: string): AwsPartition {
  for (const [prefix, partition] of PARTITION_PREFIXES)
    if (region.startsWith(prefix)) return partition;
  return "aws";
}

export type InstanceArchitecture = "arm64" | "x86_64";
export type InstanceTypeInfo = { architecture: InstanceArchitecture } | { problem: string };

/** The family of an instance type: everything before the first dot ("c7gn.large" → "c7gn"). */
export function instanceFamily(type: string): string {
  const dot = type.indexOf(".");
  return dot < 0 ? type : type.slice(0, dot);
}

// Paravirtual-only families. "The following previous generation instance types support PV AMIs:
// C1, C3, HS1, M1, M3, M2, and T1" and "The CC2, CR1, HI1, and HS1 previous generation instance
// types support HVM AMIs" (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/virtualization_types.html):
// C1, M1, M2 and T1 boot only PV AMIs, and the host's Debian 12 AMI is HVM.
const PARAVIRTUAL_ONLY_FAMILIES: readonly string[] = ["c1", "m1", "m2", "t1"];

// First-generation (2010–2013) cluster-compute/GPU, high-memory-cluster, high-I/O and high-storage
// families. The page above says CC2, CR1, HI1 and HS1 can boot HVM AMIs, so this is project policy
// rather than a documented boot failure: retired pre-Nitro Xen hardware without ENA that the host
// (Debian 12, rclone engine) has never been run on.
const RETIRED_FAMILIES: readonly string[] = ["cc1", "cc2", "cg1", "cr1", "hi1", "hs1"];

/**
 * arm64 families. "g" after the generation digits means AWS Graviton
 * (https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html); A1 is the
 * first-generation Graviton (https://aws.amazon.com/ec2/instance-types/a1/). The "g" must follow
 * the digits directly: g5, g4dn, gr6 and p5 are x86 GPU families; Inferentia/Trainium (inf1, inf2,
 * trn1, trn2) run on x86 hosts. P6e-GB200 UltraServers pair Blackwell GPUs with NVIDIA Grace
 * (Arm Neoverse V2) CPUs: "-gb<digits>" marks Grace Blackwell.
 *
 * In @pulumi/aws 7.48 this classifies 42 families as arm64 (test/domain/awsData.test.ts pins the
 * list): a1 c6g c6gd c6gn c7g c7gd c7gn c8g c8gb c8gd c8gn c9g c9gd g5g hpc7g i4g i8g i8ge im4gn
 * is4gen m6g m6gd m7g m7gd m8g m8gb m8gd m8gn m9g m9gd p6e-gb200 r6g r6gd r7g r7gd r8g r8gb r8gd
 * r8gn t4g x2gd x8g. Cross-checked against AWS's Graviton list "C6g[d], M6g[d], R6g[d], T4g, X2gd,
 * C6gn, I4g, Im4gn, Is4gen, G5g, C7g[d][n], M7g[d], R7g[d], R8g"
 * (https://github.com/aws/aws-graviton-getting-started) plus the later Graviton families
 * named the same way (hpc7g, c8g…, m9g…).
 */
function isArm64Family(family: string): boolean {
  return family === "a1" || /^[a-z]+\d+g/.test(family) || /-gb\d+$/.test(family);
}

/** Architecture of an instance type the host can run on, or why it cannot be used. */
export function instanceTypeInfo(type: string): InstanceTypeInfo {
  if (!INSTANCE_TYPES.includes(type))
    return {
      problem: `is not an EC2 instance type known to @pulumi/aws ${PULUMI_AWS_VERSION.split(".").slice(0, 2).join(".")} (e.g. t4g.micro)`,
    };
  const family = instanceFamily(type);
  // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-mac-instances.html: Mac instances run
  // only on Amazon EC2 Dedicated Hosts, with macOS AMIs.
  if (family.startsWith("mac"))
    return {
      problem:
        "is a Mac instance type: Mac instances run only on EC2 Dedicated Hosts with macOS AMIs, not the host's Debian 12 AMI (choose e.g. t4g.micro)",
    };
  if (PARAVIRTUAL_ONLY_FAMILIES.includes(family))
    return {
      problem: `is a previous-generation ${family.toUpperCase()} type that boots only paravirtual (PV) AMIs; the host's Debian 12 AMI is HVM (choose e.g. t4g.micro)`,
    };
  if (RETIRED_FAMILIES.includes(family))
    return {
      problem: `is a retired first-generation ${family.toUpperCase()} type (2010–2013 pre-Nitro Xen hardware without ENA) that the host is not built for (choose e.g. t4g.micro)`,
    };
  // High Memory u-*.metal types launch only on Dedicated Hosts (their virtualized sizes launch on
  // demand), and the GB200 UltraServer types
  // only through Capacity Blocks: an on-demand host there fails at deploy.
  // https://docs.aws.amazon.com/ec2/latest/instancetypes/mem.html (High Memory: "launch on
  // Dedicated Hosts"), https://docs.aws.amazon.com/ec2/latest/instancetypes/ac.html (P6e-GB200)
  if (/^u-\d+tb\d+$/.test(family) && type.endsWith(".metal"))
    return {
      problem:
        "is a High Memory bare-metal type that launches only on EC2 Dedicated Hosts (choose e.g. t4g.micro)",
    };
  if (family.startsWith("p6e-gb"))
    return {
      problem:
        "is an UltraServer type available only through EC2 Capacity Blocks, not on demand (choose e.g. t4g.micro)",
    };
  return { architecture: isArm64Family(family) ? "arm64" : "x86_64" };
}
