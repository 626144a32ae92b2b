#!/usr/bin/env bash
# Installs the Debian packages the end-to-end tests drive, when missing: real Matrix clients,
# Chromium (with a font) for the web page's browser tests, redis-server for the cluster bus's
# restart test (which starts its own).
set -euo pipefail
want=(python3-matrix-nio libnet-async-matrix-perl chromium fonts-dejavu-core redis-server)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing ${missing[*]}; run as root or install them with apt-get" >&2
  exit 1
fi
echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
