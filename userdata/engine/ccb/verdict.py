"""The one rule for bytes read back from the vault, as restore applies it (domain/verdict.ts):
the drill and the integrity check use this copy, so they pass only where a restore would. Both
copies are tested on test/fixtures/verification-cases.json."""

import json
import re
import urllib.parse

from . import contract

_HEX32 = re.compile(r"[0-9a-f]{32}")
# A "%" not followed by two hex digits: JavaScript's decodeURIComponent refuses it, so must we.
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_QUOTED = re.compile(r"(?:[A-Za-z0-9_.~-]|%[0-9A-Fa-f]{2})*", re.ASCII)


def _whole(v):
    """A JSON whole number (JavaScript cannot tell 1.0 from 1, so neither do we)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and abs(v) < 2 ** 53 and v == int(v)


def _count(v):
    return _whole(v) and v >= 0


def _unquote(raw):
    """urllib's strict unquote; what quote(safe="") wrote (the engine's records: letters, digits,
    "_.-~" and escapes) is decoded by C code, a vault listing decodes one record per blob."""
    if _QUOTED.fullmatch(raw):
        return raw.replace("%", "\\x").encode("ascii").decode("unicode_escape").encode("latin-1").decode("utf-8")
    return urllib.parse.unquote(raw, errors="strict")


def parse_record(raw):
    """(record, None), or (None, why the CONTENT_RECORD value cannot be trusted)."""
    if _BAD_ESCAPE.search(raw):
        return None, "it is not URL-encoded JSON"
    try:
        r = json.loads(_unquote(raw))
    except (ValueError, UnicodeDecodeError):
        return None, "it is not URL-encoded JSON"
    if not isinstance(r, dict):
        return None, "it is not a JSON object"
    if r.get("format") != contract.CONTENT_RECORD_FORMAT or isinstance(r.get("format"), bool):
        return None, "format %s is not %d" % (json.dumps(r.get("format")), contract.CONTENT_RECORD_FORMAT)
    if not isinstance(r.get("etag"), str) or not r["etag"]:
        return None, "etag is missing"
    if "versionId" in r and not isinstance(r["versionId"], str):
        return None, "versionId is not a string"
    if not _count(r.get("size")):
        return None, "size is not a whole number"
    if not _whole(r.get("mtime")):
        return None, "mtime is not a whole number"
    if not isinstance(r.get("sse"), str):
        return None, "sse is missing"
    if not isinstance(r.get("md5"), str) or not _HEX32.fullmatch(r["md5"]):
        return None, "md5 is not 32 hex digits"
    if not _count(r.get("meta")):
        return None, "meta is not a whole number"
    if not isinstance(r.get("engine"), str):
        return None, "engine is missing"
    return r, None


def expected_content(size, content_md5, raw_record):
    """(md5 or None, trusted, problem or None): what a reader checks bytes against."""
    if raw_record is None:
        return content_md5, False, None
    r, problem = parse_record(raw_record)
    if problem:
        return None, False, "its content record is unreadable (%s)" % problem
    problem = record_problem(size, content_md5, r)
    return (r["md5"], True, None) if problem is None else (None, False, problem)


def record_problem(size, content_md5, r):
    """Why a readable content record does not hold for this blob, or None."""
    if int(r["size"]) != size:
        return "its content record says %d bytes but the blob has %d" % (r["size"], size)
    if content_md5 is None:
        return "its content record has an MD5 but the blob has no Content-MD5"
    if content_md5 != r["md5"]:
        return "its Content-MD5 %s contradicts its content record's MD5 %s" % (content_md5, r["md5"])
    return None


def content_verdict(size, content_md5, raw_record, read_size, read_md5):
    """(verdict, reason) on bytes read back from a blob: "verified", "unverified" or "mismatch"."""
    if read_size != size:
        return "mismatch", "read %d bytes, the blob has %d" % (read_size, size)
    md5, trusted, problem = expected_content(size, content_md5, raw_record)
    if problem:
        return "unverified", problem
    if trusted:
        if read_md5 != md5:
            return "mismatch", "the MD5 of its bytes %s differs from the recorded %s" % (read_md5, md5)
        return "verified", "size and MD5 match its content record"
    if md5 is None:
        return "unverified", "no content record and no Content-MD5 (written by an older engine)"
    if read_md5 != md5:
        return "unverified", ("no content record, and its Content-MD5 %s is not the MD5 of its bytes %s "
                              "(an older engine stored a source ETag)" % (md5, read_md5))
    return "verified", "no content record, but its Content-MD5 matches its bytes"
