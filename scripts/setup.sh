#!/usr/bin/env bash
# Installs what the demo and the tests need on a Debian 12 machine: the engine's packages at the
# exact versions the tests run (userdata/host-packages.txt: rclone, python3-botocore, zstd; the sync
# host takes Debian's rebuilds of the same upstream versions),
# the validators (shellcheck, pyflakes, cloud-init, systemd-analyze), headless Chromium, and
# the npm packages. Uses sudo when not root. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
wanted=()
while IFS= read -r line; do
  case "$line" in '' | '#'*) continue ;; esac
  wanted+=("$line")
done <userdata/host-packages.txt
# Headless Chromium prints the evidence report to PDF (npm run report -- --pdf) and renders it in
# its test; fonts-dejavu-core is the font the report names.
wanted+=(python3 shellcheck python3-pyflakes cloud-init systemd util-linux chromium fonts-dejavu-core)
missing=()
for p in "${wanted[@]}"; do
  name="${p%%=*}"
  have="$(dpkg-query -W -f='${Status} ${Version}' "$name" 2>/dev/null || true)"
  case "$p" in
    *=*) [ "$have" = "install ok installed ${p#*=}" ] || missing+=("$p") ;;
    *) [[ "$have" == "install ok installed "* ]] || missing+=("$p") ;;
  esac
done
if [ "${#missing[@]}" -gt 0 ]; then
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends --allow-downgrades "${missing[@]}"
fi
echo "rclone: $(rclone version | head -n 1)"
npm ci --no-audit --no-fund
