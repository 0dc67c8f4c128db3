/// Human text for a span of milliseconds, as sync messages name clock offsets: `42 s`, `5 min`, `24 h`, `3 days`.
enum DurationText {
    static func milliseconds(_ milliseconds: UInt64) -> String {
        let seconds = (milliseconds + 500) / 1000
        if seconds < 120 { return "\(seconds) s" }
        if seconds < 7200 { return "\((seconds + 30) / 60) min" }
        if seconds < 172_800 { return "\((seconds + 1800) / 3600) h" }
        return "\((seconds + 43200) / 86400) days"
    }
}
