// Lists the components grant from and the policy pack checks against: one home each.

/**
 * Session Manager's calls, which have no resource-level permissions: AWS documents them with
 * `Resource: "*"` only (the host's role gets these rather than AmazonSSMManagedInstanceCore,
 * which would also let it read every parameter in the account).
 * https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-create-iam-instance-profile.html
 */
export const SESSION_MANAGER_ACTIONS = [
  "ssm:UpdateInstanceInformation",
  "ssmmessages:CreateControlChannel",
  "ssmmessages:CreateDataChannel",
  "ssmmessages:OpenControlChannel",
  "ssmmessages:OpenDataChannel",
  "ec2messages:AcknowledgeMessage",
  "ec2messages:DeleteMessage",
  "ec2messages:FailMessage",
  "ec2messages:GetEndpoint",
  "ec2messages:GetMessages",
  "ec2messages:SendReply",
] as const;

/** The blob service's data-plane log categories: who read, wrote and deleted backup data. */
export const AUDIT_CATEGORIES = ["StorageRead", "StorageWrite", "StorageDelete"] as const;
