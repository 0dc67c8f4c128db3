import Foundation
import SSTCore

/// What `sst sync` prints: a report or a failure, for a person or as JSON.
public enum SyncOutput {
    /// A few lines for a person.
    public static func text(_ report: SyncReport) -> String {
        var lines = ["Synced with \(report.hub ?? "the hub")."]
        lines.append(
            "Pushed      \(report.pushedChanges) change\(plural(report.pushedChanges)) in \(report.pushBatches) "
                + "batch\(report.pushBatches == 1 ? "" : "es"), \(report.appliedAtHub) new to the hub"
        )
        lines.append(
            "Pulled      \(report.pulledChanges) change\(plural(report.pulledChanges)) in \(report.pullBatches) "
                + "batch\(report.pullBatches == 1 ? "" : "es"), \(report.appliedHere) new here"
        )
        lines.append(
            "Cursors     the hub has this node up to \(report.acknowledged); this node has the hub up to \(report.pulledUpTo)"
        )
        if report.retries > 0 { lines.append("Retries     \(report.retries)") }
        if let mailbox = report.mailbox { lines.append(mailbox.line) }
        return lines.joined(separator: "\n")
    }

    /// The report as JSON.
    public static func json(_ report: SyncReport) -> CanonicalJSON {
        .object([
            "ok": .bool(true), "hub": report.hub.map(CanonicalJSON.string) ?? .null,
            "pushed": .integer(Int64(report.pushedChanges)), "pushBatches": .integer(Int64(report.pushBatches)),
            "appliedAtHub": .integer(Int64(report.appliedAtHub)), "pulled": .integer(Int64(report.pulledChanges)),
            "pullBatches": .integer(Int64(report.pullBatches)), "appliedHere": .integer(Int64(report.appliedHere)),
            "acknowledged": .integer(report.acknowledged), "pulledUpTo": .integer(report.pulledUpTo),
            "clockOffsetMilliseconds": .integer(report.clockOffset), "retries": .integer(Int64(report.retries)),
            "mailbox": report.mailbox.map(\.json) ?? .null,
        ])
    }

    /// A failure as JSON.
    public static func json(_ failure: SyncFailure) -> CanonicalJSON {
        .object([
            "ok": .bool(false),
            "error": .object([
                "code": .string(failure.code), "kind": .string(failure.kind.description),
                "message": .string(failure.message), "remedy": .string(failure.remedy),
                "status": failure.problem.map { .integer(Int64($0.statusCode)) } ?? .null,
            ]),
        ])
    }

    fileprivate static func plural(_ count: Int) -> String { count == 1 ? "" : "s" }
}

extension SyncProgress {
    /// `push [██████░░░░]  60%` for a terminal; an unknown total shows the phase alone.
    public func bar(width: Int) -> String {
        let label = phase.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
        guard let fraction else { return "\(label)…" }
        let filled = Int((fraction * Double(width)).rounded())
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: max(0, width - filled))
        return "\(label)[\(bar)] \(Int((fraction * 100).rounded()))%"
    }
}

extension SyncOutput {
    /// A sync with a peer (another node of this school, at `url`), for a person.
    public static func text(_ report: SyncReport, peer url: String) -> String {
        let node = report.hub ?? "?"
        var lines = ["Synced with \(node), a node of this school at \(url)."]
        lines.append(
            "Pushed      \(report.pushedChanges) change\(plural(report.pushedChanges)) in \(report.pushBatches) "
                + "batch\(report.pushBatches == 1 ? "" : "es"), \(report.appliedAtHub) new to \(node)"
        )
        lines.append(
            "Pulled      \(report.pulledChanges) change\(plural(report.pulledChanges)) in \(report.pullBatches) "
                + "batch\(report.pullBatches == 1 ? "" : "es"), \(report.appliedHere) new here"
        )
        lines.append(
            "Cursors     \(node) has this node up to \(report.acknowledged); this node has \(node) up to "
                + "\(report.pulledUpTo)"
        )
        if report.retries > 0 { lines.append("Retries     \(report.retries)") }
        return lines.joined(separator: "\n")
    }

    /// A sync with a peer as JSON: as a hub sync's, with `peer` (its node id) and `peerURL` added.
    public static func json(_ report: SyncReport, peer url: String) -> CanonicalJSON {
        guard case .object(var members) = json(report) else { return json(report) }
        members["peer"] = report.hub.map(CanonicalJSON.string) ?? .null
        members["peerURL"] = .string(url)
        return .object(members)
    }
}
