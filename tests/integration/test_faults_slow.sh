# Fault harness (c), slow and stuck peers: subscribers that stop reading
# (SIGSTOP on `sitewatch subscribe`) do not grow notify's memory without
# bound; SIGSTOP/SIGCONT on a service under load loses nothing; an
# overloaded intake answers devices retry_later (with a hint) at once
# instead of leaving them hanging.
source "$(dirname "$0")/lib.sh" "$1" "$2"
source "$(dirname "$0")/faults_lib.sh"
N=${N:-60}
RSS_LIMIT_KB=${RSS_LIMIT_KB:-16384}

# ---- stuck subscribers vs notify's memory
fl_start_form four
stuck=()
for i in 1 2 3 4; do
    "$BUILD/sitewatch" --json subscribe >"$WORK/stuck.$i" 2>/dev/null & stuck+=("$!")
done
sleep 0.5
for p in "${stuck[@]}"; do kill -STOP "$p"; done
fl_device 15 warm                          # warm-up: maps, pools, first pages
rm -f "$WORK/device.acks"
before=$(fl_rss "$(pid_of notify)")
fl_device "$N" burst
sleep 1
after=$(fl_rss "$(pid_of notify)")
events=$(sw --json subscribe --no-follow --from 1 | wc -l)
echo "notify VmRSS before=${before} kB after=${after} kB (+$((after - before)) kB) over $N reports," \
     "$events messages published, 4 subscribers stopped"
[ $((after - before)) -lt "$RSS_LIMIT_KB" ] || fail "notify grew by $((after - before)) kB with stuck subscribers"
ok "stuck subscribers: notify's memory stays bounded"
for p in "${stuck[@]}"; do kill -CONT "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null || true; done

# ---- SIGSTOP / SIGCONT on each service under load
fl_reset
fl_start_form four
fl_device "$N" & dpid=$!
fl_subscriber & spid=$!
for svc in rules intake escalation notify; do
    sleep 0.5
    echo "  SIGSTOP $svc for 2 s"
    kill -STOP "$(pid_of "$svc")"; sleep 2; kill -CONT "$(pid_of "$svc")"
done
wait "$dpid"
fl_finish_subscriber "$spid"
fl_check "SIGSTOP/SIGCONT on each service" "$N"

# ---- overload: intake refuses with retry_later while rules is stopped
fl_reset
for svc in notify escalation rules; do start_service "$svc"; done
start_service intake --overload-backlog 50
wait_ready
sw clock set 2026-03-11T10:00:00+08:00 >/dev/null
sw registry import "$SRC/tests/integration/data/mini.yaml" >/dev/null 2>&1
kill -STOP "$(pid_of rules)"
# devices keep sending (each report journaled: the backlog to rules grows)
# until intake says retry_later; each answer must come at once
accepted=0 got="" ms=0 slowest=0
for i in $(seq 1 120); do
    t0=$(date +%s%N)
    got=$("$BUILD/tests/sw_probe" "$SITEWATCH_ENDPOINT" valid P1)
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ "$ms" -gt "$slowest" ] && slowest=$ms
    [ "$got" = "accepted -" ] || break
    accepted=$((accepted + 1))
done
echo "with rules stopped: $accepted reports accepted, then '$got' in $ms ms (slowest answer $slowest ms)"
[ "${got% retry_after_ms=*}" = "retry_later overloaded" ] || fail "overloaded intake answered '$got' after $accepted reports"
[ "${got##*retry_after_ms=}" -gt 0 ] 2>/dev/null || fail "retry_later without a hint: '$got'"
[ "$accepted" -ge 40 ] && [ "$accepted" -le 51 ] || fail "retry_later after $accepted reports with --overload-backlog 50"
[ "$slowest" -lt 3000 ] || fail "an answer took $slowest ms"
rc=0
sw --timeout 1500 --json report --project P1 --percent 30 --id over-cli \
    --observed-at 2026-03-11T10:00:00+08:00 >"$WORK/cli.out" 2>"$WORK/cli.err" || rc=$?
echo "CLI past the limit: exit $rc, $(cat "$WORK/cli.err" "$WORK/cli.out" | head -2 | tr '\n' ' ')"
[ "$rc" != 0 ] || fail "CLI report accepted past the limit"
grep -q retry_later "$WORK/cli.err" "$WORK/cli.out" || fail "CLI did not say retry_later"
kill -CONT "$(pid_of rules)"
for i in $(seq 1 50); do
    [ "$("$BUILD/tests/sw_probe" "$SITEWATCH_ENDPOINT" valid P2)" = "accepted -" ] && break
    sleep 0.2
done
[ "$i" -lt 50 ] || fail "intake still overloaded after rules resumed"
stored=0
stored=$(sw --json project P1 | jq '.reports | length')
[ "$stored" = "$accepted" ] || fail "rules holds $stored of the $accepted reports accepted before the overload"
ok "overload: retry_later in $ms ms with rules stopped; after SIGCONT the backlog drained and all $accepted accepted reports are applied"
