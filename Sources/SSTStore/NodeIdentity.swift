import SSTCore

/// Who a node is: its id, its role and, for a school node, its school and stadsdel.
public struct NodeIdentity: Hashable, Sendable {
    public enum Role: String, Hashable, Sendable, CaseIterable {
        case school
        case hub

        /// The side of the secrecy boundary a node of this role is on: a hub belongs to social services.
        public var side: Side { self == .school ? .school : .social }
    }

    public let node: NodeID
    public let role: Role
    public let school: String?
    public let stadsdel: String?

    public init(node: NodeID, role: Role, school: String? = nil, stadsdel: String? = nil) {
        self.node = node
        self.role = role
        self.school = school
        self.stadsdel = stadsdel
    }

    public var side: Side { role.side }
}
