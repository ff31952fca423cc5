"""Key names: which S3 keys the vault can hold exactly, and the blob names rclone gives them."""

import re

ARCHIVE_CLASSES = ("GLACIER", "DEEP_ARCHIVE")
AZURE_NAME_MAX = 1024
AZURE_SEGMENTS_MAX = 254
# rclone 1.60.1 uploads in blocks of --azureblob-chunk-size; a block blob holds 50,000 blocks.
CHUNK_BYTES = 16 * 1024 * 1024
MAX_OBJECT_BYTES = CHUNK_BYTES * 50000
# Characters rclone itself uses to encode names (control pictures, fullwidth . / \ and its
# quote). A key containing one could not be restored unambiguously, so it is named instead.
ENCODING_CHARS = re.compile("[\u2400-\u2421\uff0f\uff3c\u201b\ufffd]")
# What encode_segment changes: a control character, DEL, a backslash, a segment's trailing '.'.
NEEDS_ENCODING = re.compile(r"[\x00-\x1f\x7f\\]|\.(?=/|$)")


def key_problem(rel):
    """Why an S3 key (relative to the prefix) cannot be stored so it restores exactly, or None."""
    if rel == "":
        return "the key equals the prefix (a folder marker)"
    if rel.endswith("/"):
        return "the key ends in '/' (a folder marker): rclone cannot address it"
    if rel.startswith("/") or "//" in rel:
        return "the key has an empty path segment ('//' or a leading '/'): rclone cannot address it"
    if "\n" in rel or "\r" in rel:
        return "the key contains a line break"
    if any(seg in (".", "..") for seg in rel.split("/")):
        return "the key has a '.' or '..' path segment"
    if ENCODING_CHARS.search(rel) or any(seg.endswith("\uff0e") for seg in rel.split("/")):
        return "the key contains a character rclone uses to encode names (U+2400-U+2421, U+FF0F, U+FF3C, U+201B, U+FF0E at the end of a segment) or U+FFFD"
    return None


def archive_problem(run_id, name):
    """Why data/<name> cannot be moved or copied to archive/<run_id>/<name> (mirror mode), or
    None: the archive name is 30 characters and one segment longer than the data/ name."""
    full = "archive/%s/%s" % (run_id, name)
    if utf16_len(full) > AZURE_NAME_MAX:
        return "its archive name (archive/%s/...) would be %d characters; Azure allows %d" % (
            run_id, utf16_len(full), AZURE_NAME_MAX)
    if full.count("/") + 1 > AZURE_SEGMENTS_MAX:
        return "its archive name would have %d path segments; Azure allows %d" % (full.count("/") + 1, AZURE_SEGMENTS_MAX)
    return None


def storage_problem(name, size, storage_class):
    """Why an object with a valid key still cannot be stored (Azure's name limits, the largest
    upload, an archive storage class), or None. `name` is its blob name relative to data/."""
    full = "data/" + name
    if utf16_len(full) > AZURE_NAME_MAX:
        return "the blob name would be %d characters; Azure allows %d" % (utf16_len(full), AZURE_NAME_MAX)
    if full.count("/") + 1 > AZURE_SEGMENTS_MAX:
        return "the key has more than %d path segments; Azure allows %d" % (AZURE_SEGMENTS_MAX - 1, AZURE_SEGMENTS_MAX)
    if size > MAX_OBJECT_BYTES:
        return "the object is larger than %d bytes, the largest upload with %d MiB blocks" % (
            MAX_OBJECT_BYTES, CHUNK_BYTES >> 20)
    if storage_class in ARCHIVE_CLASSES:
        # Listed in the vault file too: an old copy must never look deleted.
        return "storage class %s: objects in archive storage classes are not copied (a restored copy keeps its class)" % storage_class
    return None


def encode_segment(seg):
    """rclone's azureblob encoding (1.60.1 default): control characters and DEL become control
    pictures, a backslash becomes a fullwidth backslash, and a trailing period becomes a
    fullwidth full stop (Azure cannot hold names ending in '.')."""
    out = []
    for ch in seg:
        c = ord(ch)
        if c < 0x20:
            out.append(chr(0x2400 + c))
        elif c == 0x7F:
            out.append("\u2421")
        elif ch == "\\":
            out.append("\uff3c")
        else:
            out.append(ch)
    if out and out[-1] == ".":
        out[-1] = "\uff0e"
    return "".join(out)


def blob_name(rel):
    """The name rclone gives the blob of a plain key, relative to data/."""
    if not NEEDS_ENCODING.search(rel):
        return rel  # most keys: the listing names 100M of them a run
    return "/".join(encode_segment(s) for s in rel.split("/"))


def _decode_char(c):
    if 0x2400 <= ord(c) < 0x2420:
        return chr(ord(c) - 0x2400)
    return "\x7f" if c == "\u2421" else "\\" if c == "\uff3c" else c


def decode_blob_name(name):
    """The rclone name of a blob this engine wrote (the inverse of blob_name)."""
    out = []
    for seg in name.split("/"):
        if seg.endswith("\uff0e"):
            seg = seg[:-1] + "."
        out.append("".join(_decode_char(c) for c in seg))
    return "/".join(out)


def restores_exactly(name):
    """The key a blob name decodes to, if this engine writes exactly that name for it, else None."""
    rel = decode_blob_name(name)
    return rel if key_problem(rel) is None and blob_name(rel) == name else None


def utf16_len(s):
    return len(s.encode("utf-16-le")) // 2
