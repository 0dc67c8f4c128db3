#!/usr/bin/env bash
# Three school nodes of one school, edited independently, exchange change-set files (as on a USB stick)
# in a different order on each node, and end with byte-identical dumps. Synthetic data only.
# Usage: Tools/offline-exchange-demo.sh [path/to/sst]   (default: builds and uses .build/debug/sst)
set -euo pipefail
cd "$(dirname "$0")/.."
sst=${1:-}
if [ -z "$sst" ]; then
  swift build --product sst >/dev/null
  sst=.build/debug/sst
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

pupil=5e1f0c3a-7b2d-4c8e-9f10-a1b2c3d4e5f6
case_id=6a2b1c0d-8e3f-4a9b-8c7d-e6f5a4b3c2d1
for node in a b c; do
  "$sst" init --role school --node-id "ekbacken-$node" --data "$work/$node" \
    --school "Ekbackens skola" --stadsdel "Södermalm" >/dev/null
done

echo "== Node a registers a pupil and opens a case"
"$sst" record set --data "$work/a" --entity pupil --id $pupil \
  given_name=Åsa family_name=Öberg personnummer=20130101-0003 grade=7 class_name=7B
"$sst" record set --data "$work/a" --entity case --id $case_id \
  pupil_id=$pupil category=absence phase=noticed plan="Samtal med Åsa och vårdnadshavare."
"$sst" changes export --data "$work/a" --out "$work/a-1.json" --for school >/dev/null
"$sst" changes import --data "$work/b" "$work/a-1.json"

echo "== Offline, b and c edit the same case (c has a's first file from a USB stick)"
"$sst" record set --data "$work/b" --entity case --id $case_id phase=planning \
  plan="Motiverande samtal varje vecka; anpassad schemastart."
"$sst" record set --data "$work/c" --entity pupil --id $pupil class_name=7C

echo "== Files are exchanged in a different order on each node"
for node in a b c; do
  "$sst" changes export --data "$work/$node" --out "$work/$node-2.json" --for school >/dev/null
done
"$sst" changes import --data "$work/c" "$work/a-1.json"
"$sst" record set --data "$work/c" --entity case --id $case_id plan="Studiestöd i matematik."
"$sst" changes import --data "$work/c" "$work/b-2.json"
"$sst" changes export --data "$work/c" --out "$work/c-3.json" --for school >/dev/null
"$sst" changes import --data "$work/a" "$work/c-3.json"
"$sst" changes import --data "$work/a" "$work/b-2.json"
"$sst" changes import --data "$work/b" "$work/c-3.json"
"$sst" changes import --data "$work/b" "$work/a-2.json"
"$sst" changes import --data "$work/c" "$work/a-2.json"

echo "== Dumps"
for node in a b c; do "$sst" dump --data "$work/$node" --json >"$work/$node.dump"; done
if cmp -s "$work/a.dump" "$work/b.dump" && cmp -s "$work/a.dump" "$work/c.dump"; then
  echo "All three nodes hold identical state ($(wc -c <"$work/a.dump") bytes)."
else
  echo "The nodes differ:" >&2
  diff "$work/a.dump" "$work/b.dump" >&2 || true
  exit 1
fi
echo "== The concurrent edit of the plan is kept for a person to resolve"
"$sst" conflicts list --data "$work/a"
