"""The vault's listing, in parallel by folder once the vault is large.

Azure's List Blobs has no "start after a name" in the API version the engine speaks, so the
listing cannot be split by name ranges as S3's is (s3pages.py); it can be split by prefix. A
large vault is walked a few folder levels down with delimiter listings (each returns the blobs
directly in the folder, which are rows like any other, and its subfolders) until there are
enough folders to keep the workers busy; each folder found is then listed flat by one of the
workers. A vault that keeps most blobs in one folder with no subfolders gets no parallelism,
and costs the same requests as a flat listing.

Extra requests over the flat listing's floor (one per 5,000 blobs): one delimiter listing per
folder walked (more when a folder holds over 5,000 entries directly) and at most one partial page
per folder listed flat."""

import threading

from .vault import DATA, Vault

# Below this many blobs (the last run's count) the vault is listed flat: the floor exactly.
FANOUT_MIN_BLOBS = 100000
FANOUT_WORKERS = 8
FANOUT_DEPTH = 4


class _OneAtATime:
    """The vault's credentials for threads: one of them mints or renews a SAS at a time."""

    def __init__(self, credentials):
        self.credentials, self.lock = credentials, threading.Lock()

    def sas_url(self):
        with self.lock:
            return self.credentials.sas_url()


class _Locked:
    """A writer shared by threads, one row at a time."""

    def __init__(self, out):
        self.out, self.lock = out, threading.Lock()

    def write(self, text):
        with self.lock:
            self.out.write(text)


def list_vault(vault, out, expected, workers=FANOUT_WORKERS):
    """Lists data/ into `out`; returns (blobs, folders listed in parallel)."""
    if expected < FANOUT_MIN_BLOBS or workers < 2:
        return vault.list(out), 0
    shared = _Locked(out)
    threaded = Vault(vault.settings, _OneAtATime(vault.credentials), vault.sleep)
    count, folders = walk(threaded, shared, workers)
    count += list_folders(threaded, shared, folders, workers)
    vault.reached = True
    return count, len(folders)


def walk(vault, out, workers):
    """Delimiter listings down from data/, a level at a time, until at least twice as many
    folders as workers are known (or FANOUT_DEPTH levels): returns (blobs listed on the way,
    the folders left to list flat)."""
    level, count = [DATA], 0
    for depth in range(FANOUT_DEPTH):
        below = []
        for prefix in level:
            n, folders = vault.list_under(prefix, out, delimiter="/")
            count += n
            below.extend(folders)
        # A folder the service names twice (on two pages) is listed once.
        below = sorted(set(below))
        if len(below) >= 2 * workers or depth == FANOUT_DEPTH - 1 or not below:
            return count, below
        level = below
    return count, level


def list_folders(vault, out, folders, workers):
    """Lists each folder flat, `workers` at a time; returns the blobs listed. The first error
    stops the others and is raised."""
    queue, lock, totals, errors = list(folders), threading.Lock(), [0], []

    def worker():
        while True:
            with lock:
                if not queue or errors:
                    return  # after an error, no new folder is started
                prefix = queue.pop()
            try:
                n, _ = vault.list_under(prefix, out)
            except Exception as e:  # handed to the caller's thread
                with lock:
                    errors.append(e)
                return
            with lock:
                totals[0] += n

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(min(workers, len(folders)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return totals[0]
