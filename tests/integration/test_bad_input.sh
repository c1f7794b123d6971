# Integration: malformed, truncated, oversized and hostile frames at the
# front door each get their rejection code, store nothing, and never stop
# the server from serving the next client.
source "$(dirname "$0")/lib.sh" "$1" "$2"
PROBE="$BUILD/tests/sw_probe"

start_sitewatchd
sw clock set 2026-03-11T10:00:00+08:00 >/dev/null
sw registry import "$SRC/tests/integration/data/mini.yaml" >/dev/null 2>&1

check () {
    local kase=$1 want=$2 got
    got=$("$PROBE" "$SITEWATCH_ENDPOINT" "$kase" 2>/dev/null)
    [ "$got" = "$want" ] || fail "$kase: want '$want', got '$got'"
    ok "$kase -> $want"
}
check garbage "rejected malformed"
check truncated "rejected malformed"
check empty "rejected malformed"
check multi "rejected malformed"
check badversion "rejected unsupported_version"
check oversize "rejected too_large"
check long_id "rejected malformed"
check nul_in_string "rejected malformed"
check huge_repeated "rejected malformed"
check unknown_project "rejected unknown_project"
check bad_percent "rejected bad_percent"
check future "rejected future_timestamp"
check too_old "rejected too_old"
# protobuf-c reads it but cannot write it back readably: once acked, then lost
check unknown_field0 "rejected malformed"
check bad_utf8 "rejected malformed"
check valid "accepted -"

# Through the real command line as well
out=$(sw --json report --project P1 --percent 101 --id bad1 || true)
[ "$(jq -r .code <<<"$out")" = bad_percent ] || fail "cli bad percent: $out"
rc=0; sw report --project P1 --percent 101 --id bad1 >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "a rejection must exit 1, got $rc"
rc=0; sw report --project P1 --percent 50.555 >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "3 decimals is a usage error (exit 2), got $rc"
ok "command line: rejection exits 1 with the code, bad usage exits 2"

# Nothing rejected was stored: only the one valid report reached rules.
n=$(sw --json project P1 | jq '.reports | length')
[ "$n" = 1 ] || fail "rules holds $n reports for P1, want 1"
# A registry with errors changes nothing and names the line.
printf 'zone: x\ntimezone: Asia/Shanghai\nperiod_anchor: 2026-03-01\nleaders: []\ncommissioners: []\nprojects:\n  - id: Q1\n    name: q\n    kind: social\n    state: started\n    commissioner: NOBODY\n    leader: L1\n    start: 2026-03-01\n    end: 2026-02-01\n' >"$WORK/bad.yaml"
if sw registry import "$WORK/bad.yaml" 2>"$WORK/bad.err"; then fail "bad registry applied"; fi
grep -q "line" "$WORK/bad.err" || fail "registry errors name no line: $(cat "$WORK/bad.err")"
[ "$(sw --json status | jq length)" = 3 ] || fail "a refused registry changed the board"
ok "nothing rejected was stored; a refused registry changes nothing"

# The server still serves.
kill -0 "$(pid_of sitewatchd)" || fail "sitewatchd died"
[ "$(sw --json report --project P2 --percent 10 | jq -r .status)" = accepted ] || fail "no longer serving"
ok "still serving after hostile input"
stop_soft sitewatchd

# A hop window out of range is refused at start, by every sender, with the
# reason (a window of 0 would send nothing, ever).
for bin in sitewatch-intake sitewatch-rules sitewatch-escalation sitewatchd; do
    for w in 0 1048577; do
        rc=0
        "$BUILD/$bin" --data "$WORK/refused-$bin" --link-window "$w" --endpoint "tcp://127.0.0.1:1" \
            --rules-endpoint "tcp://127.0.0.1:1" --escalation-endpoint "tcp://127.0.0.1:1" \
            --notify-endpoint "tcp://127.0.0.1:1" >"$WORK/refused.out" 2>&1 || rc=$?
        [ "$rc" = 1 ] || fail "$bin --link-window $w: exit $rc, want 1"
        grep -q -- "--link-window must be 1..1048576 messages, not $w" "$WORK/refused.out" \
            || fail "$bin --link-window $w: no reason given: $(tail -2 "$WORK/refused.out")"
    done
done
ok "--link-window 0 and 1048577 refused at start with the reason (intake, rules, escalation, sitewatchd)"
# A numeric option given text is a usage error (exit 2), not its default.
for bin in sitewatch-rules sitewatchd; do
    rc=0
    "$BUILD/$bin" --data "$WORK/refused-$bin" --link-window abc >"$WORK/refused.out" 2>&1 || rc=$?
    [ "$rc" = 2 ] || fail "$bin --link-window abc: exit $rc, want 2"
    grep -q -- "--link-window must be a whole number, not 'abc'" "$WORK/refused.out" \
        || fail "$bin --link-window abc: $(cat "$WORK/refused.out")"
done
ok "a numeric option given 'abc' is refused (exit 2) with its name"
echo "23 passed, 0 failed"
