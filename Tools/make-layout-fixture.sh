#!/usr/bin/env bash
# Makes a layout migration fixture: a school node and its hub as the given `sst` writes them. layout-1 was
# made with commit e46bd5e's binary (stamps as one `sst_field` row per field, before `record-stamps-1`),
# layout-2 with 387467f's (stamps per record, one `sst_log` row per field, before `log-per-write-1`).
#
#   Tools/make-layout-fixture.sh SST_BINARY OUTPUT_DIR
#
# In a scratch folder it makes a district CA, the hub hub-1 (Södermalm) and the school node ekbacken-1
# (Ekbackens skola), writes six synthetic pupils with guardians, consents (active, pending, withdrawn),
# absences, assessments, a health note, a case with an intervention and a meeting, and a report of concern;
# deletes one record and purges another; makes two concurrent edits of text fields through a second node
# of the school (ekbacken-2, change-set files), one left open and one resolved; syncs the school once with
# `sst hub serve` on a loopback port the system chooses; stops the hub. Then it writes to OUTPUT_DIR:
#
#   school.sqlite, hub.sqlite   the database file of each node's `sst backup` (a backup is a folder; its
#                               sst.sqlite is copied out unchanged)
#   school.dump, hub.dump       `sst dump` of the same nodes, taken right after the backups
#   status-school.txt           `sst status` of the school
#
# Every name and personnummer is synthetic. The fixtures in Tests/SSTCommandLineTests/Fixtures/layout-N were
# made by this script and are never regenerated: they stand for databases in the field.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 SST_BINARY OUTPUT_DIR" >&2
    exit 2
fi
sst=$(realpath "$1")
[[ -x $sst ]] || { echo "not an executable: $1" >&2; exit 2; }
mkdir -p "$2"
out=$(realpath "$2")
for file in school.sqlite hub.sqlite school.dump hub.dump status-school.txt school.changes.json hub.changes.json; do
    [[ ! -e $out/$file ]] || { echo "$out/$file exists; the script writes only a new fixture" >&2; exit 1; }
done

scratch=$(mktemp -d "${TMPDIR:-/tmp}/sst-layout-fixture.XXXXXX")
hub_pid=""
cleanup() {
    if [[ -n $hub_pid ]] && kill -0 "$hub_pid" 2>/dev/null; then
        kill "$hub_pid" 2>/dev/null || true
        wait "$hub_pid" 2>/dev/null || true
    fi
    rm -rf "$scratch"
}
trap cleanup EXIT
cd "$scratch"

school="Ekbackens skola"
stadsdel="Södermalm"
s1=./ekbacken-1
s2=./ekbacken-2

# The district: a CA, the hub, the school's node and a second node of the school (only to make conflicts).
"$sst" pki init --out ./ca >/dev/null
"$sst" pki issue --ca ./ca --node-id hub-1 --role hub --stadsdel "$stadsdel" --out ./hub-tls >/dev/null
"$sst" pki issue --ca ./ca --node-id ekbacken-1 --role school --school "$school" --stadsdel "$stadsdel" \
    --out ./ekbacken-tls >/dev/null
"$sst" init --role hub --node-id hub-1 --data ./hub --stadsdel "$stadsdel"
"$sst" init --role school --node-id ekbacken-1 --data "$s1" --school "$school" --stadsdel "$stadsdel" >/dev/null
"$sst" init --role school --node-id ekbacken-2 --data "$s2" --school "$school" --stadsdel "$stadsdel" \
    --join >/dev/null

set_record() { "$sst" record set --data "$s1" "$@"; }

