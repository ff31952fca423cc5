"""The stack's settings: one frozen object, read once from settings.json.

cloud-init writes settings.json next to the rclone config; the unit hands it to the engine as a
credential ($CREDENTIALS_DIRECTORY). Its keys are the stack's config keys (contract.SETTINGS),
and the engine refuses a document that is missing one, has one it does not know, or breaks a
rule, naming the setting. No module keeps state: everything a run needs is passed to it.
"""

import dataclasses
import json
import os
import re

from . import contract
from .base import RunFailed


class SettingsError(RunFailed):
    """settings.json is missing or breaks a rule; the message names the setting."""


@dataclasses.dataclass(frozen=True)
class Settings:
    sourceBucket: str
    sourcePrefix: str
    sourceRegion: str
    sourceBucketOwner: str
    containerName: str
    syncMode: str
    maxDeletes: int
    maxDeletePercent: int
    deletionWindowHours: int
    credential: str
    ssmParameterName: str
    vaultContainerUrl: str
    stack: str
    metricsNamespace: str
    logGroup: str
    integritySampleObjects: int
    integrityCoverageDays: int
    restoreDrillObjects: int
    acceptedSkips: tuple

    @property
    def vault_root(self):
        """rclone's path of the container."""
        return "vault:" + self.containerName

    @property
    def source_label(self):
        return "s3://%s/%s" % (self.sourceBucket, self.sourcePrefix)

    @property
    def destination_label(self):
        return "%s/data/" % self.containerName


def _check(name, rule, value):
    """The problem with one setting's value, or None."""
    kind = rule["type"]
    if kind == "integer" and (not isinstance(value, int) or isinstance(value, bool)):
        return "must be an integer, got %s" % json.dumps(value)
    if kind == "string" and not isinstance(value, str):
        return "must be a string, got %s" % json.dumps(value)
    if kind == "strings":
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            return "must be a list of non-empty strings, got %s" % json.dumps(value)
        if len(value) > rule["maxItems"]:
            return "must hold at most %d entries, got %d" % (rule["maxItems"], len(value))
        return None
    if "values" in rule and value not in rule["values"]:
        return "must be one of %s, got %s" % (", ".join(rule["values"]), json.dumps(value))
    if "min" in rule and value < rule["min"]:
        return "must be at least %d, got %d" % (rule["min"], value)
    if "max" in rule and value > rule["max"]:
        return "must be at most %d, got %d" % (rule["max"], value)
    if "pattern" in rule and not re.fullmatch(rule["pattern"], value, re.DOTALL):
        return "%s, got %s" % (rule["rule"], json.dumps(value))
    return None


def parse(doc):
    """Settings from a decoded settings.json; SettingsError names the first bad setting."""
    if not isinstance(doc, dict):
        raise SettingsError("settings.json must hold a JSON object")
    unknown = sorted(set(doc) - set(contract.SETTINGS))
    if unknown:
        raise SettingsError("settings.json: unknown setting %s (this engine knows %s)" % (
            unknown[0], ", ".join(contract.SETTINGS)))
    for name, rule in contract.SETTINGS.items():
        if name not in doc:
            raise SettingsError("settings.json: setting %s is missing" % name)
        problem = _check(name, rule, doc[name])
        if problem:
            raise SettingsError("settings.json: setting %s %s" % (name, problem))
    return Settings(**{k: tuple(v) if isinstance(v, list) else v for k, v in doc.items()})


@dataclasses.dataclass(frozen=True)
class Paths:
    """Where the engine reads its configuration and keeps its state."""

    state: str
    config: str

    @classmethod
    def from_env(cls, env=None):
        env = os.environ if env is None else env
        return cls(state=env.get("STATE_DIRECTORY", "/var/lib/cross-cloud-backup"),
                   config=env.get("CREDENTIALS_DIRECTORY", "/etc/cross-cloud-backup"))

    @property
    def rclone_config(self):
        return os.path.join(self.config, "rclone.conf")

    @property
    def runs(self):
        return os.path.join(self.state, "runs")

    def config_file(self, name):
        return os.path.join(self.config, name)

    def state_file(self, name):
        return os.path.join(self.state, name)


def load(paths):
    """The settings in the configuration directory's settings.json."""
    try:
        with open(paths.config_file("settings.json"), encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise SettingsError("cannot read the engine's settings (settings.json): %s" % e)
    return parse(doc)
