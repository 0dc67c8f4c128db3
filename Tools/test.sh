#!/usr/bin/env bash
# The project's test command. The end-to-end suite runs the real `sst` binary and waits for it, which ties
# up threads of Swift's shared pool (two on a 2-core machine) and would starve the async network tests if
# both ran in one process; so it runs in a second `swift test` after the rest. Its crash tests (`KillDuring…`:
# large imports and catch-ups, processes killed with SIGKILL) hold both threads for a minute or more, so they
# run last, in a third. At the end it prints the ten slowest tests of the runs.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
swift build --build-tests
# The background-loop tests wait for a loop to notice an outage and a write; beside a hundred network suites
# sharing two cores they can wait minutes for a thread, so they run on their own, after the rest.
loops='NodeSyncServiceTests|HubIdentityTests'
swift test --skip-build --skip SSTCommandLineTests --skip "$loops" 2>&1 | tee -a "$log"
swift test --skip-build --filter "$loops" 2>&1 | tee -a "$log"
swift test --skip-build --filter SSTCommandLineTests --skip KillDuring 2>&1 | tee -a "$log"
swift test --skip-build --filter KillDuring 2>&1 | tee -a "$log"
echo "== The ten slowest tests (seconds)"
sed -nE 's/^.* Test (.+) passed after ([0-9.]+) seconds.*$/\2  \1/p' "$log" | { grep -v '  run with ' || true; } | sort -rn | awk 'NR <= 10'
