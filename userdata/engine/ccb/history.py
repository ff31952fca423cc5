"""The vault's history: status/history/<yyyy-mm>.jsonl, one append blob per UTC month of a record's
end, one JSON line per backup run, integrity check and restore drill. A line is the document just
written to the matching status blob (last-run.json, last-integrity.json, last-drill.json) plus
its `kind`, so the status blobs say what is current and the history what happened, for as long
as the vault keeps it. Lines are only ever added (Append Block); none is rewritten.

Writing the history never changes a run's outcome: a record that cannot be appended is logged
and reported in the journal's headline (historyWritten), and is not retried by a later run (the
host keeps no queue: the next run's own record is all it appends)."""

import json
import re
import time

from . import contract
from .base import RunFailed, log

HISTORY = contract.STATUS_HISTORY
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])-")


def blob_path(finished):
    """The history blob for a record that ended at `finished` (ISO 8601 UTC); without a usable
    time, this month's."""
    month = finished[:7] if isinstance(finished, str) and MONTH.match(finished) else (
        time.strftime("%Y-%m", time.gmtime()))
    return HISTORY["folder"] + month + HISTORY["extension"]


def record(kind, doc):
    """One history line: `doc` with its kind, as one line of ASCII JSON ending in a newline.
    ASCII, so no character inside a value can split the line for a reader (U+2028 does in some
    line splitters); the JSON decodes to the same document."""
    if kind not in HISTORY["kinds"]:
        raise ValueError("history: unknown kind %r (expected one of %s)" % (kind, ", ".join(HISTORY["kinds"])))
    if doc.get("kind", kind) != kind:
        raise ValueError("history: a %s record cannot carry kind %r" % (kind, doc["kind"]))
    line = {"kind": kind}
    line.update(doc)
    return (json.dumps(line, ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")


def append(vault, kind, doc):
    """Appends the record of `doc` to its month's history blob, creating the blob on the month's
    first record. Returns whether it was written; never raises."""
    path = blob_path(doc.get("finished"))
    if not vault.reached:
        log("the vault was not reached this run: the %s record is not in the history (%s)" % (kind, path))
        return False
    try:
        line = record(kind, doc)
        try:
            vault.append_block(path, line)
        except RunFailed as e:
            if not str(e).startswith("BlobNotFound"):
                raise
            vault.create_append_blob(path)
            vault.append_block(path, line)
    except Exception as e:  # the history is evidence, not the backup: it never fails a run
        log("could not append the %s record to the vault's history %s (%s): it is missing there and is not "
            "retried; the host keeps it in its run folder" % (kind, path, e))
        return False
    return True