# Pupils: valid synthetic personnummer (check digit), ages 12 to 15.
p1=5e1f0c3a-7b2d-4c8e-9f10-a1b2c3d4e5f6 # consent: identity, absence, assessment, case
p2=7a3e9b11-2c4d-4e5f-8a6b-0c1d2e3f4a5b # consent: identity only, two guardians
p3=9c4d2e60-3f1a-4b7c-9d8e-1f2a3b4c5d6e # consent pending: one of two guardians said yes
p4=b2e5f7a8-4d3c-4a1b-8e9f-2a3b4c5d6e7f # a report of concern (legal duty), no consent
p5=d4f6a8b0-5e2d-4c3b-a1f0-3b4c5d6e7f80 # protected identity, no consent
p6=e6a8c0d2-6f3e-4d4c-b2a1-4c5d6e7f8091 # consent withdrawn
set_record --entity pupil --id "$p1" given_name=Testa family_name=Testsson personnummer=20130101-0003 \
    grade=7 class_name=7A "school=$school" "stadsdel=$stadsdel" protected_identity=false
set_record --entity pupil --id "$p2" given_name=Åke family_name=Provsson personnummer=20130214-0015 \
    grade=7 class_name=7B "school=$school" "stadsdel=$stadsdel"
set_record --entity pupil --id "$p3" given_name=Märta family_name=Exempelsdotter personnummer=20120519-0026 \
    grade=8 class_name=8A "school=$school" "stadsdel=$stadsdel"
set_record --entity pupil --id "$p4" given_name=Örjan family_name=Fiktivsson personnummer=20120830-0036 \
    grade=8 class_name=8B "school=$school" "stadsdel=$stadsdel"
set_record --entity pupil --id "$p5" given_name=Ylva family_name=Låtsasson personnummer=20111107-0049 \
    grade=9 class_name=9A "school=$school" "stadsdel=$stadsdel" protected_identity=true
set_record --entity pupil --id "$p6" given_name=Sixten family_name=Påhittad personnummer=20140612-0061 \
    grade=6 class_name=6C "school=$school" "stadsdel=$stadsdel"

# Guardians.
g1=0a1b2c3d-1111-4aaa-8bbb-000000000001
g2a=0a1b2c3d-2222-4aaa-8bbb-000000000002
g2b=0a1b2c3d-2222-4aaa-8bbb-000000000003
g3a=0a1b2c3d-3333-4aaa-8bbb-000000000004
g3b=0a1b2c3d-3333-4aaa-8bbb-000000000005
g6=0a1b2c3d-6666-4aaa-8bbb-000000000006
set_record --entity guardian --id "$g1" pupil_id="$p1" given_name=Tova family_name=Testsson \
    "phone=070-000 00 01" email=tova.testsson@example.invalid has_custody=true
set_record --entity guardian --id "$g2a" pupil_id="$p2" given_name=Pelle family_name=Provsson \
    "phone=070-000 00 02" has_custody=true
set_record --entity guardian --id "$g2b" pupil_id="$p2" given_name=Petra family_name=Provsson \
    email=petra.provsson@example.invalid has_custody=true
set_record --entity guardian --id "$g3a" pupil_id="$p3" given_name=Maja family_name=Exempelsdotter \
    has_custody=true
set_record --entity guardian --id "$g3b" pupil_id="$p3" given_name=Magnus family_name=Exempelsson \
    has_custody=true
set_record --entity guardian --id "$g6" pupil_id="$p6" given_name=Siv family_name=Påhittad has_custody=true

# Consents: active (wide), active (identity, joint custody), pending, and one withdrawn.
c1=c0000000-0000-4000-8000-000000000001
c2=c0000000-0000-4000-8000-000000000002
c3=c0000000-0000-4000-8000-000000000003
c6=c0000000-0000-4000-8000-000000000006
"$sst" consent grant --data "$s1" --id "$c1" --pupil "$p1" --scopes identity,absence,school_assessment,sst_case \
    --given-by "$g1" --method written --purpose "Samverkan kring frånvaro." \
    --pupil-view "Vill ha hjälp med morgnarna." --recorded-by "Kurator Klara Kontrollsson" \
    --document-ref "Pärm 3, flik 7"
