#!/usr/bin/env bash
# The benchmark across a (virtual) network: two network namespaces of our own joined by a veth
# pair, ~20 ms round trip added by a userspace relay (tc netem does not work here), and a share
# of addresses silently dropped by iptables, as a firewall would.
#
#   sudo scripts/bench-netns.sh [HOSTS] [DELAY_MS]      # defaults: 64 hosts x 2 ports, 10 ms each way
#
#   client ns  fpbc-PID: 10.254.0.1/30 on veth; routes 10.254.0.0/16 to the server ns. Runs the scan.
#   server ns  fpbs-PID: 10.254.0.2/30 on veth, and as local addresses (no interface):
#     10.254.1.0/24  relays (examples/bench.rs --serve) to rustls servers on the ns's own
#                    127.0.1.x, ports 6443 and 2379: TLS with +2*DELAY_MS per round trip
#     10.254.2.0/24  iptables DROP: filtered, every connect times out
#     10.254.3.0/24  nothing listens: closed, answered with RST
#
# The 10.254/16 addresses exist only inside these two namespaces (neither has a route out, and
# the host's namespace has none to them), so no packet leaves the machine. Everything is
# removed on exit, however the script ends.

set -euo pipefail

HOSTS=${1:-64}
DELAY_MS=${2:-10}
CONNECT_TIMEOUT=${CONNECT_TIMEOUT:-3s}  # the CLI default
read -r -a EXTRA <<<"${FIPSPROBE_ARGS:-}"  # more scan options, e.g. FIPSPROBE_ARGS="--retries 0"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
NS_C=fpbc-$$
NS_S=fpbs-$$
VETH_C=fpbc$$
VETH_S=fpbs$$
WORK=$(mktemp -d)
SERVER_PID=
SCAN_PID=

if [ "$(id -u)" != 0 ]; then
    echo "bench-netns: needs root (ip netns, iptables); try sudo $0" >&2
    exit 2
fi
if ! command -v iptables >/dev/null; then
    echo "bench-netns: installing iptables" >&2
    apt-get install -y -qq iptables >/dev/null
fi

cleanup() {
    # Everything running in our namespaces is ours (the servers, a scan cut short); a
    # namespace lives on while a process is in it.
    for ns in "$NS_C" "$NS_S"; do
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        [ -n "$pids" ] && kill $pids 2>/dev/null || true
    done
    if [ -n "$SERVER_PID" ]; then
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ -n "$SCAN_PID" ]; then
        wait "$SCAN_PID" 2>/dev/null || true
    fi
    # Deleting a namespace deletes its end of the veth, and with it the pair.
    ip netns del "$NS_C" 2>/dev/null || true
    ip netns del "$NS_S" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building (release)..." >&2
(cd "$ROOT" && cargo build --release --quiet --bin fipsprobe --example bench)
FIPSPROBE=$TARGET_DIR/release/fipsprobe
BENCH=$TARGET_DIR/release/examples/bench

in_c() { ip netns exec "$NS_C" "$@"; }
in_s() { ip netns exec "$NS_S" "$@"; }

ip netns add "$NS_C"
ip netns add "$NS_S"
ip link add "$VETH_C" type veth peer name "$VETH_S"
ip link set "$VETH_C" netns "$NS_C"
ip link set "$VETH_S" netns "$NS_S"

in_c ip link set lo up
in_c ip addr add 10.254.0.1/30 dev "$VETH_C"
in_c ip link set "$VETH_C" up
in_c ip route add 10.254.0.0/16 via 10.254.0.2

in_s ip link set lo up
in_s ip addr add 10.254.0.2/30 dev "$VETH_S"
in_s ip link set "$VETH_S" up
for net in 1 2 3; do
    # "local" routes make every address of the /24 this namespace's own without 254 `ip addr`s.
    in_s ip route add local "10.254.$net.0/24" dev lo
done
in_s iptables -A INPUT -d 10.254.2.0/24 -j DROP

# Not through in_s: $! must be the server itself (ip netns exec execs it), not a subshell.
ip netns exec "$NS_S" "$BENCH" --serve 10.254.1 --hosts "$HOSTS" --delay-ms "$DELAY_MS" >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
    grep -q '^ready' "$WORK/serve.log" && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.log" >&2; exit 1; }
    sleep 0.1
done
grep -q '^ready' "$WORK/serve.log" || { echo "servers did not start" >&2; exit 1; }
cat "$WORK/serve.log"

# What a round trip costs now, as the scanner sees it: a full TLS 1.2 handshake is two round
# trips (TLS 1.3 would be two as well here: the kube-like server has no x25519, so it asks again).
RTT=$(in_c python3 -c '
import socket, ssl, time
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
best = 1e9
for _ in range(5):
    s = socket.create_connection(("10.254.1.1", 6443), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t = time.monotonic()
    ctx.wrap_socket(s).close()
    best = min(best, time.monotonic() - t)
print("%.1f" % (best * 1000 / 2))
')
echo "round trip through the relay: $RTT ms (half a TLS 1.2 handshake, best of 5)"

TARGETS=(10.254.1.1-"$HOSTS" 10.254.2.0/24 10.254.3.0/24)
echo "scanning ${TARGETS[*]} -p 6443,2379 (connect timeout $CONNECT_TIMEOUT) ${EXTRA[*]+${EXTRA[*]}}"
# In the background and waited for, so that Ctrl-C or a TERM cleans up at once.
ip netns exec "$NS_C" /usr/bin/time -f '%e %M %U %S' -o "$WORK/time" \
    "$FIPSPROBE" scan "${TARGETS[@]}" --connect-timeout "$CONNECT_TIMEOUT" ${EXTRA[@]+"${EXTRA[@]}"} --format json -o "$WORK/report.json" >/dev/null &
SCAN_PID=$!
set +e
wait "$SCAN_PID"
CODE=$?
set -e
SCAN_PID=
# GNU time puts "Command exited with non-zero status N" first when the exit code is not 0.
read -r WALL RSS USER SYS < <(tail -n 1 "$WORK/time")
echo "exit code $CODE (1 expected: the etcd-like servers fail FIPS)"
jq -r --arg wall "$WALL" --arg rss "$RSS" --arg user "$USER" --arg sys "$SYS" '
  ($wall | tonumber) as $w
  | (.endpoints | map(select(.status == "tls"))) as $tls
  | ($tls | map(.handshakes) | add // 0) as $hs
  | "report: \(.summary.endpoints) endpoints, \(.summary.tls) TLS (\(.summary.pass) pass, \(.summary.fail) fail), complete \(.complete)\n"
  + "fipsprobe: wall \($w) s, \($hs) handshakes = \($hs / $w | floor) handshakes/s, "
  + "\($tls | length) TLS endpoints = \(($tls | length) / $w * 10 | floor / 10) per s, "
  + "CPU user \($user) s + sys \($sys) s, peak RSS \($rss | tonumber / 1024 | floor) MiB\n"
  + ($tls | map(.duration_ms) | sort | "time per TLS endpoint: median \(.[length / 2 | floor]) ms, max \(.[-1]) ms "
     + "(\($hs / ($tls | length) * 10 | floor / 10) handshakes each, at most 4 at once per address)")
' "$WORK/report.json"
TOTAL=$((2 * (HOSTS + 256 + 256)))
echo "endpoints: $TOTAL ($((2 * HOSTS)) TLS behind the relay, 512 filtered by DROP, 512 closed) = $(awk "BEGIN { printf \"%.0f\", $TOTAL / $WALL }") endpoints/s"
