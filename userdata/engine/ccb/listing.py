"""Both listings of a run at once, each streamed straight into its own external sort.

The vault is listed in a child process (the other core: both listings spend their CPU parsing
XML) while the source is listed in parallel key ranges (s3pages.py). Each row goes from the
parser into sort(1)'s input; sort keeps its temporary runs compressed in the run folder, and its
sorted output is never written to disk: the march (march.py) reads it from the pipe. So the
scratch disk a run needs is the compressed size of both listings, and memory stays flat.

A sorted stream counts only once its sort has exited cleanly: finish() raises on a sort that
failed (a full disk included), after the march but before anything acts on its plan, so a
truncated listing can never be taken for a complete one."""

import errno
import io
import multiprocessing
import os
import shutil
import signal
import subprocess
import threading

from . import freshness, vaultlist
from .base import RunFailed, log

SORT_MEMORY = "32M"
# sort(1) compresses its temporary runs with this program (and "-d" to read them back): zstd at
# level 1 made a 10M-object listing take a fifth less CPU than gzip, with smaller runs (npm run
# bench -- --synthetic, docs/scale.md); gzip only where zstd is not installed (a host from before
# it was a host package). Their settings are ours whatever the environment holds: an inherited
# ZSTD_NBTHREADS or GZIP would change them, and make each process print a warning.
SORT_COMPRESSORS = (("zstd", {"ZSTD_CLEVEL": "1", "ZSTD_NBTHREADS": "1"}), ("gzip", {}))
_COMPRESSOR_ENVIRONMENT = ("ZSTD_CLEVEL", "ZSTD_NBTHREADS", "GZIP")


def sort_compressor():
    """(program, environment) for sort's --compress-program: the first one installed."""
    for program, env in SORT_COMPRESSORS:
        if shutil.which(program):
            return program, env
    raise RunFailed("neither zstd nor gzip is installed: sort cannot keep its temporary runs small")


class _Tail(threading.Thread):
    """Reads sort's stderr (its compressors' too) to the end as it comes, keeping the last bytes:
    however much they print, the pipe never fills and stalls them. It closes the pipe itself."""

    KEEP = 16384

    def __init__(self, pipe):
        super().__init__(daemon=True)
        self.pipe, self.tail = pipe, b""
        self.start()

    def run(self):
        with self.pipe:
            for chunk in iter(lambda: os.read(self.pipe.fileno(), 65536), b""):
                self.tail = (self.tail + chunk)[-self.KEEP:]

    def text(self, wait=10):
        self.join(wait)
        return self.tail.decode("utf-8", "replace").strip()


class SortedStream:
    """One sort(1): rows go in with write(), and come out sorted by their first field (bytewise,
    LC_ALL=C, as the march compares them) from rows() once the input is closed."""

    def __init__(self, tmpdir, label):
        self.label = label
        self.outcome = None  # finish()'s: None until sort has been waited for, then its error or False
        program, settings = sort_compressor()
        env = {k: v for k, v in os.environ.items() if k not in _COMPRESSOR_ENVIRONMENT}
        env.update(settings, LC_ALL="C")
        self.proc = subprocess.Popen(
            ["sort", "-t", "\t", "-k1,1", "-S", SORT_MEMORY, "-T", tmpdir, "--compress-program=" + program],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.errors = _Tail(self.proc.stderr)
        self.input = io.TextIOWrapper(self.proc.stdin, encoding="utf-8", newline="\n")

    def write(self, text):
        self.input.write(text)

    def close_input(self):
        try:
            self.input.close()
        except BrokenPipeError:
            pass  # sort ended early: finish() says why

    def rows(self):
        """The sorted rows, as lists of fields (only "\\n" ends a row). At the end of sort's output
        it checks how sort ended (finish()), so a sort that died while merging raises here, where
        its output stops, and its last rows are never taken for the end of the listing; sort ends
        every row it writes with "\\n", so a row without one was cut short."""
        with io.TextIOWrapper(self.proc.stdout, encoding="utf-8", newline="\n") as out:
            for line in out:
                if not line.endswith("\n"):
                    break
                yield line[:-1].split("\t")
        self.finish()

    def finish(self):
        """Waits for sort; raises when it did not sort everything (ENOSPC as the OSError it is).
        Called again, it says the same."""
        if self.outcome is None:
            self.proc.stdout.close()
            code = self.proc.wait()
            self.outcome = self._failure(code, self.errors.text()) if code else False
        if self.outcome:
            raise self.outcome

    def _failure(self, code, detail):
        last = detail.splitlines()[-1] if detail else "exit %d" % code
        if "No space left" in detail:
            return OSError(errno.ENOSPC, "No space left on device (sort of the %s listing: %s)" % (self.label, last))
        return RunFailed("sorting the %s listing failed: %s" % (self.label, last))

    def diagnose(self, wait=10):
        """Raises what finish() would for a sort that has ended badly (its input closed), or
        returns when it is still running or ended well."""
        try:
            self.proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            return
        if self.proc.returncode != 0:
            self.finish()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):  # stderr is the reader's to close
            try:
                f.close()
            except OSError:
                pass
        self.errors.join(10)


