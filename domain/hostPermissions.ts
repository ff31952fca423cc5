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

/**
 * Read-only calls AWS defines without resource-level permissions (`Resource: "*"` is the only
 * form): the SSM agent and the flow-logs service look their log group up with
 * logs:DescribeLogGroups; `npm run verify` reads its command's result with
 * ssm:GetCommandInvocation. https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html
 */
export const UNSCOPED_READ_ACTIONS = [
  "logs:DescribeLogGroups",
  "ssm:GetCommandInvocation",
] as const;

/** The blob service's data-plane log categories: who read, wrote and deleted backup data. */
export const AUDIT_CATEGORIES = ["StorageRead", "StorageWrite", "StorageDelete"] as const;