"$sst" consent grant --data "$s1" --id "$c2" --pupil "$p2" --scopes identity --given-by "$g2a,$g2b" \
    --method oral --pupil-view "Det är okej." --recorded-by "Rektor Rut Rättsson"
"$sst" consent grant --data "$s1" --id "$c3" --pupil "$p3" --scopes identity,absence --given-by "$g3a" \
    --method written --pupil-view "Jag vet inte."
"$sst" consent grant --data "$s1" --id "$c6" --pupil "$p6" --scopes identity,absence --given-by "$g6" \
    --method written --pupil-view "Okej."
"$sst" consent withdraw --data "$s1" --id "$c6"

# Absences: p1 (crosses), p3 (pending consent: stays), p6 (withdrawn: stays); one of p1's is deleted.
a1=a0000000-0000-4000-8000-000000000001
a2=a0000000-0000-4000-8000-000000000002
a3=a0000000-0000-4000-8000-000000000003
a6=a0000000-0000-4000-8000-000000000006
set_record --entity absence --id "$a1" pupil_id="$p1" period_start=2026-09-01 period_end=2026-09-30 \
    scheduled_minutes=6300 excused_minutes=240 unexcused_minutes=1890
set_record --entity absence --id "$a2" pupil_id="$p1" period_start=2026-10-01 period_end=2026-10-31 \
    scheduled_minutes=6000 excused_minutes=0 unexcused_minutes=2400
set_record --entity absence --id "$a3" pupil_id="$p3" period_start=2026-10-01 period_end=2026-10-31 \
    scheduled_minutes=6000 excused_minutes=600 unexcused_minutes=900
set_record --entity absence --id "$a6" pupil_id="$p6" period_start=2026-10-01 period_end=2026-10-31 \
    scheduled_minutes=5400 excused_minutes=120 unexcused_minutes=0

# School assessments of p1; the second is purged (gallring) below.
sa1=5a000000-0000-4000-8000-000000000001
sa2=5a000000-0000-4000-8000-000000000002
set_record --entity school_assessment --id "$sa1" pupil_id="$p1" "causes=sömn,skolmiljö" \
    "summary=Kommer sent, trivs i klassen."
set_record --entity school_assessment --id "$sa2" pupil_id="$p1" causes=utkast "summary=Felregistrerad."

# A health note (never crosses).
h5=4e000000-0000-4000-8000-000000000005
set_record --entity health_note --id "$h5" pupil_id="$p5" "text=Samtal med skolsköterska om huvudvärk."

# A case of p1 with an intervention and a meeting.
k1=ca5e0000-0000-4000-8000-000000000001
i1=1a000000-0000-4000-8000-000000000001
m1=3e000000-0000-4000-8000-000000000001
set_record --entity case --id "$k1" pupil_id="$p1" category=absence phase=planning \
    "concern=Ökande ogiltig frånvaro sedan september." "plan=Morgonstöd två dagar i veckan." \
    opened_at=2026-10-05
set_record --entity intervention --id "$i1" case_id="$k1" kind=school_adaptations \
    "description=Anpassat schema första lektionen." starts=2026-10-12 ends=2026-12-18 \
    "responsible=Specialpedagog Sara Stödsson"
set_record --entity meeting --id "$m1" case_id="$k1" held_at=2026-10-05T08:30:00Z \
    "participants=Kurator,Mentor,Vårdnadshavare,Skolsocionom" "notes=Första SST-mötet. Överens om plan."

# The report of concern (orosanmälan) for p4: crosses by legal duty.
r4=0b7c3a52-9d1e-4f6a-8b2c-3d4e5f6a7b8c
set_record --entity concern_report --id "$r4" pupil_id="$p4" "concern=Lång frånvaro sedan augusti." \
    "reported_by=Rektor Rut Rättsson" reported_at=2026-11-30T09:15:00Z

