import Foundation
import SSTCore

/// The record id of synthetic pupil number `number` in ``largeChangeSet(pupils:origin:concernReports:)``.
func syntheticPupilID(_ number: Int) -> String {
    "\(hex(number, width: 8))-0000-4000-8000-\(hex(number * 7919, width: 12))"
}

/// The record id of the report of concern of synthetic pupil number `number`.
func syntheticReportID(_ number: Int) -> String {
    "\(hex(number, width: 8))-0000-4000-9000-\(hex(number * 104_729, width: 12))"
}

private func hex(_ number: Int, width: Int) -> String {
    let digits = String(number, radix: 16)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

/// A large change set written directly in the file format (ChangeSet.swift, FieldChange.swift): `pupils`
/// pupils of five fields each from node `origin`, stamped in the minute before now; with `concernReports`,
/// each pupil also has a report of concern (*orosanmälan*, two fields), so that the pupil's identity and the
/// report cross to social services under the school's legal duty.
func largeChangeSet(pupils: Int, origin: String, concernReports: Bool = false) -> (data: Data, changes: Int) {
    let start = UInt64(Date().timeIntervalSince1970 * 1000) - 60_000
    let givenNames = ["Åsa", "Björn", "Göran", "Märta", "Örjan", "Ängla", "Sören", "Ylva"]
    let familyNames = ["Öberg", "Ängström", "Sjöström", "Lövgren", "Åkesson", "Nyström"]
    var changes: [String] = []
    changes.reserveCapacity(pupils * (concernReports ? 7 : 5))
    for number in 0..<pupils {
        let id = syntheticPupilID(number)
        let stamp = "\(start + UInt64(number / 1000)):\(number % 1000)@\(origin)"
        let day = 1 + number % 28
        let fields: [(String, String)] = [
            ("given_name", "\"\(givenNames[number % givenNames.count])\""),
            ("family_name", "\"\(familyNames[number % familyNames.count])\""),
            ("personnummer", "\"\(Personnummer.number(year: 2012, month: 1, day: day, serial: 0)!)\""),
            ("grade", String(4 + number % 6)),
            ("class_name", "\"\(4 + number % 6)\(["A", "B", "C"][number % 3])\""),
        ]
        for (field, value) in fields {
            changes.append(
                #"{"entity":"pupil","field":"\#(field)","id":"\#(id)","stamp":"\#(stamp)","value":\#(value)}"#
            )
        }
        if concernReports {
            let report = syntheticReportID(number)
            for (field, value) in [("pupil_id", "\"\(id)\""), ("concern", "\"Lång frånvaro sedan vecka \(day)\"")] {
                changes.append(
                    #"{"entity":"concern_report","field":"\#(field)","id":"\#(report)","stamp":"\#(stamp)","#
                        + #""value":\#(value)}"#
                )
            }
        }
    }
    return (changeSetFile(changes, origin: origin, side: "school"), changes.count)
}

/// Social services' receipt of each synthetic pupil's report of concern (`received_at`,
/// `investigation_opened`), as a change set from node `origin` on the social-services side.
func concernReceipts(pupils: Int, origin: String) -> (data: Data, changes: Int) {
    let start = UInt64(Date().timeIntervalSince1970 * 1000) - 30_000
    var changes: [String] = []
    for number in 0..<pupils {
        let stamp = "\(start + UInt64(number / 1000)):\(number % 1000)@\(origin)"
        for (field, value) in [
            ("investigation_opened", "\(number % 2 == 0)"), ("received_at", #""2026-11-02T08:00:00Z""#),
        ] {
            changes.append(
                #"{"entity":"concern_report","field":"\#(field)","id":"\#(syntheticReportID(number))","#
                    + #""stamp":"\#(stamp)","value":\#(value)}"#
            )
        }
    }
    return (changeSetFile(changes, origin: origin, side: "social"), changes.count)
}

/// A change-set file of `changes` (each a JSON object), the whole history of `origin`.
private func changeSetFile(_ changes: [String], origin: String, side: String) -> Data {
    let text =
        #"{"changes":["# + changes.joined(separator: ",")
        + #"],"format":"sst-changes","origin":"\#(origin)","side":"\#(side)","since":0,"upTo":\#(changes.count),"#
        + #""version":1}"#
    return Data(text.utf8)
}