class Listings:
    """A run's two listings (a context manager): run() lists both sides, then source_rows() and
    vault_rows() give them sorted; leaving the block checks both sorts, or stops them on error."""

    def __init__(self, ctx, run_dir, skipped):
        self.ctx, self.run_dir, self.skipped = ctx, run_dir, skipped
        self.source = self.vault = None
        self.sourceObjects = self.sourceBytes = self.vaultObjects = self.rangesSplit = self.vaultFolders = 0

    def __enter__(self):
        self.source = SortedStream(self.run_dir, "source")
        self.vault = SortedStream(self.run_dir, "vault")
        return self

    def run(self, label=""):
        """Lists both sides at once; returns when both listings are complete and sorted input."""
        reply, child_end = multiprocessing.Pipe(duplex=False)
        ctx = multiprocessing.get_context("fork")
        # The last run's count decides whether the vault is listed by folder in parallel.
        expected = freshness.expected_objects(self.ctx.paths)
        # daemon: the child never outlives the run's interpreter.
        child = ctx.Process(target=_list_vault, daemon=True,
                            args=(self.ctx.vault, self.vault, self.source, child_end, (os.getpid(), expected)))
        child.start()
        child_end.close()
        self.vault.close_input()  # the child holds the vault sort's input now
        try:
            log("%slisting the source and the vault" % label)
            self.sourceObjects, self.sourceBytes, self.rangesSplit = self.ctx.source.list(self.source, self.skipped)
            self.source.close_input()
            outcome = _outcome(reply, child)
        except BaseException:
            child.terminate()
            _outcome(reply, child)
            raise
        self.ctx.vault.tried = True
        kind, value = outcome
        if kind == "ok":
            self.vaultObjects, self.vaultFolders = value
            self.ctx.vault.reached = True
            log("%slisted %d source objects in %d key ranges and %d vault blobs%s" % (
                label, self.sourceObjects, self.rangesSplit + 1, self.vaultObjects,
                " in %d folders" % self.vaultFolders if self.vaultFolders else ""))
            return
        if kind == "ENOSPC":
            raise OSError(errno.ENOSPC, value)
        raise RunFailed(value)

    def source_rows(self):
        return self.source.rows()

    def vault_rows(self):
        return self.vault.rows()

    def __exit__(self, kind, error, tb):
        if kind is not None:
            try:
                if _broken_pipe(error):
                    # A sort that died mid-listing shows as a broken pipe: say why it died
                    # (a full disk is the common reason, and has its own remedy).
                    self.source.diagnose()
                    self.vault.diagnose()
            finally:
                self.source.kill()
                self.vault.kill()
            return False
        try:
            self.source.finish()
            self.vault.finish()
        finally:
            self.source.kill()
            self.vault.kill()
        return False


def _broken_pipe(error):
    """A write into a sort that is gone, in this process or (reported) in the vault's."""
    return isinstance(error, BrokenPipeError) or (isinstance(error, RunFailed) and "Broken pipe" in str(error))


def _outcome(reply, child):
    """What the vault's child process reported: ("ok", blobs), ("ENOSPC", message) or
    ("failed", message)."""
    try:
        outcome = reply.recv() if reply.poll(None) else ("failed", "the vault listing ended without a word")
    except EOFError:
        outcome = ("failed", "the vault listing process ended (exit %s)" % child.exitcode)
    child.join()
    reply.close()
    return outcome


def _list_vault(vault, stream, other, reply, run):
    """The child process: lists the vault into its sort, reports the count or the error."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    other.input.close()  # the source's sort must see its input end when the parent closes it
    try:
        parent, expected = run
        listed = vaultlist.list_vault(vault, _Orphaned(stream, parent), expected)
        stream.input.close()
        reply.send(("ok", listed))
    except OSError as e:
        reply.send(("ENOSPC" if e.errno == errno.ENOSPC else "failed", "listing the vault: %s" % e))
    except RunFailed as e:
        reply.send(("failed", str(e)))
    except Exception as e:  # reported, not lost: the parent fails the run with it
        reply.send(("failed", "listing the vault: %s: %s" % (e.__class__.__name__, e)))


class _Orphaned:
    """The child's output: stops the child when its parent (the run) is gone."""

    def __init__(self, stream, parent):
        self.stream, self.parent = stream, parent

    def write(self, text):
        if os.getppid() != self.parent:
            os._exit(1)
        self.stream.write(text)
