"""Shared by the engine's unit tests: settings, temporary folders and listing rows."""

import json
import os
import shutil
import tempfile
import unittest

from ccb import base, settings

VALID = {
    "sourceBucket": "example-bucket", "sourcePrefix": "", "sourceRegion": "eu-west-1", "sourceBucketOwner": "123456789012",
    "containerName": "backup", "syncMode": "copy", "maxDeletes": 100, "maxDeletePercent": 50, "deletionWindowHours": 24,
    "credential": "ssm", "ssmParameterName": "/cross-cloud-backup/dev/vault-sas-url",
    "vaultContainerUrl": "https://v/backup", "stack": "dev",
    "metricsNamespace": "CrossCloudBackup/dev", "logGroup": "/cross-cloud-backup/dev",
    "integritySampleObjects": 20, "integrityCoverageDays": 365, "restoreDrillObjects": 20,
    "acceptedSkips": [],
}


def make_settings(**overrides):
    return settings.parse(dict(VALID, **overrides))


def source_row(rel, size=10, mtime=1000, etag="e1", problem=""):
    """A source listing line, as Source.list writes it."""
    from ccb import names

    return base.tsv(json.dumps(names.blob_name(rel)), size, mtime, etag, json.dumps(rel), problem)


def vault_row(name, size=10, mtime=1000, md5="", etag="e1", raw=None):
    """A vault listing line, as Vault.list writes it: etag "" for a blob without a content record."""
    if raw is None and etag:
        raw = "recorded"
    return base.tsv(json.dumps(name), size, mtime, md5, etag, raw or "")


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ccb-unit-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name, lines):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(lines))
        return path
