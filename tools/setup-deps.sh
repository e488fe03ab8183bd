#!/usr/bin/env bash
# Installs every Debian 12 package that circuitd's build, tests, benchmarks and demo need.
# Idempotent and quiet when everything is present. Must run as root (or via sudo).
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git ninja-build clang-format
  libboost-dev libboost-system-dev
  libsnmp-dev libpcap-dev libtomlplusplus-dev libspdlog-dev libfmt-dev
  libsqlite3-dev sqlite3 libssl-dev nlohmann-json3-dev libcli11-dev libsystemd-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  snmpd snmp snmptrapd snmpsim fping iproute2 tcpdump iputils-arping procps util-linux
  prometheus-snmp-exporter prometheus-alertmanager systemd dpkg-dev file
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then exec sudo "$0" "$@"; fi
  echo "setup-deps: need root to install: ${missing[*]}" >&2
  exit 1
fi
echo "setup-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# snmpd and prometheus-snmp-exporter start system services on install; circuitd's tests and
# demo start their own instances, so keep the packaged ones from starting.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; created_policy=1; fi
trap '[ $created_policy -eq 1 ] && rm -f "$policy"' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
