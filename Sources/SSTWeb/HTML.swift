import Foundation

/// Markup built by the page's own code: text from anywhere else enters it only through ``escape(_:)``.
struct HTML: Sendable, ExpressibleByStringInterpolation {
    var text: String

    init(stringLiteral value: String) { text = value }

    init(raw text: String) { self.text = text }

    init(stringInterpolation: Interpolation) { text = stringInterpolation.text }

    /// Interpolation that escapes every `String` and inserts ``HTML`` as it is: `"<p>\(name)</p>"` is safe for
    /// any `name`.
    struct Interpolation: StringInterpolationProtocol {
        var text = ""

        init(literalCapacity: Int, interpolationCount: Int) { text.reserveCapacity(literalCapacity * 2) }

        mutating func appendLiteral(_ literal: String) { text += literal }

        mutating func appendInterpolation(_ value: String) { text += HTML.escape(value) }

        mutating func appendInterpolation(_ value: HTML) { text += value.text }

        mutating func appendInterpolation(_ values: [HTML]) { text += values.map(\.text).joined() }

        mutating func appendInterpolation(_ value: Int) { text += String(value) }

        mutating func appendInterpolation(_ value: Int64) { text += String(value) }
    }

    /// `text` safe in element content and in quoted attribute values.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    static func + (lhs: HTML, rhs: HTML) -> HTML { HTML(raw: lhs.text + rhs.text) }
}

/// The page's look: one small hand-written style sheet, served from `/staff/style.css` (no inline style, so the
/// Content-Security-Policy needs no `unsafe-inline`). Colours meet WCAG 2.1 AA contrast (4.5:1 for text, 3:1 for
/// the focus outline and borders; `WebAccessibilityTests` computes the ratios) and the keyboard focus is always
/// visible: a dark outline, white in the blue header.
enum StyleSheet {
    static let css = """
        :root { --ink: #1b1b1b; --muted: #4a4a4a; --accent: #0b5394; --bad: #a30000; --good: #1e5e1e;
          --line: #8a8a8a; --paper: #ffffff; --soft: #f2f4f7; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 1rem/1.5 system-ui, "DejaVu Sans", sans-serif; color: var(--ink);
          background: var(--paper); }
        a { color: var(--accent); }
        a:focus, button:focus, input:focus, select:focus, textarea:focus, summary:focus {
          outline: 3px solid var(--ink); outline-offset: 2px; }
        header a:focus, header button:focus { outline-color: #fff; }
        .skip { position: absolute; left: -999px; }
        .skip:focus { left: 1rem; top: 1rem; background: var(--paper); padding: .5rem; z-index: 2; }
        header { background: var(--accent); color: #fff; padding: .5rem 1rem; display: flex; gap: 1rem;
          align-items: center; flex-wrap: wrap; }
        header a { color: #fff; }
        header form { margin-left: auto; }
        main { max-width: 62rem; margin: 0 auto; padding: 1rem; }
        h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
        h2 { font-size: 1.25rem; margin: 1.5rem 0 .5rem; border-bottom: 1px solid var(--line); }
        table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
        th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #c8c8c8; vertical-align: top; }
        th { background: var(--soft); }
        label { display: block; font-weight: 600; margin: .5rem 0 .2rem; }
        label.inline { display: inline; font-weight: normal; margin-right: 1rem; }
        input[type=text], input[type=search], input[type=password], input[type=date], select, textarea {
          font: inherit; padding: .35rem; border: 1px solid #595959; border-radius: 3px; max-width: 100%; }
        textarea { width: 100%; min-height: 4rem; }
        button { font: inherit; padding: .4rem .9rem; border: 1px solid var(--accent); background: var(--accent);
          color: #fff; border-radius: 3px; cursor: pointer; }
        button.secondary { background: var(--paper); color: var(--accent); }
        fieldset { border: 1px solid var(--line); margin: .75rem 0; padding: .5rem 1rem; }
        details { border: 1px solid var(--line); margin: .75rem 0; padding: .5rem 1rem; }
        summary { cursor: pointer; font-weight: 600; color: var(--accent); }
        .banner { padding: .5rem 1rem; border-left: 6px solid var(--good); background: #e9f3e9; margin-bottom: 1rem; }
        .banner.offline { border-color: var(--bad); background: #fbeaea; }
        .banner.waiting { border-color: var(--line); background: var(--soft); }
        .alert { padding: .75rem 1rem; border-left: 6px solid var(--bad); background: #fbeaea; margin: 1rem 0; }
        .notice { padding: .75rem 1rem; border-left: 6px solid var(--good); background: #e9f3e9; margin: 1rem 0; }
        .protected { font-weight: 700; color: var(--bad); }
        .status-active { color: var(--good); font-weight: 700; }
        .status-withdrawn, .status-refused, .status-expired { color: var(--bad); font-weight: 700; }
        .side { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
        .side > div { border: 1px solid var(--line); padding: .5rem; }
        .muted { color: var(--muted); }
        ol.phases { display: flex; flex-wrap: wrap; gap: .25rem; list-style: none; padding: 0; }
        ol.phases li { padding: .2rem .5rem; border: 1px solid var(--line); border-radius: 3px; }
        ol.phases li.current { background: var(--accent); color: #fff; border-color: var(--accent); }
        svg text { font: .75rem system-ui, "DejaVu Sans", sans-serif; fill: #1b1b1b; }
        """
}
