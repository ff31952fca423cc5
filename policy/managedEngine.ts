// The managed engine (engine "datasync", docs/scale.md): a DataSync task writes into the vault, so
// the backup's guarantees are now the task's settings. A task must never delete in the vault,
// must replace changed objects, verify what it transfers, log every object and run on its
// schedule; the Azure location's SAS must come from a secret store, never the location's own
// properties. The expected values are domain/managedEngine.ts's, which the component uses too.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { DATASYNC_TASK_OPTIONS } from "../domain/managedEngine";

const TASK = "aws:datasync/task:Task";
const AZURE_LOCATION = "aws:datasync/locationAzureBlob:LocationAzureBlob";
const CLOUD_CONTROL = "aws:cloudcontrol/resource:Resource";
const AZURE_LOCATION_TYPE = "AWS::DataSync::LocationAzureBlob";

/** Log levels that record every error (TRANSFER also records every object). */
const LOGGING_LEVELS = ["BASIC", "TRANSFER"];

const show = (v: unknown) => (v === undefined ? "unset" : JSON.stringify(v));

export const managedEngineCopyMode: ResourceValidationPolicy = {
  name: "managed-engine-copy-mode",
  description:
    "A DataSync task keeps copy mode's guarantees: it never deletes in the vault (PreserveDeletedFiles PRESERVE), replaces changed objects (OverwriteMode ALWAYS), verifies what it transfers, logs to a log group, and runs on an enabled schedule.",
  severity: "critical",
  validateResource: (args, report) => {
    if (args.type !== TASK) return;
    const o = (args.props.options ?? {}) as Record<string, unknown>;
    // Set explicitly: a provider default that changes must not change the backup.
    if (o.preserveDeletedFiles !== DATASYNC_TASK_OPTIONS.preserveDeletedFiles)
      report(
        `options.preserveDeletedFiles must be "PRESERVE", got ${show(o.preserveDeletedFiles)}: REMOVE deletes every blob whose source object is gone, at once, with no deletion guard and nothing archived`,
      );
    if (o.overwriteMode !== DATASYNC_TASK_OPTIONS.overwriteMode)
      report(
        `options.overwriteMode must be "ALWAYS", got ${show(o.overwriteMode)}: NEVER keeps a changed object's old copy for good, so the backup silently misses changes (the vault's versioning keeps what an overwrite replaces)`,
      );
    if (o.verifyMode === undefined || o.verifyMode === "NONE")
      report(
        `options.verifyMode must verify (ONLY_FILES_TRANSFERRED in Enhanced mode), got ${show(o.verifyMode)}`,
      );
    const logGroup: unknown = args.props.cloudwatchLogGroupArn;
    if (typeof logGroup !== "string" || logGroup === "")
      report("cloudwatchLogGroupArn must name the log group the task logs to");
    if (!LOGGING_LEVELS.includes(o.logLevel as string))
      report(
        `options.logLevel must be BASIC or TRANSFER (every error logged), got ${show(o.logLevel)}`,
      );
    const schedule = args.props.schedule as { scheduleExpression?: string; status?: string };
    if (schedule?.scheduleExpression === undefined || schedule.scheduleExpression === "")
      report("schedule.scheduleExpression must be set: a task without a schedule never runs");
    else if (schedule.status === "DISABLED")
      report('schedule.status must not be "DISABLED": the backup would stop');
  },
};

/** The desired state of a Cloud Control resource, whether given as JSON text or an object. */
function desiredState(value: unknown): Record<string, unknown> {
  if (typeof value === "object" && value !== null) return value as Record<string, unknown>;
  if (typeof value !== "string") return {};
  try {
    return JSON.parse(value) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export const managedEngineSecretStore: ResourceValidationPolicy = {
  name: "managed-engine-sas-in-secret-store",
  description:
    "DataSync's Azure Blob location reads its SAS from a Secrets Manager secret (CustomSecretConfig), never from the location's own properties (which the state and the provider keep).",
  severity: "critical",
  validateResource: (args, report) => {
    if (args.type === AZURE_LOCATION) {
      if (args.props.sasConfiguration !== undefined)
        report(
          "sasConfiguration holds the SAS in the location's properties; declare the location with CustomSecretConfig (a Secrets Manager secret) instead",
        );
      return;
    }
    if (args.type !== CLOUD_CONTROL || args.props.typeName !== AZURE_LOCATION_TYPE) return;
    const state = desiredState(args.props.desiredState);
    if (state.AzureBlobSasConfiguration !== undefined)
      report(
        "desiredState.AzureBlobSasConfiguration holds the SAS in the location's properties; use CustomSecretConfig",
      );
    const custom = state.CustomSecretConfig as { SecretArn?: string } | undefined;
    if (typeof custom?.SecretArn !== "string" || custom.SecretArn === "")
      report(
        "desiredState.CustomSecretConfig.SecretArn must name the Secrets Manager secret the SAS is read from",
      );
  },
};

export const managedEnginePolicies = [managedEngineCopyMode, managedEngineSecretStore];
