"""The alarms' input: metrics to CloudWatch and one summary document to CloudWatch Logs (one
stream per run or check). Names come from the contract (domain/telemetry.ts). A failure here is
logged; it never changes the outcome."""

import json
import time

from . import contract
from .base import log, redact_doc

M = contract.METRICS


def run_metrics(summary, sas_seconds_left=None, check_ages=None):
    """A run's metrics. Heartbeat is 1 only for a fresh run (every change stored); the age of the
    backup is published whatever the outcome, so a partial or failed run cannot look current."""
    failed = summary.outcome == "failure"
    values = [(M["heartbeat"], int(summary.fresh), "Count"), (M["runFailed"], int(failed), "Count"),
              (M["runPartial"], int(summary.outcome == "partial"), "Count"),
              (M["backupAgeSeconds"], summary.backupAgeSeconds, "Seconds"),
              (M["skippedObjects"], summary.skippedCount, "Count"), (M["acceptedSkips"], summary.acceptedSkips, "Count"),
              (M["objectsCopied"], summary.copied, "Count"),
              (M["bytesCopied"], summary.bytesCopied, "Bytes"), (M["durationSeconds"], summary.durationSeconds, "Seconds")]
    if summary.ending == "killed":
        values.append((M["runKilled"], 1, "Count"))
    if summary.sourceDropPercent is not None:
        values.append((M["sourceDropPercent"], summary.sourceDropPercent, "Percent"))
    if sas_seconds_left is not None:
        values.append((M["credentialSecondsLeft"], round(sas_seconds_left), "Seconds"))
    for kind, seconds in sorted((check_ages or {}).items()):
        values.append((M[kind + "AgeSeconds"], seconds, "Seconds"))
    return values


def integrity_metrics(result):
    checked = result.present + result.missing + result.sizeMismatch + result.etagMismatch + result.unrecorded
    return [(M["integrityMismatches"], result.mismatchCount, "Count"),
            (M["integrityCheckFailed"], int(bool(result.error)), "Count"),
            (M["integrityObjectsChecked"], checked, "Count"),
            (M["integritySampledBytes"], result.sampledBytes, "Bytes"),
            (M["integrityCoveredPercent"], round(result.coveredFraction * 100, 3), "Percent")]


def drill_metrics(result):
    return [(M["restoreDrillFailed"], int(result.outcome != "match"), "Count"),
            (M["restoreDrillObjects"], result.restored, "Count"),
            (M["restoreDrillBytes"], result.restoredBytes, "Bytes")]


def send(settings, env, stream, document, values):
    """Metrics (dimension Stack) and the document, in the stack's namespace and log group."""
    if not settings.metricsNamespace:
        return
    import botocore.config
    import botocore.session

    session = botocore.session.get_session()
    # Bounded: an unreachable CloudWatch costs the run seconds, not minutes.
    bounded = botocore.config.Config(connect_timeout=10, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"})

    def client(name, var):
        return session.create_client(name, region_name=settings.sourceRegion, endpoint_url=env.get(var) or None,
                                     config=bounded)

    try:
        dims = [{"Name": "Stack", "Value": settings.stack}]
        client("cloudwatch", "AWS_ENDPOINT_URL_CLOUDWATCH").put_metric_data(
            Namespace=settings.metricsNamespace,
            MetricData=[{"MetricName": n, "Dimensions": dims, "Value": v, "Unit": u} for n, v, u in values])
    except Exception as e:
        log("metrics not published (the backup is unaffected): %s" % e)
    try:
        logs = client("logs", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS")
        logs.create_log_stream(logGroupName=settings.logGroup, logStreamName=stream)
        logs.put_log_events(logGroupName=settings.logGroup, logStreamName=stream, logEvents=[
            {"timestamp": int(time.time() * 1000), "message": json.dumps(redact_doc(document), ensure_ascii=False)}])
    except Exception as e:
        log("summary not sent to CloudWatch Logs (the backup is unaffected): %s" % e)
