import SSTCore

/// The hub's answer to a pull: one change set and whether more follow.
public struct PullResponse: Codable, Hashable, Sendable {
    /// The hub's changes in `(since, upTo]` that the policy lets the node see; its origin is the hub.
    public var changeSet: ChangeSet
    /// Whether the hub holds changes after `changeSet.upTo`: pull again with `since = upTo`.
    public var more: Bool

    public init(changeSet: ChangeSet, more: Bool) {
        self.changeSet = changeSet
        self.more = more
    }
}
