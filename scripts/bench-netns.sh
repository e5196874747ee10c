#!/usr/bin/env bash
# The benchmark across a (virtual) network, fipsprobe and nmap's ssl-enum-ciphers side by side on
# the same endpoints: two network namespaces of our own joined by a veth pair, ~20 ms round trip
# added by a userspace relay (tc netem does not work here), packet loss and a firewall's silent
# drops by iptables.
#
#   sudo scripts/bench-netns.sh [HOSTS] [DELAY_MS]    # defaults: 8 hosts x 2 ports, 10 ms each way
#
#   FILTERED=8 CLOSED=8  addresses of each kind, named one by one (0: none)
#   MODE=range           instead: 10.254.2.0/24 and 10.254.3.0/24 as ranges (no nmap by default)
#   LOSS=1               percent of packets dropped each way on the veth (0: none)
#   NMAP=0               skip nmap; NMAP_ARGS="-T4" its timing (the loopback bench's)
#   FIPSPROBE=... BENCH=...  binaries to use instead of building (e.g. another branch's)
#   FIPSPROBE_ARGS="--retries 0"  more scan options
#   KEEP=DIR             keep both scanners' reports there
#
#   client ns  fpbc-PID: 10.254.0.1/30 on veth; routes 10.254.0.0/16 to the server ns. Runs
#                        both scanners, one after the other.
#   server ns  fpbs-PID: 10.254.0.2/30 on veth, and as local addresses (no interface):
#     10.254.1.0/24  relays (examples/bench.rs --serve) to rustls servers on the ns's own
#                    127.0.1.x, ports 6443 and 2379: TLS with +2*DELAY_MS per round trip
#     10.254.2.0/24  iptables DROP: filtered, every connect times out
#     10.254.3.0/24  nothing listens: closed, answered with RST
#     10.254.4.1     a tarpit on 6443: accepts and never answers (timed on its own, at defaults)
#
# The results of both scanners are compared endpoint by endpoint (suites per version, SSLv3 to
# TLS 1.3) for the live endpoints; a difference fails the run. The 10.254/16 addresses exist
# only inside these two namespaces (neither has a route out, and the host's namespace has none
# to them), so no packet leaves the machine. Everything is removed on exit, however the script
# ends.

set -euo pipefail

HOSTS=${1:-8}
DELAY_MS=${2:-10}
FILTERED=${FILTERED:-8}
CLOSED=${CLOSED:-8}
MODE=${MODE:-explicit}
LOSS=${LOSS:-1}
NMAP=${NMAP:-$([ "$MODE" = range ] && echo 0 || echo 1)}
read -r -a NMAP_ARGS <<<"${NMAP_ARGS:--T4}"
read -r -a EXTRA <<<"${FIPSPROBE_ARGS:-}"
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
for tool in iptables nmap jq; do
    if ! command -v "$tool" >/dev/null; then
        echo "bench-netns: installing $tool" >&2
        apt-get install -y -qq --no-install-recommends "$tool" >/dev/null
    fi
done

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
    # Deleting a namespace deletes its end of the veth, and with it the pair, and its iptables
    # rules with it.
    ip netns del "$NS_C" 2>/dev/null || true
    ip netns del "$NS_S" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${FIPSPROBE:-}" ] || [ -z "${BENCH:-}" ]; then
    echo "building (release)..." >&2
    (cd "$ROOT" && cargo build --release --quiet --bin fipsprobe --example bench)
fi
FIPSPROBE=${FIPSPROBE:-$TARGET_DIR/release/fipsprobe}
BENCH=${BENCH:-$TARGET_DIR/release/examples/bench}

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
for net in 1 2 3 4; do
    # "local" routes make every address of the /24 this namespace's own without 254 `ip addr`s.
    in_s ip route add local "10.254.$net.0/24" dev lo
done
in_s iptables -A INPUT -d 10.254.2.0/24 -j DROP
if [ "$LOSS" != 0 ]; then
    # Random loss on the wire, both ways (SYNs, data and FINs alike).
    p=$(awk "BEGIN { print $LOSS / 100 }")
    in_s iptables -A INPUT -i "$VETH_S" -m statistic --mode random --probability "$p" -j DROP
    in_s iptables -A OUTPUT -o "$VETH_S" -m statistic --mode random --probability "$p" -j DROP
fi

# Not through in_s: $! must be the server itself (ip netns exec execs it), not a subshell.
ip netns exec "$NS_S" "$BENCH" --serve 10.254.1 --hosts "$HOSTS" --delay-ms "$DELAY_MS" \
    --tarpit 10.254.4.1:6443 >"$WORK/serve.log" 2>&1 &
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
echo "round trip through the relay: $RTT ms (half a TLS 1.2 handshake, best of 5); loss $LOSS % each way"

TARGETS=(10.254.1.1-"$HOSTS")
if [ "$MODE" = range ]; then
    TARGETS+=(10.254.2.0/24 10.254.3.0/24)
    FILTERED=256
    CLOSED=256
else
    for i in $(seq "$FILTERED"); do TARGETS+=("10.254.2.$i"); done
    for i in $(seq "$CLOSED"); do TARGETS+=("10.254.3.$i"); done
