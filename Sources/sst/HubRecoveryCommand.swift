import ArgumentParser
import Foundation
import SSTCore
import SSTStore

extension HubCommand {
    /// `sst hub recovery`: the recovery window of a hub restored from a backup (docs/operations.md, "Restoring a
    /// node from a backup").
    struct Recovery: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open or close the window in which schools give back what a restored hub lost.",
            discussion: """
                A hub restored from a backup and given a new id (`sst node rejoin`) has lost what social services \
                wrote after the backup. The schools give back the shared case work on their own; the values of \
                social services' own fields that a school received (social_support.has_ongoing_support, \
                concern_report.received_at and investigation_opened) it never sends, as it does not own them. \
                While the recovery window is open, a school that follows the hub gives those back too, when \
                stamped by one of the hub's previous ids and only for its own pupils; each value taken back is \
                audited as recovered from that school. Close it once every school has synced.

                Example:
                  sst hub recovery open --data ./hub --until 7d
                  sst hub recovery status --data ./hub
                  sst hub recovery close --data ./hub
                """,
            subcommands: [Open.self, Close.self, Status.self]
        )

        struct Open: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Open the recovery window of a hub that rejoined after a restore (audited)."
            )

            @OptionGroup var options: DataOptions

            @Option(
                help: ArgumentHelp(
                    "When the window closes by itself: a UTC time (2026-12-08T17:00:00Z) or a span from now (7d, "
                        + "48h, 90m). Without it, it stays open until `sst hub recovery close`.",
                    valueName: "TIME"
                )
            )
            var until: String?

            @Flag(help: "Print JSON.")
            var json = false

            func run() throws {
                let now = UInt64(Date().timeIntervalSince1970 * 1000)
                let end = try until.map { text in
                    guard let end = Recovery.parseTime(text, now: now) else {
                        throw ValidationError(
                            "--until \"\(text)\" is neither a UTC time like 2026-12-08T17:00:00Z nor a span like 7d, "
                                + "48h or 90m"
                        )
                    }
                    return end
                }
                let window = try options.openStore().openRecoveryWindow(until: end)
                Recovery.show(window, json: json)
            }
        }

        struct Close: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract:
                    "Close the recovery window (audited): schools' values of social services' fields are refused again."
            )

            @OptionGroup var options: DataOptions

            func run() throws {
                let closed = try options.openStore().closeRecoveryWindow()
                print(closed ? "Recovery window closed." : "No recovery window was open; nothing changed.")
            }
        }

        struct Status: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show whether the recovery window is open.")

            @OptionGroup var options: DataOptions

            @Flag(help: "Print JSON.")
            var json = false

            func run() throws {
                let store = try options.openStore()
                let window = try store.openRecoveryWindowNow()
                guard let window else {
                    if json {
                        printJSON(.object(["open": .bool(false)]))
                    } else {
                        print("Recovery    closed")
                    }
                    return
                }
                Recovery.show(window, json: json)
            }
        }

        /// The window as `sst hub recovery open` and `status` print it.
        static func show(_ window: RecoveryWindow, json: Bool) {
            if json {
                let until: CanonicalJSON = window.until.map { .string(text($0)) } ?? .null
                let previous: [CanonicalJSON] = window.previous.map { .string($0.rawValue) }
                printJSON(
                    .object([
                        "open": .bool(true), "openedAt": .string(text(window.openedAt)), "until": until,
                        "previous": .array(previous),
                    ])
                )
                return
            }
            print(line(window))
        }

        /// One line for a terminal, as `sst status` shows it at a hub.
        static func line(_ window: RecoveryWindow) -> String {
            "Recovery    window open since \(text(window.openedAt)) "
                + (window.until.map { "until \(text($0))" } ?? "until `sst hub recovery close`")
                + ": schools give back values stamped by \(window.previous.map(\.rawValue).joined(separator: ", "))"
        }

        /// A UTC time (ISO 8601, `Z` or an offset) or a span from `now` (`7d`, `48h`, `90m`), in milliseconds.
        static func parseTime(_ text: String, now: UInt64) -> UInt64? {
            let units: [Character: UInt64] = ["d": 86_400_000, "h": 3_600_000, "m": 60_000]
            if let unit = text.last.flatMap({ units[$0] }), let count = UInt64(text.dropLast()), count > 0 {
                return now + count * unit
            }
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime]
            if let date = formatter.date(from: text) { return UInt64(max(0, date.timeIntervalSince1970 * 1000)) }
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return formatter.date(from: text).map { UInt64(max(0, $0.timeIntervalSince1970 * 1000)) }
        }

        static func text(_ milliseconds: UInt64) -> String {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime]
            return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(milliseconds) / 1000))
        }
    }
}
