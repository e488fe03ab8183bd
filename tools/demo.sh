#!/usr/bin/env bash
# Quick-start command (1): install what is missing, build, then run the daemon for real on the
# bundled demo configuration (config/demo.toml). Debian's snmpd, started here on 127.0.0.1:11161
# with a generated configuration, stands in for the carrier edge device; the demo circuits'
# probe targets are loopback addresses; the store is an SQLite file under config/state/demo/.
# circuitd logs every circuit state change. Ctrl-C stops the daemon and snmpd.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup-deps.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target circuitd circuitctl

SNMP_LISTEN=127.0.0.1:11161   # device address/port in config/demo/topology.toml
TRAP_SINK=127.0.0.1:11162     # [daemon] trap_listen in config/demo.toml
work=$(mktemp -d /tmp/circuitd-demo.XXXXXX)
snmpd_pid=""
cleanup() {
  trap - EXIT INT TERM
  if [[ -n "$snmpd_pid" ]] && kill -0 "$snmpd_pid" 2>/dev/null; then
    kill -TERM "$snmpd_pid" 2>/dev/null || true
    wait "$snmpd_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ss -Hlun "sport = :${SNMP_LISTEN##*:}" | grep -q .; then
  echo "demo: UDP port ${SNMP_LISTEN##*:} is already in use; stop whatever holds it" >&2
  exit 1
fi
# The demo files hold the SNMP community; keep them private as circuitd asks of any config.
chmod go-rwx config/demo.toml config/demo/*.toml
tools/demo/snmpd-conf.sh "$SNMP_LISTEN" demo-ro "$TRAP_SINK" demo-trap >"$work/snmpd.conf"
mkdir -p "$work/snmp"
# -C: only our configuration; MIBS= : Debian ships no MIB files, snmpd answers numeric OIDs.
SNMP_PERSISTENT_DIR="$work/snmp" MIBS= snmpd -f -C -c "$work/snmpd.conf" -Lf "$work/snmpd.log" \
  -p "$work/snmpd.pid" &
snmpd_pid=$!
for _ in $(seq 50); do
  if snmpget -v2c -c demo-ro -r0 -t0.2 -Oqv "$SNMP_LISTEN" 1.3.6.1.2.1.1.5.0 >/dev/null 2>&1; then
    break
  fi
  kill -0 "$snmpd_pid" 2>/dev/null || { cat "$work/snmpd.log" >&2; exit 1; }
  sleep 0.1
done
echo "demo: snmpd (pid $snmpd_pid) answers on udp:$SNMP_LISTEN as demo-atn-01; starting circuitd"
echo "demo: Ctrl-C stops everything"
# Foreground: Ctrl-C reaches circuitd, which stops gracefully; the EXIT trap then stops snmpd.
"$BUILD_DIR/daemon/circuitd" --config config/demo.toml "$@"
