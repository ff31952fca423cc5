# GENERATED FROM domain/ BY userdata/engineContract.ts: DO NOT EDIT.
# Regenerate with `npm run gen:contract`; test/userdata/contract.test.ts fails when it is stale.
"""The names the engine shares with the program, generated from domain/."""

# CloudWatch metric names (domain/telemetry.ts METRICS).
METRICS = {
    "heartbeat": "Heartbeat",
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
    "restoreDrillFailed": "RestoreDrillFailed",
    "restoreDrillObjects": "RestoreDrillObjects",
    "restoreDrillBytes": "RestoreDrillBytes"
}

# What the host publishes under status/ (domain/layout.ts).
STATUS_BLOBS = {
    "lastRun": "status/last-run.json",
    "lastSuccess": "status/last-success.json",
    "lastIntegrity": "status/last-integrity.json",
    "lastDrill": "status/last-drill.json"
}

# The vault's folders (domain/layout.ts).
VAULT_FOLDERS = {
    "data": "data/",
    "archive": "archive/",
    "status": "status/"
}

# The engine's exit codes (domain/runSummary.ts).
EXIT_CODES = {
    "success": 0,
    "failure": 1,
    "partial": 3,
    "mismatch": 4,
    "overlap": 75
}

# The run summary's keys, in order.
RUN_SUMMARY_KEYS = [
    "runId",
    "started",
    "finished",
    "durationSeconds",
    "outcome",
    "exitCode",
    "mode",
    "source",
    "destination",
    "sourceObjects",
    "sourceBytes",
    "vaultObjects",
    "vaultOnly",
    "unchanged",
    "new",
    "changed",
    "copied",
    "bytesCopied",
    "bytesChanged",
    "archived",
    "deleted",
    "vanished",
    "skippedCount",
    "skipped",
    "errorCount",
    "errors"
]

# The integrity check's result keys, in order.
INTEGRITY_RESULT_KEYS = [
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
    "sizeMismatch",
    "hashMismatch",
    "hashMatched",
    "sampled",
    "unreadable",
    "mtimeMismatch",
    "sampledBytes",
    "sampleMismatch",
    "mismatchCount",
    "mismatches",
    "error"
]

# The restore drill's result keys, in order.
DRILL_RESULT_KEYS = [
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
    "sourceGone",
    "sourceChanged",
    "tooLarge",
    "mismatchCount",
    "mismatches",
    "error"
]

# The vault SAS's permissions per sync mode.
SAS_PERMISSIONS = {
    "copy": "racwl",
    "mirror": "racwdl"
}

# (pattern, replacement) pairs, applied case-insensitively (domain/redaction.ts).
REDACTIONS = [
    [
        "\\b(sig|se|sp|sv|st|sr|spr|sip|skoid|sktid|skt|ske|sks|skv)=[^&\\s\"'<>;\\\\]*",
        "\\1=REDACTED"
    ],
    [
        "\\b(AccountKey|SharedAccessSignature)=[^;\\s\"'\\\\]*",
        "\\1=REDACTED"
    ],
    [
        "eyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*",
        "REDACTED-JWT"
    ],
    [
        "\\b(Signature|Credential|X-Amz-Security-Token)=[^&\\s\"'<>\\\\]*",
        "\\1=REDACTED"
    ]
]

# settings.json: each setting's rule (domain/engineSettings.ts).
SETTINGS = {
    "sourceBucket": {
        "type": "string",
        "pattern": ".+",
        "rule": "must not be empty"
    },
    "sourcePrefix": {
        "type": "string",
        "pattern": "(.*/)?",
        "rule": "must be empty or end in '/'"
    },
    "sourceRegion": {
        "type": "string",
        "pattern": ".+",
        "rule": "must not be empty"
    },
    "containerName": {
        "type": "string",
        "pattern": "[^/]+",
        "rule": "must be a container name (no '/')"
    },
    "syncMode": {
        "type": "string",
        "values": [
            "copy",
            "mirror"
        ]
    },
    "maxDeletes": {
        "type": "integer",
        "min": 0
    },
    "maxDeletePercent": {
        "type": "integer",
        "min": 0,
        "max": 100
    },
    "credential": {
        "type": "string",
        "values": [
            "ssm",
            "userData",
            "federated"
        ]
    },
    "ssmParameterName": {
        "type": "string"
    },
    "stack": {
        "type": "string"
    },
    "metricsNamespace": {
        "type": "string"
    },
    "logGroup": {
        "type": "string"
    },
    "integritySampleObjects": {
        "type": "integer",
        "min": 0
    },
    "restoreDrillObjects": {
        "type": "integer",
        "min": 0
    }
}
