# Integration: sitewatch-bench keeps working. Not a performance test: no
# figure is judged, only that the benchmark runs end to end against the real
# servers it starts, prints the JSON the issue names, and that its synthetic
# registry is one the real server imports.
source "$(dirname "$0")/lib.sh" "$1" "$2"
BENCH="$BUILD/sitewatch-bench"
[ -x "$BENCH" ] || fail "sitewatch-bench is not built"

"$BENCH" --help >"$WORK/help.txt" || fail "--help"
for s in throughput baseline close replay restart gen-registry; do
    grep -q "$s" "$WORK/help.txt" || fail "--help does not list $s"
done
ok "--help lists the scenarios"

# The generated registry: valid, every commissioner following 5..7 projects.
"$BENCH" gen-registry 100 >"$WORK/gen.yaml" || fail "gen-registry"
start_sitewatchd
sw clock set 2026-03-11T10:00:00+08:00 >/dev/null
sw --json registry import "$WORK/gen.yaml" >"$WORK/import.json" 2>&1 || fail "import: $(cat "$WORK/import.json")"
[ "$(jq -r '.applied' "$WORK/import.json")" = true ] || fail "import not applied"
[ "$(jq -r '.projects' "$WORK/import.json")" = 100 ] || fail "import: $(cat "$WORK/import.json")"
[ "$(jq -r '.warnings | length' "$WORK/import.json")" = 0 ] || fail "import warnings: $(jq -c .warnings "$WORK/import.json")"
[ "$(sw --json status | jq length)" = 100 ] || fail "status does not show 100 projects"
stop_soft sitewatchd
ok "gen-registry 100 imports cleanly (no warnings) into the real server"

# A short run of the default scenario: it starts its own sitewatchd.
timeout 120 "$BENCH" --seconds 1 --projects 300 --devices 8 --window 8 --rates 200,1000 --json \
    >"$WORK/bench.json" 2>"$WORK/bench.err" || { cat "$WORK/bench.err" >&2; fail "bench run"; }
jq -e . "$WORK/bench.json" >/dev/null || fail "not one JSON object: $(head -c 300 "$WORK/bench.json")"
for k in reports_per_s baseline_hop_per_s ack_p99_ms red_p99_ms intake_accepted_per_s disk_bytes_per_report; do
    jq -e "has(\"$k\")" "$WORK/bench.json" >/dev/null || fail "JSON lacks $k"
done
jq -e '.reports_per_s > 0 and .baseline_hop_per_s > 0' "$WORK/bench.json" >/dev/null \
    || fail "no throughput: $(jq -c '{reports_per_s, baseline_hop_per_s}' "$WORK/bench.json")"
jq -e '.runs[0].ok and (.runs[0].processes | length) == 1 and (.runs[0].phases | length) == 3' \
    "$WORK/bench.json" >/dev/null || fail "run: $(jq -c '.runs[0] | {ok, error}' "$WORK/bench.json")"
ok "sitewatch-bench --json: $(jq -c '{reports_per_s, ack_p99_ms, red_p99_ms}' "$WORK/bench.json")"
echo "3 passed, 0 failed"
