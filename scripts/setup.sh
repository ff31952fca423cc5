#!/usr/bin/env bash
# Installs what the demo and the tests need on a Debian 12 machine: rclone (the same Debian
# build the sync host installs), jq, the validators (shellcheck, cloud-init, systemd-analyze),
# and the npm packages. Uses sudo when not root. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
apt_packages=(rclone jq shellcheck cloud-init systemd util-linux)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "rclone: $(rclone version | head -n 1)"
npm ci --no-audit --no-fund
