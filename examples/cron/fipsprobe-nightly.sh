#!/bin/sh
# fipsprobe-nightly.sh: scan the fleet every night, keep the report, and speak up only when
# something regressed since the last good scan (or when the scan itself is broken).
#
#   /etc/cron.d/fipsprobe:
#     MAILTO=""
#     15 2 * * *  fipsprobe  FIPSPROBE_MAILTO=secops@example.com /usr/local/bin/fipsprobe-nightly.sh
#
# What it does, in order:
#   1. scan the targets of $FIPSPROBE_TARGETS into $STATE/reports/<UTC timestamp>.json
#      (the file is written whole or not at all by fipsprobe itself), signed: the DSSE
#      envelope <UTC timestamp>.json.sig beside it is what a compliance ticket can attach;
#   2. if there is a baseline ($STATE/last.json), run `fipsprobe diff --verify-key PUB
#      last.json tonight.json`, which refuses (exit 2) a report whose signature does not
#      verify, so an edited baseline cannot hide a regression; exit 1 from diff means
#      something got worse: the diff table is mailed (or logged);
#   3. promote tonight's report to last.json only when the scan was complete (scan exit 0 or 1),
#      so one night with a node down does not make tomorrow's comparison lie;
#   4. delete reports older than $FIPSPROBE_KEEP_DAYS days.
#
# Known, unchanged failures are NOT mailed every night (they are in every report); only
# regressions are, plus a broken scan (exit 2, no report), because a cron job that fails
# silently is worse than one that is noisy. An incomplete scan (exit 3) is logged.
#
# One step instead of two: `fipsprobe scan ... --baseline "$STATE/last.json"` prints the same
# diff and exits 1 on a regression; the two-step form is used here so that the scan's exit code
# (compliance, health) and the diff's (regression) stay separate.
#
# Settings (environment):
#   FIPSPROBE           the binary                         (default: fipsprobe on PATH)
#   FIPSPROBE_STATE     state directory                    (default: /var/lib/fipsprobe)
#   FIPSPROBE_TARGETS   target list, one per line, `#` comments (default: $STATE/targets.txt)
#   FIPSPROBE_ARGS      extra scan options                 (default: --profile kubernetes)
#   FIPSPROBE_POLICY    policy id or file                  (default: fips-140-3)
#   FIPSPROBE_MAILTO    mail regressions here; empty: log them with logger(1) only
#   FIPSPROBE_MAIL      mail command, called as `$FIPSPROBE_MAIL -s SUBJECT ADDRESS` with the
#                       body on stdin                      (default: mail)
#   FIPSPROBE_LOGGER    log command                        (default: logger -t fipsprobe)
#   FIPSPROBE_SIGN_KEY  private key for `scan --sign` (`fipsprobe keygen --out FILE` makes
#                       one); empty: reports are not signed nor checked
#                                                          (default: $STATE/signing-key.pem)
#   FIPSPROBE_VERIFY_KEY public key `diff --verify-key` checks both reports with
#                                                          (default: the .pub.pem of the key)
#   FIPSPROBE_TEXTFILE  also write Prometheus metrics there, for node_exporter's textfile
#                       collector (e.g. /var/lib/prometheus/node-exporter/fipsprobe.prom);
#                       empty: none                        (default: empty)
#   FIPSPROBE_KEEP_DAYS reports kept                       (default: 90)
#   FIPSPROBE_STAMP     report file name stem              (default: UTC time; for tests)
#
# Exit status: 0 nothing regressed; 1 regressed; 2 the scan or the diff could not run.

set -u

FIPSPROBE=${FIPSPROBE:-fipsprobe}
STATE=${FIPSPROBE_STATE:-/var/lib/fipsprobe}
TARGETS=${FIPSPROBE_TARGETS:-$STATE/targets.txt}
ARGS=${FIPSPROBE_ARGS:---profile kubernetes}
POLICY=${FIPSPROBE_POLICY:-fips-140-3}
MAILTO=${FIPSPROBE_MAILTO:-}
MAIL=${FIPSPROBE_MAIL:-mail}
LOGGER=${FIPSPROBE_LOGGER:-logger -t fipsprobe}
KEEP_DAYS=${FIPSPROBE_KEEP_DAYS:-90}
SIGN_KEY=${FIPSPROBE_SIGN_KEY-$STATE/signing-key.pem}
if [ -n "$SIGN_KEY" ]; then
    VERIFY_KEY=${FIPSPROBE_VERIFY_KEY:-${SIGN_KEY%.pem}.pub.pem}
else
    VERIFY_KEY=${FIPSPROBE_VERIFY_KEY:-}
fi
TEXTFILE=${FIPSPROBE_TEXTFILE:-}

REPORTS=$STATE/reports
LAST=$STATE/last.json
HOST=$(hostname 2>/dev/null || echo localhost)

