# Fault harness (d), storage: from a tiny LMDB map (--map-size 64K) the
# stores grow as reports arrive, with no error at any device and nothing
# lost (both forms); a backup taken with mdb_copy restores; a stale reader
# is cleared at start; a data file
# overwritten with garbage stops the service at once with a clear message
# and a non-zero exit, never a silent start on lost data.
source "$(dirname "$0")/lib.sh" "$1" "$2"
source "$(dirname "$0")/faults_lib.sh"
N=${N:-45}

# fill FORM: a tiny map, N reports with long problem texts
fill () {
    local form=$1 i p
    if [ "$form" = sitewatchd ]; then start_sitewatchd --map-size 64K; else start_four --map-size 64K; fi
    sw clock set 2026-03-11T10:00:00+08:00 >/dev/null
    sw registry import "$SRC/tests/integration/data/mini.yaml" >/dev/null 2>&1
    local text; text=$(printf 'crane %.0s' $(seq 1 300))
    for i in $(seq 1 "$N"); do
        p=P$(( (i - 1) % 3 + 1 ))
        sw --json report --project "$p" --percent $(( i % 2 ? 10 : 30 )) --id "big-$i" \
            --observed-at 2026-03-11T10:00:00+08:00 --problem "$i $text" 2>>"$WORK/device.err" \
            | jq -r '"\(.report_id) \(.status)"' >>"$WORK/device.acks"
    done
    [ ! -s "$WORK/device.err" ] || fail "$form: a device saw an error: $(head -2 "$WORK/device.err")"
    [ "$(grep -c ' accepted$' "$WORK/device.acks")" = "$N" ] || fail "$form: not all accepted: $(awk '{print $2}' "$WORK/device.acks" | sort | uniq -c)"
    local stored=0
    for p in P1 P2 P3; do stored=$((stored + $(sw --json project "$p" | jq '.reports | length'))); done
    [ "$stored" = "$N" ] || fail "$form: rules holds $stored of $N"
    local sizes; sizes=$(find "$WORK"/data* -name data.mdb -printf '%s ')
    echo "$form: data.mdb sizes after $N reports from a 64 KiB map: $sizes"
    for s in $sizes; do [ "$s" -gt 65536 ] && return 0; done
    fail "$form: no store grew past 64 KiB"
}

fill sitewatchd
ok "sitewatchd: a 64 KiB map grew under load; $N reports accepted and applied, no device error"
sw --json status | jq -S . >"$WORK/board.before"
rules_dir=$(dirname "$(find "$WORK/data" -name data.mdb -path '*rules*' | head -1)")
[ -n "$rules_dir" ] && [ "$rules_dir" != . ] || fail "no rules store under $WORK/data"

# backup while running (mdb_copy takes a consistent snapshot), then restore
mkdir -p "$WORK/backup"
for d in "$WORK"/data/*/; do
    [ -f "$d/data.mdb" ] || continue
    mkdir -p "$WORK/backup/$(basename "$d")"
    mdb_copy "$d" "$WORK/backup/$(basename "$d")" || fail "mdb_copy $d"
done
stop_soft sitewatchd

# ---- a corrupted data file: refused, loudly
cp "$rules_dir/data.mdb" "$WORK/rules.good"
head -c "$(stat -c %s "$rules_dir/data.mdb")" /dev/urandom >"$rules_dir/data.mdb"
rc=0
timeout 20 "$BUILD/sitewatchd" --data "$WORK/data" --endpoint "$SITEWATCH_ENDPOINT" "${COMMON_FLAGS[@]}" \
    >"$WORK/corrupt.log" 2>&1 || rc=$?
echo "sitewatchd on a garbage rules data.mdb: exit $rc: $(grep -v '^$' "$WORK/corrupt.log" | head -2 | tr '\n' ' ')"
[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "sitewatchd started (or hung) on a corrupted data file (exit $rc)"
grep -qi 'damaged\|corrupt\|invalid' "$WORK/corrupt.log" || fail "no clear message about the damaged file"
grep -q "$rules_dir" "$WORK/corrupt.log" || fail "the message does not name the directory"
ok "a corrupted data file stops sitewatchd with exit $rc and a message naming it"

# ---- restore the backup: the board is back
for d in "$WORK"/backup/*/; do
    cp "$d/data.mdb" "$WORK/data/$(basename "$d")/data.mdb"
done
start_sitewatchd
sw --json status | jq -S . >"$WORK/board.after"
cmp -s "$WORK/board.before" "$WORK/board.after" || fail "restored board differs"
stored=0
for p in P1 P2 P3; do stored=$((stored + $(sw --json project "$p" | jq '.reports | length'))); done
[ "$stored" = "$N" ] || fail "restored rules holds $stored of $N"
ok "restore from mdb_copy backups: the same board, all $N reports"

# ---- a stale reader: a process killed inside a read transaction (mdb_dump
# blocked on a full pipe) leaves its slot, pinning old pages while the
# service runs (the stage clears such slots every minute); at the next start
# LMDB resets the table
( mdb_dump -a "$rules_dir" & echo $! >"$WORK/dump.pid"; wait ) | sleep 30 & pipe=$!
for i in $(seq 1 50); do
    [ -s "$WORK/dump.pid" ] && grep -qw "$(cat "$WORK/dump.pid")" <<<"$(mdb_stat -r "$rules_dir")" && break
    sleep 0.1
done
kill -9 "$(cat "$WORK/dump.pid")"
kill "$pipe" 2>/dev/null || true; wait "$pipe" 2>/dev/null || true
grep -qw "$(cat "$WORK/dump.pid")" <<<"$(mdb_stat -r "$rules_dir")" || fail "no stale reader slot left by the killed reader"
stop_soft sitewatchd
start_sitewatchd
grep -qw "$(cat "$WORK/dump.pid")" <<<"$(mdb_stat -r "$rules_dir")" && fail "the stale reader is still in the table"
[ "$(sw --json project P1 | jq '.reports | length')" -gt 0 ] || fail "rules lost its reports"
ok "a reader killed inside a read transaction (pid $(cat "$WORK/dump.pid")) is gone after the next start"
stop_soft sitewatchd

# ---- the four-process form: growth, and a corrupted intake store
fl_reset
fill four
ok "four services: a 64 KiB map grew under load; $N reports accepted and applied, no device error"
stop_soft intake
head -c "$(stat -c %s "$WORK/data-intake/data.mdb")" /dev/urandom >"$WORK/data-intake/data.mdb"
rc=0
timeout 20 "$BUILD/sitewatch-intake" --data "$WORK/data-intake" --endpoint "$SITEWATCH_ENDPOINT" \
    --rules-endpoint "$RULES_EP" "${COMMON_FLAGS[@]}" >"$WORK/corrupt-intake.log" 2>&1 || rc=$?
echo "sitewatch-intake on a garbage data.mdb: exit $rc: $(grep -v '^$' "$WORK/corrupt-intake.log" | head -2 | tr '\n' ' ')"
[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "intake started (or hung) on a corrupted data file (exit $rc)"
grep -qi 'damaged\|corrupt\|invalid' "$WORK/corrupt-intake.log" || fail "no clear message about the damaged file"
ok "a corrupted data file stops sitewatch-intake with exit $rc and a clear message"
