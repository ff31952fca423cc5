import os
import time

from ccb import base, credentials, settings

from helpers import TempDirTest, make_settings


class CredentialsTest(TempDirTest):
    def creds(self, kind, env=None, conf=None):
        if conf is not None:
            self.write("rclone.conf", [conf])
        paths = settings.Paths(state=self.dir, config=self.dir)
        return credentials.Credentials(make_settings(credential=kind), paths, env or {})

    def test_user_data_delivery_reads_the_vault_section_of_the_rclone_config(self):
        conf = "[source]\nsas_url = wrong\n[vault]\ntype = azureblob\nsas_url = https://a/backup?sv=1&sig=FAKE\n"
        c = self.creds("userData", conf=conf)
        self.assertEqual(c.sas_url(), "https://a/backup?sv=1&sig=FAKE")
        self.assertEqual(c.rclone_env(), {})

    def test_an_environment_override_wins_and_a_missing_sas_is_a_clear_failure(self):
        c = self.creds("userData", env={"RCLONE_CONFIG_VAULT_SAS_URL": "https://b/backup?sig=X"}, conf="[vault]\n")
        self.assertEqual(c.sas_url(), "https://b/backup?sig=X")
        with self.assertRaisesRegex(base.RunFailed, "no SAS for the vault"):
            self.creds("userData", conf="[vault]\ntype = azureblob\n").sas_url()

    def test_seconds_left_reads_the_sas_expiry(self):
        expiry = base.utc(time.time() + 7200)
        c = self.creds("userData", env={"RCLONE_CONFIG_VAULT_SAS_URL": "https://b/c?se=%s&sig=X" % expiry})
        self.assertAlmostEqual(c.seconds_left(), 7200, delta=5)
        self.assertIsNone(self.creds("userData", env={"RCLONE_CONFIG_VAULT_SAS_URL": "https://b/c?sig=X"}).seconds_left())

    def test_ssm_delivery_reads_the_parameter_once_and_hands_it_to_rclone(self):
        bin_dir = os.path.join(self.dir, "bin")
        os.mkdir(bin_dir)
        calls = os.path.join(self.dir, "calls")
        with open(os.path.join(bin_dir, "aws"), "w") as f:
            f.write('#!/bin/sh\necho "$*" >> %s\necho "https://v/backup?sig=FAKEssm"\n' % calls)
        os.chmod(os.path.join(bin_dir, "aws"), 0o755)
        c = self.creds("ssm", env={"PATH": bin_dir + ":/usr/bin:/bin"})
        c.load_ssm()
        self.assertEqual(c.sas_url(), "https://v/backup?sig=FAKEssm")
        self.assertEqual(c.rclone_env(), {"RCLONE_CONFIG_VAULT_SAS_URL": "https://v/backup?sig=FAKEssm"})
        with open(calls) as f:
            self.assertEqual(len(f.readlines()), 1)
