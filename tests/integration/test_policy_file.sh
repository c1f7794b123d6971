# The warning policy is read from the operators' file (--policy): its
# thresholds change the levels, and a bad file stops the service at start
# with the line and key named.
source "$(dirname "$0")/lib.sh" "$1" "$2"

printf 'yellow_lag_pp = 2\nred_lag_pp = 4   # stricter than the default 5 / 15\n' >"$WORK/strict.conf"
start_sitewatchd --policy "$WORK/strict.conf"
sw clock set 2026-03-11T10:00:00+08:00 >/dev/null
sw registry import "$SRC/tests/integration/data/mini.yaml" >/dev/null 2>&1
sw report --project P1 --percent 22 >/dev/null     # planned 25: lag 3
sw report --project P2 --percent 20 >/dev/null     # lag 5
got=$(sw --json status | jq -r '[.[] | .project_id + ":" + .level] | join(" ")')
[ "$got" = "P2:red P1:yellow P3:green" ] || fail "strict policy: $got"
ok "thresholds from the policy file decide the levels"
stop_soft sitewatchd

printf 'yellow_lag_pp = 20\nred_lag_pp = 10\n' >"$WORK/bad.conf"
rc=0
"$BUILD/sitewatchd" --data "$WORK/data2" --endpoint "$SITEWATCH_ENDPOINT" --clock manual \
    --policy "$WORK/bad.conf" >"$WORK/bad.log" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "a contradictory policy was accepted"
grep -q "line 2" "$WORK/bad.log" || fail "the error names no line: $(cat "$WORK/bad.log")"
printf 'yelow_lag_pp = 3\n' >"$WORK/typo.conf"
rc=0
"$BUILD/sitewatch-rules" --data "$WORK/data3" --rules-endpoint "tcp://127.0.0.1:$((PORT_BASE + 5))" \
    --policy "$WORK/typo.conf" >"$WORK/typo.log" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "an unknown policy key was accepted"
grep -q "yelow_lag_pp" "$WORK/typo.log" || fail "the error names no key: $(cat "$WORK/typo.log")"
ok "a bad policy file stops the service at start, naming line and key"
echo "2 passed, 0 failed"