log() {
    # shellcheck disable=SC2086 # LOGGER is a command with its arguments.
    $LOGGER "$*" 2>/dev/null || echo "fipsprobe-nightly: $*" >&2
}

# notify SUBJECT: mail stdin to $MAILTO, or log each line when no address is set.
notify() {
    subject=$1
    body=$(cat)
    log "$subject"
    if [ -n "$MAILTO" ]; then
        # shellcheck disable=SC2086 # MAIL may carry options.
        if ! printf '%s\n' "$body" | $MAIL -s "$subject" "$MAILTO"; then
            log "could not mail $MAILTO; the message follows"
            printf '%s\n' "$body" | while IFS= read -r line; do log "$line"; done
        fi
    else
        printf '%s\n' "$body" | while IFS= read -r line; do log "$line"; done
    fi
}

mkdir -p "$REPORTS" || { log "cannot create $REPORTS"; exit 2; }

# One run at a time: a scan of a large fleet may outlive the cron interval.
exec 9>"$STATE/.lock"
if ! flock -n 9; then
    log "another fipsprobe-nightly run holds $STATE/.lock; skipping"
    exit 0
fi

STAMP=${FIPSPROBE_STAMP:-$(date -u +%Y-%m-%dT%H%M%SZ)}
TONIGHT=$REPORTS/$STAMP.json
ERRLOG=$REPORTS/$STAMP.stderr

# 1. Scan. NO_COLOR and --quiet: nothing interactive, nothing for a TTY. fipsprobe checks the
# signing key before it scans: a missing or wrong key is exit 2, mailed below as a broken scan.
set -- scan -iL "$TARGETS" --policy "$POLICY" --quiet --format json -o "$TONIGHT"
if [ -n "$SIGN_KEY" ]; then set -- "$@" --sign "$SIGN_KEY"; fi
if [ -n "$TEXTFILE" ]; then set -- "$@" --prometheus "$TEXTFILE"; fi
# shellcheck disable=SC2086 # ARGS holds several options on purpose.
NO_COLOR=1 "$FIPSPROBE" "$@" $ARGS >/dev/null 2>"$ERRLOG"
scan=$?
case $scan in
    0|1|3) ;;
    *)  {
            echo "fipsprobe scan on $HOST exited $scan: the scan did not run."
            echo
            cat "$ERRLOG"
        } | notify "fipsprobe: nightly scan BROKEN on $HOST (exit $scan)"
        exit 2 ;;
esac
if [ ! -s "$TONIGHT" ]; then
    { echo "fipsprobe scan exited $scan but wrote no report."; cat "$ERRLOG"; } |
        notify "fipsprobe: nightly scan BROKEN on $HOST (no report)"
    exit 2
fi
[ -s "$ERRLOG" ] || rm -f "$ERRLOG"
if [ "$scan" -eq 3 ]; then
    log "scan incomplete: an endpoint named in $TARGETS could not be assessed (report $TONIGHT)"
fi

# 2. Compare with the last complete scan. last.json is a symlink; the signature sits beside
# the file it points to, so diff is given that file.
status=0
if [ -s "$LAST" ]; then
    set -- diff
    if [ -n "$VERIFY_KEY" ]; then set -- "$@" --verify-key "$VERIFY_KEY"; fi
    DIFF=$(NO_COLOR=1 "$FIPSPROBE" "$@" "$(readlink -f "$LAST")" "$TONIGHT" 2>&1)
    d=$?
    case $d in
        0)  log "no regression since $(basename "$(readlink -f "$LAST")") (report $TONIGHT)" ;;
        1)  {
                echo "fipsprobe found regressions on $HOST since the last complete scan."
                echo "Report: $TONIGHT"
                echo
                printf '%s\n' "$DIFF"
            } | notify "fipsprobe: FIPS regression on $HOST"
            status=1 ;;
        *)  printf '%s\n' "$DIFF" | notify "fipsprobe: diff failed on $HOST (exit $d)"
            status=2 ;;
    esac
else
    log "no baseline yet: $TONIGHT becomes the baseline"
fi

# 3. Promote tonight's report when the scan was complete (or when there is no baseline yet).
if [ "$scan" -ne 3 ] || [ ! -s "$LAST" ]; then
    ln -sfn "reports/$STAMP.json" "$LAST.tmp" && mv -fT "$LAST.tmp" "$LAST"
fi

# 4. Prune old reports and their signatures (never the one last.json points at).
keep=$(readlink -f "$LAST" 2>/dev/null || true)
find "$REPORTS" -type f \( -name '*.json' -o -name '*.json.sig' -o -name '*.stderr' \) \
    -mtime +"$KEEP_DAYS" |
    while IFS= read -r old; do
        [ "$(readlink -f "${old%.sig}")" = "$keep" ] || rm -f "$old"
    done

exit $status
