#!/usr/bin/env bash
# The API contract against the servers (issue 24): schemathesis (PyPI) runs Protocol/openapi.yaml against a
# real `sst hub serve` (the sync API, the revocation list and the sealed mailbox, with a school's client
# certificate) and a real `sst node serve` (the staff API, with a staff member's bearer token; the session it
# serves the other nodes of its school, with a second node's certificate) on 127.0.0.1, every check, the
# stateful phase on, a fixed seed and a bounded number of examples. Any disagreement between the document and a
# server fails the run.
# Builds nothing: it uses .build/debug/sst (`swift build` first). Synthetic data only.
#
# Usage: Tools/conformance.sh [--long] [--seed N] [--examples N] [--sst PATH] [--keep]
#   --long      100 examples per operation, fuzzing and the stateful phase repeated for up to 10 minutes a server
#   --seed      the random seed (default 2024; CI keeps the default so that a run can be repeated)
#   --examples  examples per operation (default 25: under two minutes on 2 cores)
#   --sst       the sst binary (default .build/debug/sst)
#   --keep      keep the temporary district, the servers' logs and schemathesis' reports
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

long=false
keep=false
seed=2024
examples=25
sst=.build/debug/sst
while [ $# -gt 0 ]; do
  case "$1" in
    --long) long=true ;;
    --keep) keep=true ;;
    --seed) seed=$2; shift ;;
    --examples) examples=$2; shift ;;
    --sst) sst=$2; shift ;;
    *) echo "usage: Tools/conformance.sh [--long] [--seed N] [--examples N] [--sst PATH] [--keep]" >&2; exit 2 ;;
  esac
  shift
done
if [ ! -x "$sst" ]; then
  echo "conformance: $sst not found: build it first (swift build --product sst)" >&2
  exit 1
fi
sst=$(cd "$(dirname "$sst")" && pwd)/$(basename "$sst")
if ! command -v schemathesis >/dev/null; then
  echo "conformance: schemathesis is not installed: pip install schemathesis" >&2
  exit 1
fi

limits=(--max-examples "$examples")
if $long; then limits=(--max-examples 100 --max-time 600); fi

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if $keep; then echo "conformance: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# Synthetic ids: the document's examples name these records, so the examples phase meets real data.
pupil=5e1f0c3a-7b2d-4c8e-9f10-a1b2c3d4e5f6
guardian_a=7c3d2e1f-0a9b-4c8d-8e7f-6a5b4c3d2e1f
guardian_b=8d4e3f2a-1b0c-4d9e-9f8a-7b6c5d4e3f2a
case_id=6a2b1c0d-8e3f-4a9b-8c7d-e6f5a4b3c2d1
absence=9e5f4a3b-2c1d-4e0f-8a9b-8c7d6e5f4a3b # the example of DELETE /api/v1/records/{entity}/{id}
school="Ekbackens skola"
stadsdel="Södermalm"

run() { "$sst" "$@" >>"$work/setup.log" 2>&1 || { cat "$work/setup.log" >&2; exit 1; }; }

echo "== A temporary district in $work"
run pki init --out "$work/ca"
run pki issue --ca "$work/ca" --node-id hub-1 --role hub --stadsdel "$stadsdel" --out "$work/hub-tls"
run pki issue --ca "$work/ca" --node-id ekbacken-1 --role school --school "$school" --stadsdel "$stadsdel" \
  --out "$work/school-tls"
# A second node of the school (a laptop, say), the node's peer: it runs only as schemathesis' client certificate.
run pki issue --ca "$work/ca" --node-id ekbacken-2 --role school --school "$school" --stadsdel "$stadsdel" \
  --out "$work/peer-tls"
# A node revoked before the run, so that GET /v2/revocations answers a list that is not empty.
run pki issue --ca "$work/ca" --node-id ekbacken-9 --role school --school "$school" --stadsdel "$stadsdel" \
  --out "$work/revoked-tls"
