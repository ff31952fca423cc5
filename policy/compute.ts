// The sync host's compute invariants: IMDSv2 only with hop limit 1, encrypted volumes, no public
// IP on the instance and no way in (no ingress rule anywhere).
//
// The host does have a public address: an Elastic IP (components/syncNetwork.ts), associated
// with the instance after boot (components/syncHost.ts). It is deliberate: it is the one stable
// egress address the vault's firewall and the SAS are bound to. So this pack does not forbid
// aws:ec2/eip:Eip; it forbids what the program promises never to do: an automatically assigned
// public IP (associatePublicIpAddress, mapPublicIpOnLaunch) and any inbound rule, so the Elastic
// IP reaches nothing.
import type { ResourceValidationPolicy } from "@pulumi/policy";

const INSTANCE = "aws:ec2/instance:Instance";
const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";

interface MetadataOptions {
  httpEndpoint?: string;
  httpTokens?: string;
  httpPutResponseHopLimit?: number;
}

/**
 * Tokens required (IMDSv1 off) and a hop limit of 1, so a container or forwarded packet on the
 * host cannot reach the role's credentials. A disabled endpoint is fine: nothing to steal.
 */
export const imdsv2: ResourceValidationPolicy = {
  name: "host-imdsv2",
  description: "EC2 instances and launch templates require IMDSv2 tokens with hop limit 1.",
  severity: "high",
  validateResource: (args, report) => {
    if (args.type !== INSTANCE && args.type !== LAUNCH_TEMPLATE) return;
    const m = args.props.metadataOptions as MetadataOptions | undefined;
    if (m?.httpEndpoint === "disabled") return;
    if (m?.httpTokens !== "required")
      report(
        `metadataOptions.httpTokens must be "required" (IMDSv2 only), got ${JSON.stringify(m?.httpTokens)}`,
      );
    if (m?.httpPutResponseHopLimit !== 1)
      report(
        `metadataOptions.httpPutResponseHopLimit must be 1, got ${JSON.stringify(m?.httpPutResponseHopLimit)}`,
      );
  },
};

interface BlockDevice {
  encrypted?: boolean;
  deviceName?: string;
}

export const encryptedVolumes: ResourceValidationPolicy = {
  name: "host-encrypted-volumes",
  description: "Every EBS volume (root, attached or standalone) is encrypted.",
  severity: "high",
  validateResource: (args, report) => {
    if (args.type === INSTANCE) {
      const root = args.props.rootBlockDevice as BlockDevice | undefined;
      if (root?.encrypted !== true) report("rootBlockDevice.encrypted must be true");
      for (const d of (args.props.ebsBlockDevices ?? []) as BlockDevice[])
        if (d.encrypted !== true)
          report(`ebsBlockDevices ${d.deviceName ?? "?"} must be encrypted`);
    } else if (args.type === "aws:ebs/volume:Volume") {
      if (args.props.encrypted !== true) report("encrypted must be true");
    } else if (args.type === LAUNCH_TEMPLATE) {
      for (const d of (args.props.blockDeviceMappings ?? []) as { ebs?: { encrypted?: string } }[])
        if (d.ebs !== undefined && d.ebs.encrypted !== "true")
          report('every blockDeviceMappings[].ebs.encrypted must be "true"');
    }
  },
};

export const noPublicIp: ResourceValidationPolicy = {
  name: "host-no-public-ip",
  description:
    "No instance or subnet gets an automatic public IP (the Elastic IP is the one, deliberate egress address).",
  severity: "high",
  validateResource: (args, report) => {
    if (args.type === INSTANCE && args.props.associatePublicIpAddress === true)
      report(
        "associatePublicIpAddress must not be true: the host's only public address is its Elastic IP",
      );
    if (args.type === "aws:ec2/subnet:Subnet" && args.props.mapPublicIpOnLaunch === true)
      report("mapPublicIpOnLaunch must not be true");
    if (args.type === LAUNCH_TEMPLATE)
      for (const n of (args.props.networkInterfaces ?? []) as {
        associatePublicIpAddress?: string;
      }[])
        if (n.associatePublicIpAddress === "true")
          report('networkInterfaces[].associatePublicIpAddress must not be "true"');
  },
};

export const noIngress: ResourceValidationPolicy = {
  name: "host-no-ingress",
  description:
    "No security group admits inbound traffic (the host is reached through Session Manager only).",
  severity: "high",
  validateResource: (args, report) => {
    switch (args.type) {
      case "aws:ec2/securityGroup:SecurityGroup":
      case "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": {
        const ingress = (args.props.ingress ?? []) as unknown[];
        if (ingress.length > 0) report(`has ${ingress.length} ingress rule(s); it must have none`);
        break;
      }
      case "aws:ec2/securityGroupRule:SecurityGroupRule":
        if (args.props.type === "ingress") report("is an ingress rule");
        break;
      case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        report("is an ingress rule");
        break;
    }
  },
};

export const computePolicies = [imdsv2, encryptedVolumes, noPublicIp, noIngress];
