# Fault harness (a), second half: kill -9 escalation, then notify, in the
# four-process form (see test_faults_crash.sh; same SEED, N, KILLS).
VICTIMS="escalation notify" exec bash "$(dirname "$0")/test_faults_crash.sh" "$@"