# A deletion (tombstone) and a purge.
"$sst" record delete --data "$s1" --entity absence --id "$a2"
"$sst" record purge --data "$s1" --entity school_assessment --id "$sa2"

# Concurrent edits of text fields: the second node gets everything, then both nodes write the case's plan
# and the assessment's summary; the second node's file comes back. The summary's conflict is resolved,
# the plan's stays open.
"$sst" changes export --data "$s1" --out ./to-2.json --for school >/dev/null
"$sst" changes import --data "$s2" ./to-2.json >/dev/null
"$sst" record set --data "$s1" --entity case --id "$k1" "plan=Morgonstöd tre dagar i veckan (mentor)."
"$sst" record set --data "$s2" --entity case --id "$k1" "plan=Morgonstöd och samtal hos kurator varje fredag."
"$sst" record set --data "$s1" --entity school_assessment --id "$sa1" "summary=Kommer sent, trivs i klassen, sover dåligt."
"$sst" record set --data "$s2" --entity school_assessment --id "$sa1" "summary=Kommer sent; trivs med kamraterna."
"$sst" changes export --data "$s2" --out ./to-1.json --for school >/dev/null
"$sst" changes import --data "$s1" ./to-1.json
"$sst" conflicts resolve --data "$s1" --entity school_assessment --id "$sa1" --field summary \
    --value "Kommer sent, trivs med kamraterna, sover dåligt."
"$sst" conflicts list --data "$s1"

# One sync with the hub on a loopback port the system chooses.
"$sst" hub serve --data ./hub --listen 127.0.0.1:0 --cert ./hub-tls/node.pem --key ./hub-tls/node-key.pem \
    --client-ca ./ca/ca.pem --revoked ./ca/revoked.json --sweep-minutes 1440 >./hub.log 2>&1 &
hub_pid=$!
port=""
for _ in $(seq 1 100); do
    port=$(sed -n 's/.*port=\([0-9][0-9]*\) .*hub listening.*/\1/p' ./hub.log | head -n 1)
    [[ -n $port ]] && break
    kill -0 "$hub_pid" 2>/dev/null || { cat ./hub.log >&2; echo "the hub did not start" >&2; exit 1; }
    sleep 0.1
done
[[ -n $port ]] || { cat ./hub.log >&2; echo "the hub did not say its port" >&2; exit 1; }
"$sst" sync --data "$s1" --hub "https://127.0.0.1:$port" --cert ./ekbacken-tls/node.pem \
    --key ./ekbacken-tls/node-key.pem --ca ./ca/ca.pem
kill "$hub_pid"
wait "$hub_pid" || true
hub_pid=""

# The fixture: backups first, then the dumps and the status of the same nodes, nothing written between.
"$sst" backup --data "$s1" --out ./backup-school >/dev/null
"$sst" backup --data ./hub --out ./backup-hub >/dev/null
"$sst" dump --data "$s1" >./school.dump
"$sst" dump --data ./hub >./hub.dump
"$sst" status --data "$s1" >./status-school.txt
cp ./backup-school/sst.sqlite "$out/school.sqlite"
cp ./backup-hub/sst.sqlite "$out/hub.sqlite"
cp ./school.dump ./hub.dump ./status-school.txt "$out/"
# Every change of each node since 0, exported from a copy of its backup (the export marks the copy, not the
# fixture), for the node's own side: nothing filtered, every stamp, context and sequence order as stored.
mkdir -p ./export-school ./export-hub
cp "$out/school.sqlite" ./export-school/sst.sqlite
cp "$out/hub.sqlite" ./export-hub/sst.sqlite
"$sst" changes export --data ./export-school --out "$out/school.changes.json" --for school >/dev/null
"$sst" changes export --data ./export-hub --out "$out/hub.changes.json" --for social >/dev/null
chmod 644 "$out/school.changes.json" "$out/hub.changes.json"
echo "Wrote the fixture to $out:"
ls -l "$out"
