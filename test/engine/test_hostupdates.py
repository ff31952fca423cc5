import subprocess
import unittest

from ccb import hostupdates

# What Debian 12's apt-get -s upgrade prints (a stable point-release update, one also in the
# security archive, one only there, and apt's own notes around them).
APT_OUTPUT = """NOTE: This is only a simulation!
      apt-get needs root privileges for real execution.
Reading package lists...
Inst base-files [12.4+deb12u11] (12.4+deb12u12 Debian:12.12/stable [amd64])
Inst libssl3 [3.0.15-1~deb12u1] (3.0.16-1~deb12u1 Debian:12.12/stable, Debian-Security:12/stable-security [amd64])
Inst rclone [1.60.1+dfsg-2+b5] (1.60.1+dfsg-2+deb12u1 Debian-Security:12/stable-security [arm64])
Inst libc6 [2.36-9+deb12u9] (2.36-9+deb12u10 Debian-Security:12/oldstable-security [amd64]) []
Conf libssl3 (3.0.16-1~deb12u1 Debian:12.12/stable, Debian-Security:12/stable-security [amd64])
Conf rclone (1.60.1+dfsg-2+deb12u1 Debian-Security:12/stable-security [arm64])
"""


def fake_apt(stdout="", returncode=0, raises=None):
    calls = []

    def run(cmd, **kwargs):
        calls.append((cmd, kwargs))
        if raises:
            raise raises
        return subprocess.CompletedProcess(cmd, returncode, stdout=stdout, stderr="")

    return run, calls


class PendingSecurityUpdatesTest(unittest.TestCase):
    def test_counts_only_what_comes_from_the_security_archive(self):
        self.assertEqual(hostupdates.parse(APT_OUTPUT), ["libssl3", "rclone", "libc6"])

    def test_asks_apt_for_a_simulation_without_root_or_a_lock_and_bounds_it(self):
        run, calls = fake_apt(APT_OUTPUT)
        self.assertEqual(hostupdates.pending(run), (3, ["libc6", "libssl3", "rclone"]))
        cmd, kwargs = calls[0]
        self.assertEqual(cmd[0], "apt-get")
        self.assertIn("-s", cmd)
        self.assertEqual(cmd[-1], "upgrade")
        self.assertIn("Debug::NoLocking=true", cmd)
        self.assertEqual(kwargs["timeout"], hostupdates.APT_TIMEOUT_SECONDS)
        self.assertEqual(kwargs["env"]["LC_ALL"], "C")

    def test_nothing_pending_is_zero(self):
        run, _ = fake_apt(APT_OUTPUT.replace("Debian-Security", "Debian").replace("-security", ""))
        self.assertEqual(hostupdates.pending(run), (0, []))

    def test_names_at_most_twenty_but_counts_them_all(self):
        lines = "".join("Inst pkg%02d [1] (2 Debian-Security:12/stable-security [amd64])\n" % i for i in range(25))
        count, names = hostupdates.pending(fake_apt(lines)[0])
        self.assertEqual(count, 25)
        self.assertEqual(names, ["pkg%02d" % i for i in range(20)])

    def test_apt_failing_or_missing_or_hanging_is_unknown_not_a_failed_run(self):
        for run in (fake_apt("E: oops", returncode=100)[0], fake_apt(raises=FileNotFoundError("apt-get"))[0],
                    fake_apt(raises=subprocess.TimeoutExpired("apt-get", 120))[0]):
            self.assertEqual(hostupdates.pending(run), (None, []))


if __name__ == "__main__":
    unittest.main()
