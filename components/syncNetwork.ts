import * as pulumi from "@pulumi/pulumi";
import { awsPartitionOf } from "../domain/awsData";
import * as ec2 from "@pulumi/aws/ec2";

export interface SyncNetworkArgs {
  /** CIDR of the VPC created for the host (ignored with existingSubnetId). */
  vpcCidr: string;
  /** Use this existing public subnet instead of creating a VPC. */
  existingSubnetId?: string;
  region: string;
  /** The host's instance type: its subnet must be in an Availability Zone that offers it. */
  instanceType: string;
  /** The source bucket and prefix: the only data the gateway endpoint lets the host read. */
  sourceBucket: string;
  sourcePrefix: string;
  tags?: Record<string, string>;
}

/**
 * The S3 gateway endpoint's policy: through it the VPC reaches the source bucket (list, read)
 * and the AWS-managed buckets the SSM agent reads (cloud-init installs the agent from
 * amazon-ssm-<region>; the agent updates itself and runs Session Manager with the others),
 * nothing else. Every other S3 request from the VPC is refused at the endpoint, whatever
 * credentials it carries.
 * https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-s3.html#edit-vpc-endpoint-policy-s3
 * https://docs.aws.amazon.com/systems-manager/latest/userguide/ssm-agent-minimum-s3-permissions.html
 */
export function s3EndpointPolicy(args: {
  region: string;
  sourceBucket: string;
  sourcePrefix: string;
}): Record<string, unknown> {
  const arn = `arn:${awsPartitionOf(args.region)}:s3:::`;
  const bucket = `${arn}${args.sourceBucket}`;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ListSourceBucket",
        Effect: "Allow",
        Principal: "*",
        Action: "s3:ListBucket",
        Resource: bucket,
      },
      {
        Sid: "ReadSourceObjects",
        Effect: "Allow",
        Principal: "*",
        Action: "s3:GetObject",
        Resource: `${bucket}/${args.sourcePrefix}*`,
      },
      {
        Sid: "ReadSsmAgentBuckets",
        Effect: "Allow",
        Principal: "*",
        Action: "s3:GetObject",
        Resource: [
          `${arn}amazon-ssm-${args.region}/*`,
          `${arn}aws-ssm-${args.region}/*`,
          `${arn}amazon-ssm-packages-${args.region}/*`,
          `${arn}${args.region}-birdwatcher-prod/*`,
          `${arn}aws-ssm-document-attachments-${args.region}/*`,
          `${arn}patch-baseline-snapshot-${args.region}/*`,
          `${arn}aws-ssm-distributor-file-${args.region}/*`,
        ],
      },
    ],
  };
}

/**
 * Where the sync host lives: a one-subnet VPC with an internet gateway (egress only: the
 * security group has no ingress rule), an S3 gateway endpoint (free, keeps S3 reads on the AWS
 * network) and an Elastic IP - the stable egress address the Azure vault's firewall and SAS are
 * bound to. Created before the vault so the vault can use the address.
 */
export class SyncNetwork extends pulumi.ComponentResource {
  public readonly vpcId: pulumi.Output<string>;
  public readonly subnetId: pulumi.Output<string>;
  public readonly securityGroupId: pulumi.Output<string>;
  public readonly egressIp: pulumi.Output<string>;
  public readonly eipAllocationId: pulumi.Output<string>;