fi
TOTAL=$((2 * (HOSTS + FILTERED + CLOSED)))
echo "endpoints: $TOTAL = $((2 * HOSTS)) TLS behind the relay, $((2 * FILTERED)) filtered by DROP, $((2 * CLOSED)) closed (ports 6443, 2379)"

# Runs a command in the client ns under GNU time, in the background and waited for, so that
# Ctrl-C or a TERM cleans up at once. Sets CODE, WALL, RSS (KiB), USER, SYS.
timed() {
    ip netns exec "$NS_C" /usr/bin/time -f '%e %M %U %S' -o "$WORK/time" "$@" &
    SCAN_PID=$!
    set +e
    wait "$SCAN_PID"
    CODE=$?
    set -e
    SCAN_PID=
    # GNU time puts "Command exited with non-zero status N" first when the exit code is not 0.
    read -r WALL RSS USER SYS < <(tail -n 1 "$WORK/time")
}

echo "fipsprobe scan ${TARGETS[*]} -p 6443,2379 ${EXTRA[*]+${EXTRA[*]}}"
timed "$FIPSPROBE" scan "${TARGETS[@]}" -p 6443,2379 ${EXTRA[@]+"${EXTRA[@]}"} \
    --format json -o "$WORK/report.json" >/dev/null
echo "exit code $CODE (1 expected: the etcd-like servers fail FIPS)"
FP_WALL=$WALL
jq -r --arg wall "$WALL" --arg rss "$RSS" --arg user "$USER" --arg sys "$SYS" '
  ($wall | tonumber) as $w
  | (.endpoints | map(select(.status == "tls"))) as $tls
  | ($tls | map(.handshakes) | add // 0) as $hs
  | "report: \(.endpoints | length) endpoints reported, \(.summary.tls) TLS (\(.summary.pass) pass, \(.summary.fail) fail), "
  + "\(.endpoints | map(select(.status == "timeout")) | length) timeout, \(.endpoints | map(select(.status == "closed")) | length) closed, complete \(.complete)\n"
  + "fipsprobe: wall \($w) s, \($hs) handshakes, CPU user \($user) s + sys \($sys) s, peak RSS \($rss | tonumber / 1024 | floor) MiB\n"
  + ($tls | map(.duration_ms) | sort | "time per TLS endpoint: median \(.[length / 2 | floor]) ms, max \(.[-1]) ms "
     + "(\($hs / ($tls | length) * 10 | floor / 10) handshakes each)")
  + ((.endpoints | map(select(.status == "timeout")) | map(.duration_ms) | sort)
     | if length > 0 then "\ntime per filtered endpoint named explicitly: median \(.[length / 2 | floor]) ms, max \(.[-1]) ms" else "" end)
' "$WORK/report.json"

if [ "$NMAP" = 1 ]; then
    echo "nmap -Pn -n ${NMAP_ARGS[*]} --script ssl-enum-ciphers -p 6443,2379 (same targets)"
    timed nmap -Pn -n "${NMAP_ARGS[@]}" --script ssl-enum-ciphers -p 6443,2379 \
        -oX "$WORK/nmap.xml" "${TARGETS[@]}" >/dev/null
    [ "$CODE" = 0 ] || { echo "nmap failed (exit $CODE)" >&2; exit 1; }
    echo "nmap: wall $WALL s, CPU user $USER s + sys $SYS s, peak RSS $((RSS / 1024)) MiB"
    set +e
    "$BENCH" --compare-nmap "$WORK/report.json" "$WORK/nmap.xml"
    SAME=$?
    set -e
    awk -v fp="$FP_WALL" -v nm="$WALL" \
        'BEGIN { printf "wall: fipsprobe %.2f s, nmap %.2f s: fipsprobe %.1fx faster\n", fp, nm, nm / fp }'
    [ "$SAME" = 0 ] || { echo "bench-netns: the live endpoints' results differ" >&2; exit 1; }
fi

# Packets the veth itself dropped (a full queue), apart from iptables' deliberate losses.
veth_drops() {
    ip netns exec "$1" ip -s -j link show dev "$2" |
        jq -r '.[0].stats64 | "\(.tx.dropped) sent, \(.rx.dropped) received"'
}
echo "veth drops: client $(veth_drops "$NS_C" "$VETH_C"); server $(veth_drops "$NS_S" "$VETH_S")"

if [ -n "${KEEP:-}" ]; then
    mkdir -p "$KEEP" && cp "$WORK"/report.json "$KEEP"/ && { cp "$WORK"/nmap.xml "$KEEP"/ 2>/dev/null || true; }
fi

echo "tarpit: fipsprobe scan 10.254.4.1:6443 (accepts, never answers; default settings)"
timed "$FIPSPROBE" scan 10.254.4.1:6443 --format json -o "$WORK/tarpit.json" >/dev/null
jq -r --arg wall "$WALL" '.endpoints[0] | "tarpit: wall \($wall) s, status \(.status), \(.handshakes) hellos: \(.error)"' \
    "$WORK/tarpit.json"
