"""What each command reports, as typed results whose keys are the contract's (domain/runSummary.ts),
and the one mapping from an outcome to the process's exit code."""

import dataclasses
import types
import typing

from . import contract

EXIT = contract.EXIT_CODES
# A check that matched exits like a successful backup; a mismatch has its own code.
OUTCOME_EXIT = types.MappingProxyType({
    "success": EXIT["success"], "partial": EXIT["partial"], "failure": EXIT["failure"],
    "match": EXIT["success"], "mismatch": EXIT["mismatch"]})


def exit_code(outcome):
    return OUTCOME_EXIT[outcome]


@dataclasses.dataclass
class RunSummary:
    runId: str
    started: str
    finished: typing.Optional[str] = None
    durationSeconds: float = 0
    outcome: str = "failure"
    exitCode: int = EXIT["failure"]
    ending: str = "finished"
    fresh: bool = False
    freshAsOf: typing.Optional[str] = None
    backupAgeSeconds: int = 0
    mode: str = ""
    source: str = ""
    destination: str = ""
    sourceObjects: int = 0
    sourceBytes: int = 0
    sourceDropPercent: typing.Optional[float] = None
    vaultObjects: int = 0
    vaultOnly: int = 0
    unchanged: int = 0
    new: int = 0
    changed: int = 0
    copied: int = 0
    bytesCopied: int = 0
    bytesChanged: int = 0
    sealed: int = 0
    adopted: int = 0
    adoptedByRead: int = 0
    hashedBytes: int = 0
    refreshed: int = 0
    adoptDeferred: int = 0
    archived: int = 0
    deleted: int = 0
    vanished: int = 0
    retried: int = 0
    copyDeferred: int = 0
    acceptedSkips: int = 0
    skippedCount: int = 0
    skipped: list = dataclasses.field(default_factory=list)
    errorCount: int = 0
    errors: list = dataclasses.field(default_factory=list)
    pendingSecurityUpdates: typing.Optional[int] = None
    pendingSecurityPackages: list = dataclasses.field(default_factory=list)

    def to_dict(self):
        return {k: getattr(self, k) for k in contract.RUN_SUMMARY_KEYS}


@dataclasses.dataclass
class CheckResult:
    """What the integrity check and the restore drill both report."""

    checkId: str
    started: str
    source: str
    destination: str
    finished: typing.Optional[str] = None
    durationSeconds: float = 0
    outcome: str = "failure"
    mismatchCount: int = 0
    mismatches: list = dataclasses.field(default_factory=list)
    error: typing.Optional[str] = None

    KEYS = ()

    def to_dict(self):
        return {k: getattr(self, k) for k in self.KEYS}


@dataclasses.dataclass
class IntegrityResult(CheckResult):
    kind: str = "integrity"
    backupSince: typing.Optional[str] = None
    sourceObjects: int = 0
    sourceBytes: int = 0
    vaultObjects: int = 0
    present: int = 0
    pending: int = 0
    unstorable: int = 0
    missing: int = 0
    unreadable: int = 0
    sizeMismatch: int = 0
    etagMismatch: int = 0
    unrecorded: int = 0
    unrecordedVaultOnly: int = 0
    sampled: int = 0
    sampledBytes: int = 0
    sampleMismatch: int = 0
    sampleUnverified: int = 0
    coverageDays: int = 0
    readFrom: typing.Optional[str] = None
    readUpTo: typing.Optional[str] = None
    coveredFraction: float = 0
    coveredSince: typing.Optional[str] = None

    KEYS = contract.INTEGRITY_RESULT_KEYS

    def count(self, kind):
        setattr(self, kind, getattr(self, kind) + 1)


@dataclasses.dataclass
class DrillResult(CheckResult):
    kind: str = "drill"
    vaultObjects: int = 0
    restored: int = 0
    restoredBytes: int = 0
    sourceCompared: int = 0
    sourceGone: int = 0
    sourceChanged: int = 0
    tooLarge: int = 0

    KEYS = contract.DRILL_RESULT_KEYS