  constructor(name: string, args: SyncNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cross-cloud-backup:aws:SyncNetwork", name, {}, opts);
    const tags = args.tags ?? {};

    // Not every Availability Zone offers every instance type (e.g. us-east-1e, or previous
    // generations in newer regions): without this, AWS picks a zone and the first `pulumi up`
    // can fail with "Unsupported ... not supported in your requested Availability Zone".
    // The lookup runs at preview.
    // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-discovery.html
    const offeredZones = ec2
      .getInstanceTypeOfferingsOutput(
        {
          locationType: "availability-zone",
          filters: [{ name: "instance-type", values: [args.instanceType] }],
        },
        { parent: this },
      )
      .locations.apply((zones) => {
        if (zones.length === 0)
          throw new pulumi.InputPropertiesError({
            message: `SyncNetwork "${name}": instanceType ${args.instanceType} is not offered in any Availability Zone of ${args.region}`,
            errors: [
              {
                propertyPath: "instanceType",
                reason: `${args.instanceType} is not offered in ${args.region}; choose another type (e.g. t4g.micro)`,
              },
            ],
          });
        return [...zones].sort();
      });

    if (args.existingSubnetId !== undefined) {
      const subnet = ec2.getSubnetOutput({ id: args.existingSubnetId }, { parent: this });
      this.vpcId = subnet.vpcId;
      this.subnetId = pulumi.all([subnet.availabilityZone, offeredZones]).apply(([zone, zones]) => {
        if (!zones.includes(zone))
          throw new pulumi.InputPropertiesError({
            message: `SyncNetwork "${name}": subnet ${args.existingSubnetId} is in ${zone}, which does not offer ${args.instanceType}`,
            errors: [
              {
                propertyPath: "existingSubnetId",
                reason: `is in ${zone}, which does not offer ${args.instanceType} (offered in ${zones.join(", ")})`,
              },
            ],
          });
        return args.existingSubnetId!;
      });
    } else {
      const vpc = new ec2.Vpc(
        `${name}-vpc`,
        {
          cidrBlock: args.vpcCidr,
          enableDnsHostnames: true,
          enableDnsSupport: true,
          tags: { ...tags, Name: `${name}-vpc` },
        },
        { parent: this },
      );
      // The VPC's default security group is emptied so nothing can accidentally use it.
      new ec2.DefaultSecurityGroup(
        `${name}-default-sg`,
        { vpcId: vpc.id, ingress: [], egress: [], tags },
        { parent: this },
      );
      const igw = new ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags }, { parent: this });
      const subnet = new ec2.Subnet(
        `${name}-subnet`,
        {
          vpcId: vpc.id,
          cidrBlock: args.vpcCidr,
          // The first zone (by name) that offers the instance type. Existing subnets keep the
          // zone AWS gave them: moving one would replace the subnet and the host.
          availabilityZone: offeredZones.apply((zones) => zones[0]),
          mapPublicIpOnLaunch: false,
          tags: { ...tags, Name: `${name}-subnet` },
        },
        { parent: this, ignoreChanges: ["availabilityZone"] },
      );
      const routes = new ec2.RouteTable(
        `${name}-routes`,
        { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags },
        { parent: this },
      );
      new ec2.RouteTableAssociation(
        `${name}-routes-assoc`,
        { subnetId: subnet.id, routeTableId: routes.id },
        { parent: this },
      );
      new ec2.VpcEndpoint(
        `${name}-s3-endpoint`,
        {
          vpcId: vpc.id,
          serviceName: `com.amazonaws.${args.region}.s3`,
          vpcEndpointType: "Gateway",
          routeTableIds: [routes.id],
          policy: JSON.stringify(s3EndpointPolicy(args)),
          tags,
        },
        { parent: this },
      );
      this.vpcId = vpc.id;
      this.subnetId = subnet.id;
    }

    const sg = new ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: this.vpcId,
        description: "cross-cloud-backup sync host: no ingress; HTTPS out only",
        ingress: [],
        // HTTPS is the host's only traffic that a security group filters: the user-data points
        // apt at Debian's mirror over HTTPS (userdata/cloudInit.ts aptSources). Instance
        // metadata, the VPC's DNS resolver and Amazon Time Sync are never filtered:
        // https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
        egress: [
          {
            description: "HTTPS: S3, SSM, Azure Blob, Debian package mirror",
            protocol: "tcp",
            fromPort: 443,
            toPort: 443,
            cidrBlocks: ["0.0.0.0/0"],
          },
        ],
        tags,
      },
      { parent: this },
    );
    const eip = new ec2.Eip(`${name}-eip`, { domain: "vpc", tags }, { parent: this });

    this.securityGroupId = sg.id;
    this.egressIp = eip.publicIp;
    this.eipAllocationId = eip.allocationId;
    this.registerOutputs({
      vpcId: this.vpcId,
      subnetId: this.subnetId,
      securityGroupId: this.securityGroupId,
      egressIp: this.egressIp,
    });
  }
}
