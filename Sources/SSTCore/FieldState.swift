/// One value of one field with its stamp; for `text` fields also the causal context of the write.
public struct FieldState: Hashable, Sendable {
    public let value: Value
    public let stamp: Stamp
    /// For `text` fields: what the writer had seen of the field, always including ``stamp`` itself.
    public let context: CausalContext?

    public init(value: Value, stamp: Stamp, context: CausalContext? = nil) {
        self.value = value
        self.stamp = stamp
        self.context = context
    }

    /// The context of a text value, which always covers its own stamp.
    public var textContext: CausalContext {
        var context = self.context ?? CausalContext()
        context.include(stamp)
        return context
    }
}
