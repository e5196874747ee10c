#!/bin/sh
# selftest.sh: runs fipsprobe-nightly.sh against a stand-in `fipsprobe` that replays the
# reports of tests/data/reports, and checks what is mailed, logged and kept. Needs only sh,
# flock and coreutils; `cargo test --test report` runs it (cron_script_selftest).
#
#   sh examples/cron/selftest.sh [REPO_ROOT]

set -eu
ROOT=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
SCRIPT=$ROOT/examples/cron/fipsprobe-nightly.sh
DATA=$ROOT/tests/data/reports
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# The stand-in: `scan ... -o FILE [--sign KEY]` copies $FAKE_REPORT to FILE (and writes
# FILE.sig) and exits $FAKE_SCAN_EXIT; `diff [--verify-key PUB] OLD NEW` prints both names and
# exits $FAKE_DIFF_EXIT. (tests/evidence.rs runs the script with the real binary and keys.)
cat >"$WORK/fipsprobe" <<'FAKE'
#!/bin/sh
cmd=$1; shift
echo "$cmd $*" >>"$FAKE_CALLS"
case $cmd in
    scan)
        out=""; sign=""
        while [ $# -gt 0 ]; do
            if [ "$1" = "-o" ]; then out=$2; shift; fi
            if [ "$1" = "--sign" ]; then sign=$2; shift; fi
            shift
        done
        if [ "$FAKE_SCAN_EXIT" -ne 2 ]; then
            cp "$FAKE_REPORT" "$out"
            if [ -n "$sign" ]; then echo "signed with $sign" >"$out.sig"; fi
        else echo "error: bad target" >&2; fi
        exit "$FAKE_SCAN_EXIT" ;;
    diff)
        if [ "$1" = "--verify-key" ]; then shift 2; fi
        echo "DIFF $1 -> $2"
        exit "$FAKE_DIFF_EXIT" ;;
esac
exit 2
FAKE
chmod +x "$WORK/fipsprobe"
cat >"$WORK/mail" <<'FAKE'
#!/bin/sh
# mail -s SUBJECT ADDRESS < body
{ echo "To: $3"; echo "Subject: $2"; cat; echo "--"; } >>"$FAKE_MAILBOX"
FAKE
chmod +x "$WORK/mail"
printf '#!/bin/sh\necho "$*" >>"%s"\n' "$WORK/log" >"$WORK/logger"
chmod +x "$WORK/logger"

export FIPSPROBE="$WORK/fipsprobe" FIPSPROBE_STATE="$WORK/state" FIPSPROBE_MAIL="$WORK/mail"
export FIPSPROBE_MAILTO="secops@example.com" FIPSPROBE_LOGGER="$WORK/logger"
export FIPSPROBE_SIGN_KEY="$WORK/state/signing-key.pem"
export FAKE_CALLS="$WORK/calls" FAKE_MAILBOX="$WORK/mailbox"
mkdir -p "$WORK/state"
echo "10.0.0.5" >"$WORK/state/targets.txt"

fail() { echo "selftest FAILED: $*" >&2; exit 1; }

run() { # run STAMP REPORT SCAN_EXIT DIFF_EXIT -> sets $rc
    FIPSPROBE_STAMP=$1 FAKE_REPORT=$DATA/$2 FAKE_SCAN_EXIT=$3 FAKE_DIFF_EXIT=$4 \
        sh "$SCRIPT" >/dev/null 2>&1 && rc=0 || rc=$?
}

# 1. First night: no baseline; tonight's report becomes it, nothing is mailed.
run night1 nightly-old.json 0 0
[ "$rc" -eq 0 ] || fail "first night exit $rc"
[ "$(readlink "$WORK/state/last.json")" = "reports/night1.json" ] || fail "baseline not set"
grep -q "no baseline yet" "$WORK/log" || fail "baseline not logged"
grep -q '^diff' "$WORK/calls" && fail "diff run without a baseline"
[ -e "$WORK/mailbox" ] && fail "mail on the first night"
grep -q "^scan .* --sign $WORK/state/signing-key.pem" "$WORK/calls" || fail "scan not signed"
[ -s "$WORK/state/reports/night1.json.sig" ] || fail "no signature beside the report"

# 2. Second night, nothing changed: logged, not mailed; baseline moves on.
run night2 nightly-old.json 0 0
[ "$rc" -eq 0 ] || fail "quiet night exit $rc"
grep -q "diff --verify-key $WORK/state/signing-key.pub.pem $WORK/state/reports/night1.json $WORK/state/reports/night2.json" "$WORK/calls" || fail "diff not called as expected"
grep -q "no regression" "$WORK/log" || fail "quiet night not logged"
[ -e "$WORK/mailbox" ] && fail "mail on a quiet night"
[ "$(readlink "$WORK/state/last.json")" = "reports/night2.json" ] || fail "baseline not promoted"

# 3. A regression: mailed with the diff, exit 1.
run night3 nightly-new.json 1 1
[ "$rc" -eq 1 ] || fail "regression night exit $rc"
grep -q "Subject: fipsprobe: FIPS regression" "$WORK/mailbox" || fail "regression not mailed"
grep -q "DIFF $WORK/state/reports/night2.json -> $WORK/state/reports/night3.json" "$WORK/mailbox" || fail "diff not in the mail"

# 4. An incomplete scan: logged, not promoted to baseline.
run night4 nightly-new.json 3 0
[ "$rc" -eq 0 ] || fail "incomplete night exit $rc"
grep -q "scan incomplete" "$WORK/log" || fail "incomplete scan not logged"
[ "$(readlink "$WORK/state/last.json")" = "reports/night3.json" ] || fail "incomplete scan became the baseline"

# 5. A broken scan: mailed as broken, exit 2, baseline untouched.
run night5 nightly-new.json 2 0
[ "$rc" -eq 2 ] || fail "broken night exit $rc"
grep -q "Subject: fipsprobe: nightly scan BROKEN" "$WORK/mailbox" || fail "broken scan not mailed"
grep -q "error: bad target" "$WORK/mailbox" || fail "scan stderr not in the mail"
[ "$(readlink "$WORK/state/last.json")" = "reports/night3.json" ] || fail "baseline moved after a broken scan"

# 6. A run while another holds the lock is skipped.
exec 8>"$WORK/state/.lock"
flock -n 8
run night6 nightly-new.json 0 0
[ "$rc" -eq 0 ] || fail "locked run exit $rc"
grep -q "night6" "$WORK/calls" && fail "locked run scanned anyway"
flock -u 8

# 7. Signing turned off (FIPSPROBE_SIGN_KEY empty): no --sign, no --verify-key.
FIPSPROBE_SIGN_KEY="" run night7 nightly-new.json 0 0
[ "$rc" -eq 0 ] || fail "unsigned night exit $rc"
grep "night7" "$WORK/calls" | grep -q -e "--sign" -e "--verify-key" && fail "signed although FIPSPROBE_SIGN_KEY is empty"
[ -e "$WORK/state/reports/night7.json.sig" ] && fail "signature written although signing is off"

echo "selftest ok"
