extension Duration {
    /// The duration in seconds, as a floating-point number (for timings reported in seconds or milliseconds).
    package var inSeconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
