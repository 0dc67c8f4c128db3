/// Absence per month as a small inline SVG bar chart (no script, no style attribute: presentation attributes only,
/// so the Content-Security-Policy holds), with the same figures as a table for screen readers and print.
enum AbsenceChart {
    struct Month: Sendable {
        let label: String
        var scheduled: Int64
        var excused: Int64
        var unexcused: Int64

        /// The share of scheduled time absent, in percent (0 without scheduled time).
        func percent(_ minutes: Int64) -> Double {
            scheduled > 0 ? Double(minutes) * 100 / Double(scheduled) : 0
        }
    }

    static func svg(_ months: [Month]) -> HTML {
        let (barWidth, gap, height, top, bottom, left) = (28, 10, 120, 10, 30, 48)
        let width = left + months.count * (barWidth + gap) + gap
        let scale = { (percent: Double) -> Int in Int((min(percent, 100) * Double(height) / 100).rounded()) }
        var parts: [HTML] = []
        for (tick, y) in [(0, height), (50, height / 2), (100, 0)] {
            parts.append(
                """
                <line x1="\(left - 4)" x2="\(width)" y1="\(top + y)" y2="\(top + y)" stroke="#c8c8c8"/>\
                <text x="\(left - 6)" y="\(top + y + 4)" text-anchor="end">\(tick) %</text>
                """
            )
        }
        for (index, month) in months.enumerated() {
            let x = left + gap + index * (barWidth + gap)
            let unexcused = scale(month.percent(month.unexcused))
            let excused = min(scale(month.percent(month.excused)), height - unexcused)
            parts.append(
                """
                <rect x="\(x)" y="\(top + height - unexcused)" width="\(barWidth)" height="\(unexcused)" fill="#a30000">\
                <title>\(month.label): ogiltig frånvaro \(Self.text(month.percent(month.unexcused)))</title></rect>\
                <rect x="\(x)" y="\(top + height - unexcused - excused)" width="\(barWidth)" height="\(excused)" fill="#0b5394">\
                <title>\(month.label): giltig frånvaro \(Self.text(month.percent(month.excused)))</title></rect>\
                <text x="\(x + barWidth / 2)" y="\(top + height + 16)" text-anchor="middle">\(String(month.label.suffix(2)))</text>
                """
            )
        }
        return """
            <figure>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(top + height + bottom)" \
            viewBox="0 0 \(width) \(top + height + bottom)" role="img" aria-labelledby="absence-title">
            <title id="absence-title">Frånvaro per månad i procent av schemalagd tid: blått giltig, rött ogiltig</title>
            \(parts)
            </svg>
            <figcaption>Frånvaro per månad (andel av schemalagd tid). Blått: giltig frånvaro. Rött: ogiltig frånvaro.\
            </figcaption>
            </figure>
            """
    }

    static func table(_ months: [Month]) -> HTML {
        let rows: [HTML] = months.map { month in
            """
            <tr><td>\(month.label)</td><td>\(month.scheduled)</td><td>\(month.excused) (\(text(month.percent(month.excused))))</td>\
            <td>\(month.unexcused) (\(text(month.percent(month.unexcused))))</td></tr>
            """
        }
        return """
            <table>
            <caption class="muted">Frånvaro i minuter per månad</caption>
            <thead><tr><th scope="col">Månad</th><th scope="col">Schemalagt</th><th scope="col">Giltig</th>\
            <th scope="col">Ogiltig</th></tr></thead>
            <tbody>\(rows)</tbody>
            </table>
            """
    }

    static func text(_ percent: Double) -> String {
        "\(Int(percent.rounded())) %"
    }
}
