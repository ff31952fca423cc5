"""What every module needs: the run's error type, redacted logging and UTC times."""

import calendar
import datetime
import os
import re
import sys
import time

from . import contract

ISO_SECONDS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", re.ASCII)
_REDACTIONS = tuple((re.compile(p, re.IGNORECASE | re.ASCII), r) for p, r in contract.REDACTIONS)


class RunFailed(Exception):
    """The run cannot go on; the message names what failed."""


def redact(text):
    """Remove anything that looks like a credential from a message (contract.REDACTIONS)."""
    text = str(text)
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def redact_doc(doc):
    """A JSON-like document with every string in it redacted (before it is serialised, where a
    JSON escape could hide a credential from the patterns)."""
    if isinstance(doc, str):
        return redact(doc)
    if isinstance(doc, dict):
        return {k: redact_doc(v) for k, v in doc.items()}
    if isinstance(doc, (list, tuple)):
        return [redact_doc(v) for v in doc]
    return doc


def log(msg):
    print("cross-cloud-backup: " + redact(msg), file=sys.stderr, flush=True)


def utc(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def epoch_of(iso):
    """Seconds since the epoch of an ISO 8601 UTC time (fractions ignored). The vault listing
    reads one per blob: the common form is taken apart by position (checked by datetime), and
    anything else goes to strptime, which decides."""
    if ISO_SECONDS.match(iso):
        try:
            return calendar.timegm(datetime.datetime(int(iso[0:4]), int(iso[5:7]), int(iso[8:10]), int(iso[11:13]),
                                                     int(iso[14:16]), int(iso[17:19])).timetuple())
        except ValueError:
            pass
    return calendar.timegm(time.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S"))


def epoch_or_none(text):
    """epoch_of(text), or None for a missing or malformed time."""
    try:
        return epoch_of(text) if text else None
    except ValueError:
        return None


def epoch_of_datetime(dt):
    """Seconds since the epoch of a botocore datetime (S3's LastModified)."""
    return calendar.timegm(dt.utctimetuple())


def free_bytes(path):
    """Bytes an unprivileged writer may still use on the volume holding `path`."""
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def tsv(*fields):
    return "\t".join(str(f) for f in fields) + "\n"
