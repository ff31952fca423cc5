# GENERATED FROM domain/ BY userdata/engineContract.ts: DO NOT EDIT.
# Regenerate with `npm run gen:contract`; test/userdata/contract.test.ts fails when it is stale.
"""The names the engine shares with the program, generated from domain/."""

from types import MappingProxyType

# CloudWatch metric names (domain/telemetry.ts METRICS).
METRICS = MappingProxyType({
    "heartbeat": "Heartbeat",
    "backupAgeSeconds": "BackupAgeSeconds",
    "acceptedSkips": "AcceptedSkips",
    "sourceDropPercent": "SourceDropPercent",
    "runKilled": "RunKilled",
    "integrityAgeSeconds": "IntegrityAgeSeconds",
    "drillAgeSeconds": "DrillAgeSeconds",
    "runFailed": "RunFailed",
    "runPartial": "RunPartial",
    "skippedObjects": "SkippedObjects",
    "objectsCopied": "ObjectsCopied",
    "bytesCopied": "BytesCopied",
    "durationSeconds": "DurationSeconds",
    "credentialSecondsLeft": "CredentialSecondsLeft",
    "integrityMismatches": "IntegrityMismatches",
    "integrityCheckFailed": "IntegrityCheckFailed",
    "integrityObjectsChecked": "IntegrityObjectsChecked",
    "integritySampledBytes": "IntegritySampledBytes",
    "integrityCoveredPercent": "IntegrityCoveredPercent",
    "restoreDrillFailed": "RestoreDrillFailed",
    "restoreDrillObjects": "RestoreDrillObjects",
    "restoreDrillBytes": "RestoreDrillBytes",
})

# What the host publishes under status/ (domain/layout.ts).
STATUS_BLOBS = MappingProxyType({
    "lastRun": "status/last-run.json",
    "lastSuccess": "status/last-success.json",
    "lastIntegrity": "status/last-integrity.json",
    "lastDrill": "status/last-drill.json",
})

# The history under status/: one append blob per UTC month, one line per record (domain/layout.ts).
STATUS_HISTORY = MappingProxyType({
    "folder": "status/history/",
    "extension": ".jsonl",
    "kinds": (
        "run",
        "integrity",
        "drill",
    ),
})

# The vault's folders (domain/layout.ts).
VAULT_FOLDERS = MappingProxyType({
    "data": "data/",
    "archive": "archive/",
    "status": "status/",
})

# The engine's exit codes (domain/runSummary.ts).
EXIT_CODES = MappingProxyType({
    "success": 0,
    "failure": 1,
    "usage": 2,
    "partial": 3,
    "mismatch": 4,
    "overlap": 75,
})

# The run summary's keys, in order.
RUN_SUMMARY_KEYS = (
    "runId",
    "started",
    "finished",
    "durationSeconds",
    "outcome",
    "exitCode",
    "ending",
    "fresh",
    "freshAsOf",
    "backupAgeSeconds",
    "mode",
    "source",
    "destination",
    "sourceObjects",
    "sourceBytes",
    "sourceDropPercent",
    "vaultObjects",
    "vaultOnly",
    "unchanged",
    "new",
    "changed",
    "copied",
    "bytesCopied",
    "bytesChanged",
    "sealed",
    "adopted",
    "adoptedByRead",
    "hashedBytes",
    "refreshed",
    "adoptDeferred",
    "archived",
    "deleted",
    "vanished",
    "retried",
    "copyDeferred",
    "acceptedSkips",
    "skippedCount",
    "skipped",
    "errorCount",
    "errors",
    "pendingSecurityUpdates",
    "pendingSecurityPackages",
)

# The integrity check's result keys, in order.
INTEGRITY_RESULT_KEYS = (
    "checkId",
    "kind",
    "started",
    "finished",
    "durationSeconds",
    "outcome",
    "source",
    "destination",
    "backupSince",
    "sourceObjects",
    "sourceBytes",
    "vaultObjects",
    "present",
    "pending",
    "unstorable",
    "missing",
    "unreadable",
    "sizeMismatch",
    "etagMismatch",
    "unrecorded",
    "unrecordedVaultOnly",
    "sampled",
    "sampledBytes",
    "sampleMismatch",
    "sampleUnverified",
    "coverageDays",
    "readFrom",
    "readUpTo",
    "coveredFraction",
    "coveredSince",
    "mismatchCount",
    "mismatches",
    "error",
)

