// The SSM agent: Debian does not package it, so the host downloads AWS's .deb and installs it
// only if its detached signature verifies (gpgv, which apt itself depends on, so every Debian
// host has it) against AWS's SSM agent signing key, shipped here. That is how the rest of the host
// is verified: apt checks Debian's signatures the same way.
// The key is AWS's published "SSM Agent <ssm-agent-signer@amazon.com>" public key (see AWS's
// "Verify the signature of SSM Agent" page and the agent's own repository). Its self-signature
// lists an expiry of 2025-02-17; gpgv does not enforce key expiry, and AWS extends the key rather
// than replacing it. When AWS publishes a new key, replace it here: the fingerprint test fails
// until SSM_AGENT_SIGNER_FINGERPRINT names it.

/** The signing key's fingerprint, as AWS publishes it. */
export const SSM_AGENT_SIGNER_FINGERPRINT = "DE92C7DA3E56E92331D62A36BC1F495C97DD04ED";

/** Where cloud-init writes the key (binary OpenPGP, the form gpgv reads). */
export const SSM_AGENT_KEYRING = "/etc/cross-cloud-backup/ssm-agent-signer.gpg";

/** AWS's SSM agent signing key, ASCII-armored. */
export const SSM_AGENT_SIGNER_KEY = `-----BEGIN PGP PUBLIC KEY BLOCK-----

mQENBGTtIoIBCAD2M1aoGIE0FXynAHM/jtuvdAVVaX3Q4ZejTqrX+Jq8ElAMhxyO
GzHu2CDtCYxtVxXK3unptLVt2kGgJwNbhYC393jDeZx5dCda4Nk2YXX1UK3P461i
axuuXRzMYvfM4RZn+7bJTu635tA07q9Xm6MGD4TCTvsjBfViOxbrxOg5ozWbJdSw
fSR8MwUrRfmFpAefRlYfCEuZ8FHywa9U6jLeWt2O/kqrZliJOAGjGzXtB7EZkqKb
faCCxikjjvhF1awdEqSK4DQorC/OvQc4I5kP5y2CJbtXvXO73QH2yE75JMDIIx9x
rOsIRUoSfK3UrWaOVuAnEEn5ueKzZNqGG1J1ABEBAAG0J1NTTSBBZ2VudCA8c3Nt
LWFnZW50LXNpZ25lckBhbWF6b24uY29tPokBPwQTAQIAKQUCZO0iggIbLwUJAsaY
gAcLCQgHAwIBBhUIAgkKCwQWAgMBAh4BAheAAAoJELwfSVyX3QTt+icH/A//tJsW
I+7Ay8FGJh8dJPNy++HIBjVSFdGNJFWNbw1Z8uZcazHEcUCH3FhW4CLQLTZ3OVPz
qvFwzDtRDVIN/Y9EGDhLMFvimrE+/z4olWsJ5DANf6BnX8I5UNIcRt5d8SWH1BEJ
2FWIBZFgKyTDI6XzRC5x4ahtgpOVAGeeKDehs+wh6Ga4W0/K4GsviP1Kyr+Ic2br
NAIq0q0IHyN1q9zam3Y0+jKwEuNmTj+Bjyzshyv/X8S0JWWoXJhkexkOvWeBYNNt
5wI4QcSteyfIzp6KlQF8q11Hzz9D9WaPfcBEYyhq7vLEARobkbQMBzpkmaZua241
0RaWG50HRvrgm4aJAhwEEAECAAYFAmTtIoMACgkQfdCXo9rX9fwwqBAAzkTgYJ38
sWgxpn7Ux/81F2BWR1sVkmP79i++fXyJlKI8xtcJFQZhzeUos69KBUCy7mgx5bYU
P7NA5o9DUbwz/QS0i1Cqm4+jtFlX0MXe4FikXcqfDPnnzN8mVB2H+fa43iHR1PuH
GgUWuNdxzSoIYRmLZXWmeN5YXPcmixlhLzcE2TOQn1mOKcu2fKdLtBQ8KiEkmjiu
naoLxnUcyk1zMhaha+LzEkQdOyasix0ggylN2ViWVnlmfy0niuXDxW0qZWPdLStF
OODiX3iqGmkH3rDfy6nvxxBR4GIs+MGD72fpWzzrINDgkGI2i2t1+0AX/mps3aTy
+ftlgrim8stYWB58XXDAb0vad06sNye5/zDzfr0I9HupJrTzFhaYJQjWPaSlINto
LDJnBXohiUIPRYRcy/k012oFHDWZHT3H6CyjK9UD5UlxA9H7dsJurANs6FOVRe+7
34uJyxDZ/W7zLG4AVG0zxibrUSoaJxwcOjVPVsQAlrwG/GTs7tcAccsJqbJ1Py/w
9AgJl8VU2qc8POsHNXk348gjP7C8PDnGMpZFzr9f5INctRushpiv7onX+aWJVX7T
n2uX/TP3LCyH/MsrNJrJOQnMYFRLQitciP0E+F+eA3v9CY6mDuyb8JSx5HuGGUsG
S4bKBOcA8vimEpwPoT8CE7fdsZ3Qkwdu+pw=
=zr5w
-----END PGP PUBLIC KEY BLOCK-----
`;

/** The key's binary form, base64: the armor's body without its headers and checksum line. */
export function ssmAgentKeyringBase64(): string {
  const lines = SSM_AGENT_SIGNER_KEY.trim().split("\n");
  const begin = lines.indexOf("") + 1;
  const end = lines.findIndex((l) => l.startsWith("-----END"));
  return lines
    .slice(begin, end)
    .filter((l) => !l.startsWith("="))
    .join("");
}

/**
 * The shell command that installs the agent: download the package and its signature over TLS,
 * install only when gpgv verifies it against the shipped key. On a bad or missing signature it
 * installs nothing, says so on the console, and the boot goes on (the backup does not need the
 * agent; Session Manager and `npm run verify` do).
 */
export function ssmAgentInstallCommand(region: string, debArch: "amd64" | "arm64"): string {
  const url = `https://s3.${region}.amazonaws.com/amazon-ssm-${region}/latest/debian_${debArch}/amazon-ssm-agent.deb`;
  const dir = "/run/cross-cloud-backup-ssm-agent";
  const get = (from: string, to: string) =>
    `curl -fsSL --retry 5 --proto =https -o ${dir}/${to} ${from}`;
  const verified = `gpgv --keyring ${SSM_AGENT_KEYRING} ${dir}/agent.deb.sig ${dir}/agent.deb`;
  const refused = `echo "cross-cloud-backup: the SSM agent package does not verify against AWS's signing key ${SSM_AGENT_SIGNER_FINGERPRINT}: not installed" >&2`;
  const missing = `echo "cross-cloud-backup: could not download the SSM agent or its signature: not installed" >&2`;
  return (
    `mkdir -p ${dir}; ` +
    `if ${get(url, "agent.deb")} && ${get(`${url}.sig`, "agent.deb.sig")}; ` +
    `then if ${verified}; then dpkg -i ${dir}/agent.deb; else ${refused}; fi; ` +
    `else ${missing}; fi; rm -rf ${dir}`
  );
}
