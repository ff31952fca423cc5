import * as pulumi from "@pulumi/pulumi";
import { getCallerIdentityOutput } from "@pulumi/aws";
import { awsPartitionOf } from "../domain/awsData";
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as ec2 from "@pulumi/aws/ec2";
import * as iam from "@pulumi/aws/iam";

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
  /**
   * Where the host may open HTTPS connections (default everywhere). S3 is reached through the
   * gateway endpoint's prefix list whatever this says (in the VPC this component creates).
   */
  egressCidrs?: string[];
  /** Log the created VPC's traffic to this log group (not with existingSubnetId). */
  flowLogs?: {
    logGroupName: string;
    retentionDays: number;
    kmsKeyArn?: string;
    /** The permissions boundary every role of the stack carries (the delivery role too). */
    permissionsBoundaryArn?: string;
  };
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

    // The S3 gateway endpoint's prefix list, when this component creates the endpoint.
    let s3PrefixListId: pulumi.Output<string> | undefined;
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
      const s3Endpoint = new ec2.VpcEndpoint(
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
      s3PrefixListId = s3Endpoint.prefixListId;
      if (args.flowLogs) this.flowLogs(name, vpc.id, args.region, args.flowLogs, tags);
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
        // S3 has a prefix list (the gateway endpoint's); Azure storage, Entra ID, STS, SSM,
        // CloudWatch and Debian's mirror publish no range a security group can name, so they
        // share egressCidrs (everywhere unless the user narrows it, e.g. to a proxy).
        egress: [
          {
            description: "HTTPS: SSM, STS, CloudWatch, Entra ID, Azure Blob, Debian package mirror",
            protocol: "tcp",
            fromPort: 443,
            toPort: 443,
            cidrBlocks: args.egressCidrs ?? ["0.0.0.0/0"],
          },
          ...(s3PrefixListId
            ? [
                {
                  description: "HTTPS to S3 through the gateway endpoint",
                  protocol: "tcp",
                  fromPort: 443,
                  toPort: 443,
                  prefixListIds: [s3PrefixListId],
                },
              ]
            : []),
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

  /**
   * VPC flow logs (every accepted and rejected flow) into a log group with retention, delivered
   * by a role only the flow-logs service of this account can assume, and only for this account's
   * flow logs (confused-deputy conditions). It may write that group and nothing else.
   * https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html
   */
  private flowLogs(
    name: string,
    vpcId: pulumi.Output<string>,
    region: string,
    flow: NonNullable<SyncNetworkArgs["flowLogs"]>,
    tags: Record<string, string>,
  ): void {
    const account = getCallerIdentityOutput({}, { parent: this }).accountId;
    const group = new cloudwatch.LogGroup(
      `${name}-flow-logs`,
      {
        name: flow.logGroupName,
        retentionInDays: flow.retentionDays,
        kmsKeyId: flow.kmsKeyArn,
        tags,
      },
      { parent: this },
    );
    const role = new iam.Role(
      `${name}-flow-logs-role`,
      {
        description: "cross-cloud-backup: delivers the sync VPC's flow logs",
        assumeRolePolicy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "vpc-flow-logs.amazonaws.com" },
              Action: "sts:AssumeRole",
              Condition: {
                StringEquals: { "aws:SourceAccount": account },
                ArnLike: {
                  "aws:SourceArn": pulumi.interpolate`arn:${awsPartitionOf(region)}:ec2:${region}:${account}:vpc-flow-log/*`,
                },
              },
            },
          ],
        }),
        maxSessionDuration: 3600,
        permissionsBoundary: flow.permissionsBoundaryArn,
        tags,
      },
      { parent: this },
    );
    new iam.RolePolicy(
      `${name}-flow-logs-write`,
      {
        role: role.name,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "WriteFlowLogs",
              Effect: "Allow",
              Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
              Resource: [group.arn, pulumi.interpolate`${group.arn}:log-stream:*`],
            },
            {
              // No resource-level permission (the service authorization reference).
              Sid: "FindFlowLogGroup",
              Effect: "Allow",
              Action: "logs:DescribeLogGroups",
              Resource: "*",
            },
          ],
        }),
      },
      { parent: this },
    );
    new ec2.FlowLog(
      `${name}-flow-log`,
      {
        vpcId,
        trafficType: "ALL",
        logDestinationType: "cloud-watch-logs",
        logDestination: group.arn,
        iamRoleArn: role.arn,
        maxAggregationInterval: 600,
        tags,
      },
      { parent: this },
    );
  }
}
