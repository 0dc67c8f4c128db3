import GRDB
import SSTCore

extension Store {
    /// The fields changed after `sequence` (the hub's acknowledged cursor of this node's log) whose current value
    /// was not written by `hub`: what the next push offers the hub. Values pulled from the hub are in the log
    /// too, with sequence numbers of their own, but the hub has them.
    public func changesWaiting(after sequence: Int64, notWrittenBy hub: NodeID?) throws -> Int64 {
        try writer.read { db in try StampLayout.fieldsLogged(after: sequence, notBy: hub?.rawValue, db) }
    }
}