run pki revoke --ca "$work/ca" --node-id ekbacken-9 --reason "Stulen bärbar dator (syntetisk)"
run init --role hub --node-id hub-1 --data "$work/hub" --stadsdel "$stadsdel"
run init --role school --node-id ekbacken-1 --data "$work/school" --school "$school" --stadsdel "$stadsdel"
token=$("$sst" staff add --data "$work/school" --name "Conformance Checker" --json \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')

echo "== A pupil with two guardians, a case, an absence report and a consent at the school"
# 20130101-0003: a synthetic personnummer with a valid check digit.
run record set --data "$work/school" --entity pupil --id $pupil given_name=Åsa family_name=Öberg \
  personnummer=20130101-0003 grade=7 class_name=7B school="$school" stadsdel="$stadsdel"
run record set --data "$work/school" --entity guardian --id $guardian_a pupil_id=$pupil given_name=Karin \
  family_name=Öberg has_custody=true
run record set --data "$work/school" --entity guardian --id $guardian_b pupil_id=$pupil given_name=Nils \
  family_name=Öberg has_custody=true
run record set --data "$work/school" --entity case --id $case_id pupil_id=$pupil category=absence phase=noticed \
  plan="Samtal med Åsa och vårdnadshavare."
run record set --data "$work/school" --entity absence --id $absence pupil_id=$pupil period_start=2026-09-01 \
  period_end=2026-09-30 scheduled_minutes=4800 unexcused_minutes=240
run consent grant --data "$work/school" --pupil $pupil --scopes identity,absence --given-by $guardian_a \
  --method written --pupil-view "Jag vill ha hjälp." --purpose "Samordning av stöd"

# Starts `sst ARGS…` in the background, logging to $work/NAME.log, and sets $port to the port it bound.
serve() {
  local name=$1
  shift
  "$sst" "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  local pid=$! line
  for _ in $(seq 1 300); do
    line=$(grep -m1 -E "(hub|node) listening" "$work/$name.log" || true)
    if [ -n "$line" ]; then
      port=$(sed -E 's/.*port=([0-9]+).*/\1/' <<<"$line")
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "conformance: $name did not start:" >&2
      cat "$work/$name.log" >&2
      exit 1
    fi
    sleep 0.2
  done
  echo "conformance: $name logged no port in 60 s" >&2
  cat "$work/$name.log" >&2
  exit 1
}

serve hub hub serve --data "$work/hub" --listen 127.0.0.1:0 --cert "$work/hub-tls/node.pem" \
  --key "$work/hub-tls/node-key.pem" --client-ca "$work/ca/ca.pem" --revoked "$work/ca/revoked.json"
hub_port=$port
# One sync of the school node before the run: it pushes what the policy lets cross, posts its envelope of the
# school key (made by `sst init --role school`) and its first sealed changes blob, so that the mailbox and
# GET /v2/mailbox/key have something to answer, and fetches the district's revocation list, without which the
# node, having synced, refuses its peers (503 revocationListMissing).
run sync --data "$work/school" --hub "https://127.0.0.1:$hub_port" --cert "$work/school-tls/node.pem" \
  --key "$work/school-tls/node-key.pem" --ca "$work/ca/ca.pem"
serve node node serve --data "$work/school" --hub "https://127.0.0.1:$hub_port" --listen 127.0.0.1:0 \
  --cert "$work/school-tls/node.pem" --key "$work/school-tls/node-key.pem" --ca "$work/ca/ca.pem"
node_port=$port
echo "== hub on 127.0.0.1:$hub_port, school node on 127.0.0.1:$node_port"

# The seed is in place, so that schemathesis meets the answers with data and not only the refusals: the hub
# holds a sealed blob and an envelope for ekbacken-1 (a node does not wrap the key for itself: ekbacken-1 posts
# one, made by `sst school-key wrap`, as a second node would), and a revocation list naming ekbacken-9; the node
# serves its peer ekbacken-2 (it holds the list) and refuses the hub's certificate (403 notSameSchool).
# expect WHAT STATUS PATTERN TLS-FOLDER URL [JSON-BODY-FILE]: the answer's status and a pattern in its body.
expect() {
  python3 - "$@" <<'PY' || exit 1
import os, re, ssl, sys, urllib.error, urllib.request
what, status, pattern, tls, url = sys.argv[1:6]
work = os.environ["work"]
body = open(sys.argv[6], "rb").read() if len(sys.argv) > 6 else None
context = ssl.create_default_context(cafile=f"{work}/ca/ca.pem")
context.load_cert_chain(f"{work}/{tls}/node.pem", f"{work}/{tls}/node-key.pem")
request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"} if body else {})
try:
    with urllib.request.urlopen(request, context=context, timeout=20) as response:
        code, body = response.status, response.read().decode()
except urllib.error.HTTPError as error:
    code, body = error.code, error.read().decode()
if str(code) != status or not re.search(pattern, body):
    sys.exit(f"conformance: {what}: expected {status} and /{pattern}/, got {code}:\n{body}")
PY
}
export work
run school-key wrap --data "$work/school" --for "$work/school-tls/node.pem" --ca "$work/ca/ca.pem" \
  --out "$work/ekbacken-1.join"
python3 -c 'import base64, json, sys; print(json.dumps({"envelopes": [base64.b64encode(open(sys.argv[1], "rb").read()).decode()]}))' \
  "$work/ekbacken-1.join" >"$work/envelopes.json"
expect "ekbacken-1's envelope posted" 201 '"stored":1' school-tls "https://127.0.0.1:$hub_port/v2/mailbox/keys" \
  "$work/envelopes.json"
expect "the hub's mailbox" 200 '"blobs":\[\{' school-tls "https://127.0.0.1:$hub_port/v2/mailbox"
expect "ekbacken-1's key envelope" 200 '"envelope":' school-tls "https://127.0.0.1:$hub_port/v2/mailbox/key"
expect "the revocation list" 200 '"node" ?: ?"ekbacken-9"' school-tls "https://127.0.0.1:$hub_port/v2/revocations"
expect "a pull by the node's peer" 200 '"changeSet":' peer-tls "https://127.0.0.1:$node_port/v2/pull"
expect "a pull by the hub at the node" 403 '"code":"notSameSchool"' hub-tls "https://127.0.0.1:$node_port/v2/pull"

common=(
  --checks all
  --phases examples,coverage,fuzzing,stateful
  --seed "$seed"
  "${limits[@]}"
  --generation-database none
  --workers 1
  --tls-verify "$work/ca/ca.pem"
  --request-timeout 20
  --no-color
  --warnings off
)
failed=0
# Tools/conformance_hooks.py sends a body gzip-compressed when the request's Content-Encoding names gzip. Runs in
# $work, where schemathesis keeps its cache of failures (.schemathesis/), so that nothing is left in the tree.
st() {
  (cd "$work" && SCHEMATHESIS_HOOKS=conformance_hooks PYTHONPATH="$root/Tools${PYTHONPATH:+:$PYTHONPATH}" \
    schemathesis --config-file "$root/Tools/conformance.toml" run "$root/Protocol/openapi.yaml" "$@")
}

echo "== schemathesis: the sync API, the mailbox and the open endpoints of the hub, as school ekbacken-1"
st \
  --url "https://127.0.0.1:$hub_port" "${common[@]}" \
  --include-tag sync --include-tag mailbox --include-tag operations \
  --request-cert "$work/school-tls/node.pem" --request-cert-key "$work/school-tls/node-key.pem" \
  --report junit --report-dir "$work/report-hub" || failed=1

echo "== schemathesis: the staff API and the open endpoints of the school node, as a staff member"
st \
  --url "https://127.0.0.1:$node_port" "${common[@]}" \
  --include-tag staff --include-tag operations \
  --header "Authorization: Bearer $token" \
  --report junit --report-dir "$work/report-node" || failed=1

echo "== schemathesis: the session the school node serves its school's other nodes, as ekbacken-2"
st \
  --url "https://127.0.0.1:$node_port" "${common[@]}" \
  --include-operation-id handshake --include-operation-id push --include-operation-id pull \
  --request-cert "$work/peer-tls/node.pem" --request-cert-key "$work/peer-tls/node-key.pem" \
  --report junit --report-dir "$work/report-peer" || failed=1

for name in hub node; do
  if grep -q -E "Fatal error|Swift runtime failure" "$work/$name.log"; then
    echo "conformance: the $name crashed:" >&2
    tail -20 "$work/$name.log" >&2
    failed=1
  fi
done
echo "== Both audit trails still verify"
"$sst" audit verify --data "$work/hub" || failed=1
"$sst" audit verify --data "$work/school" || failed=1

if [ $failed -ne 0 ]; then
  echo "conformance: FAILED — the document and a server disagree (above)" >&2
  exit 1
fi
echo "conformance: the hub and the school node answer as Protocol/openapi.yaml says"
