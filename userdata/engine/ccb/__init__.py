"""cross-cloud-backup's sync engine: what the sync host runs.

One backup run from S3 to Azure Blob, in a single pass with bounded memory:
  1. list the source once (ListObjectsV2, 1,000 keys a page) and the vault once (List Blobs,
     5,000 a page), streaming each listing to a file on disk (source.py, vault.py);
  2. sort both files on disk (sort(1) works in external memory) and walk them together
     (march.py): an object is copied when it is missing from the vault or differs in size,
     modification time or MD5 (plan.py);
  3. copy the difference with rclone in bounded batches (rclone.py), reading the outcome of
     every object from rclone's JSON log (backup.py).
The integrity check (integrity.py) and the restore drill (drill.py) share the listings, the
walk and the run's bookkeeping (runs.py). Only the standard library and botocore (Debian's
python3-botocore) are used. Credentials never reach logs: every message passes through
base.redact(), whose patterns come from the generated contract (contract.py).

The package travels to the host as one bundle pinned by SHA-256 (userdata/loader.py); the
stack's settings travel separately as settings.json (settings.py).
"""