# The restore drill's result keys, in order.
DRILL_RESULT_KEYS = (
    "checkId",
    "kind",
    "started",
    "finished",
    "durationSeconds",
    "outcome",
    "source",
    "destination",
    "vaultObjects",
    "restored",
    "restoredBytes",
    "sourceCompared",
    "sourceGone",
    "sourceChanged",
    "tooLarge",
    "mismatchCount",
    "mismatches",
    "error",
)

# The vault SAS's permissions per sync mode.
SAS_PERMISSIONS = MappingProxyType({
    "copy": "racwl",
    "mirror": "racwdl",
})

# (pattern, replacement) pairs, applied case-insensitively (domain/redaction.ts).
REDACTIONS = (
    (
        "([?&;\\s\"'(]|\\\\u0026|%26|&amp;)(sig|se|sp|sv|st|sr|spr|sip|skoid|sktid|skt|ske|sks|skv)=[^&\\s\"'<>;\\\\]*",
        "\\1\\2=REDACTED",
    ),
    (
        "(AccountKey|SharedAccessSignature)=[^;\\s\"'\\\\]*",
        "\\1=REDACTED",
    ),
    (
        "eyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*",
        "REDACTED-JWT",
    ),
    (
        "\\b(Signature|Credential|X-Amz-Security-Token)=[^&\\s\"'<>\\\\]*",
        "\\1=REDACTED",
    ),
)

# The blob metadata name of the content record (domain/contentRecord.ts).
CONTENT_RECORD = "ccbsource"

# The content record's format.
CONTENT_RECORD_FORMAT = 1

# The content record's keys.
CONTENT_RECORD_KEYS = (
    "format",
    "etag",
    "versionId",
    "size",
    "mtime",
    "sse",
    "md5",
    "meta",
    "engine",
)

# The blob metadata name of the source's user metadata.
S3_METADATA = "s3metadata"

# The prefix of its base64 form.
S3_METADATA_BASE64 = "b64:"

# settings.json: each setting's rule (domain/engineSettings.ts).
SETTINGS = MappingProxyType({
    "sourceBucket": MappingProxyType({
        "type": "string",
        "pattern": ".+",
        "rule": "must not be empty",
    }),
    "sourcePrefix": MappingProxyType({
        "type": "string",
        "pattern": "(.*/)?",
        "rule": "must be empty or end in '/'",
    }),
    "sourceRegion": MappingProxyType({
        "type": "string",
        "pattern": ".+",
        "rule": "must not be empty",
    }),
    "sourceBucketOwner": MappingProxyType({
        "type": "string",
        "pattern": "([0-9]{12})?",
        "rule": "must be a 12-digit AWS account id",
    }),
    "containerName": MappingProxyType({
        "type": "string",
        "pattern": "[^/]+",
        "rule": "must be a container name (no '/')",
    }),
    "syncMode": MappingProxyType({
        "type": "string",
        "values": (
            "copy",
            "mirror",
        ),
    }),
    "maxDeletes": MappingProxyType({
        "type": "integer",
        "min": 0,
    }),
    "maxDeletePercent": MappingProxyType({
        "type": "integer",
        "min": 0,
        "max": 100,
    }),
    "deletionWindowHours": MappingProxyType({
        "type": "integer",
        "min": 1,
    }),
    "credential": MappingProxyType({
        "type": "string",
        "values": (
            "ssm",
            "userData",
            "federated",
        ),
    }),
    "ssmParameterName": MappingProxyType({
        "type": "string",
    }),
    "vaultContainerUrl": MappingProxyType({
        "type": "string",
        "pattern": "(https?://[^/?#]+(/[^/?#]+)+)?",
        "rule": "must be the vault container's URL (scheme, host and path, no query)",
    }),
    "stack": MappingProxyType({
        "type": "string",
    }),
    "metricsNamespace": MappingProxyType({
        "type": "string",
    }),
    "logGroup": MappingProxyType({
        "type": "string",
    }),
    "integritySampleObjects": MappingProxyType({
        "type": "integer",
        "min": 0,
    }),
    "integrityCoverageDays": MappingProxyType({
        "type": "integer",
        "min": 1,
    }),
    "restoreDrillObjects": MappingProxyType({
        "type": "integer",
        "min": 0,
    }),
    "acceptedSkips": MappingProxyType({
        "type": "strings",
        "maxItems": 100,
    }),
})
