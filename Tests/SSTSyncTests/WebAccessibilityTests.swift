import Foundation
import NIOHTTP1
import SSTCore
import SSTPrivacy
import SSTServices
import SSTStore
import SSTSync
import SSTWeb
import Testing

/// A WCAG 2.1 AA quick audit of every page, as served: the language attribute, a skip link to the main content, a
/// label for every input, unique ids, header cells in every table, a text alternative for every chart; and the
/// contrast of the style sheet's colours (4.5:1 for text, 3:1 for the focus outline).
@Suite(.timeLimit(.minutes(10)))
struct WebAccessibilityTests {
    let district: TestDistrict
    let school: TestNode

    init() throws {
        WebPages.register()
        district = try TestDistrict()
        school = try TestNode("ekbacken-1", school: "Ekbackens skola", stadsdel: "Södermalm", district: district)
    }

    @Test func everyPageHasItsLanguageASkipLinkLabelsTableHeadersAndChartTexts() async throws {
        let pupil = try TestPupil(at: school, consent: ["identity"])
        let caseID = try pupil.openCase(at: school, plan: "Plan A")
        try school.store.set(
            entity: "absence",
            record: RecordID.random(),
            assignments: [
                ("pupil_id", pupil.pupil.rawValue), ("period_start", "2026-09-01"), ("period_end", "2026-09-30"),
                ("scheduled_minutes", "6000"), ("excused_minutes", "600"), ("unexcused_minutes", "1200"),
            ]
        )
        let other = try Store.inMemory(
            identity: NodeIdentity(node: NodeID("ekbacken-2")!, role: .school, school: "Ekbackens skola"),
            physicalClock: school.clock
        )
        try other.set(entity: "case", record: caseID, values: ["plan": .string("Plan B")])
        try school.store.apply(try other.exportChanges(since: 0))
        _ = try pupil.reportConcern(at: school)
        let token = try school.store.addStaff(name: "Anna Lind")
        let pages = [
            "/staff/pupils", "/staff/pupils?q=%C3%96berg", "/staff/pupils/\(pupil.pupil)",
            "/staff/pupils/\(pupil.pupil)/shared", "/staff/conflicts", "/staff/reports", "/staff/absence-import",
            "/staff/pupils/\(RecordID.random())", "/staff/pupils?q=x",
        ]
        try await withWebPage(school, dataDirectory: school.dataDirectory) { browser in
            let signIn = try await browser.get("/staff/sign-in")
            Self.audit(signIn.text, "/staff/sign-in")
            _ = try await browser.signIn(token)
            for path in pages {
                let page = try await browser.get(path)
                Self.audit(page.text, path)
            }
            let refused = try await browser.post(
                "/staff/cases/\(caseID)/phase",
                ["pupil": pupil.pupil.rawValue],
                csrf: .session
            )
            Self.audit(refused.text, "a refused form")
            let file = try await browser.get("/staff/pupils/\(pupil.pupil)")
            #expect(file.text.contains("<svg") && file.text.contains("<ol class=\"phases\""))
        }
    }

    /// Checks one page's markup.
    static func audit(_ html: String, _ path: String) {
        #expect(html.contains("<html lang=\"sv\">"), "\(path): lang")
        #expect(html.contains("<a class=\"skip\" href=\"#main\">") && html.contains("<main id=\"main\">"), "\(path)")
        #expect(html.contains("<title>") && html.contains("<h1>"), "\(path): title and heading")
        let ids = matches(#"\sid="([^"]+)""#, html)
        #expect(Set(ids).count == ids.count, "\(path): duplicate ids \(ids.sorted())")
        let labelled = Set(matches(#"<label[^>]*\sfor="([^"]+)""#, html))
        for control in matches(#"(<(?:input|select|textarea)\b[^>]*>)"#, html) {
            if control.contains("type=\"hidden\"") || control.contains("aria-label=") { continue }
            let id = matches(#"\sid="([^"]+)""#, control).first
            #expect(id.map(labelled.contains) == true, "\(path): no label for \(control)")
        }
        for table in matches(#"(<table\b[\s\S]*?</table>)"#, html) {
            #expect(table.contains("<th"), "\(path): a table without header cells")
        }
        for svg in matches(#"(<svg\b[^>]*>)"#, html) {
            #expect(
                svg.contains("role=\"img\"") && (svg.contains("aria-label=\"") || svg.contains("aria-labelledby=\"")),
                "\(path): \(svg)"
            )
        }
        #expect(!html.contains("style="), "\(path): inline style")
    }

    @Test func theStyleSheetsColoursHaveEnoughContrast() async throws {
        let token = try school.store.addStaff(name: "Anna Lind")
        try await withWebPage(school) { browser in
            _ = try await browser.signIn(token)
            let css = try await browser.get("/staff/style.css").text
            let variables = Dictionary(
                matches(#"(--[a-z]+:\s*#[0-9a-fA-F]{3,6})"#, css).map { declaration in
                    let parts = declaration.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
                    return (parts[0], parts[1])
                },
                uniquingKeysWith: { first, _ in first }
            )
            func colours(_ property: String) -> Set<String> {
                Set(
                    matches(#"(?:^|[\s;{])"# + property + #":\s*([^;}]+)"#, css).compactMap { value in
                        let value = value.trimmingCharacters(in: .whitespaces)
                        if let name = matches(#"var\((--[a-z]+)\)"#, value).first { return variables[name] }
                        return matches(#"(#[0-9a-fA-F]{3,6})"#, value).first
                    }
                )
            }
            let texts = colours("color").union(colours("fill")).union(
                ["--ink", "--muted", "--accent", "--bad", "--good"].compactMap { variables[$0] }
            )
            let backgrounds = colours("background").union(["--paper", "--soft"].compactMap { variables[$0] })
            #expect(texts.count >= 5 && backgrounds.count >= 4, "\(texts) \(backgrounds)")
            for text in texts {
                // Dark text is read on the light backgrounds, light text on the dark ones.
                for background in backgrounds where (luminance(text) < 0.5) == (luminance(background) > 0.5) {
                    #expect(contrast(text, background) >= 4.5, "text \(text) on \(background)")
                }
            }
            for outline in colours("outline").union(colours("outline-color")) {
                for background in backgrounds where (luminance(outline) < 0.5) == (luminance(background) > 0.5) {
                    #expect(contrast(outline, background) >= 3, "focus outline \(outline) on \(background)")
                }
            }
            #expect(css.contains(":focus"), "the focus is styled")
        }
    }

    // MARK: Helpers

    /// The first group of every match of `pattern` in `text`.
    static func matches(_ pattern: String, _ text: String) -> [String] {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return [] }
        let range = NSRange(text.startIndex..., in: text)
        return regex.matches(in: text, range: range).compactMap { match in
            Range(match.range(at: 1), in: text).map { String(text[$0]) }
        }
    }

    func matches(_ pattern: String, _ text: String) -> [String] { Self.matches(pattern, text) }
}

/// The relative luminance of a `#rgb` or `#rrggbb` colour (WCAG 2.1).
func luminance(_ hex: String) -> Double {
    var digits = String(hex.dropFirst())
    if digits.count == 3 { digits = digits.map { "\($0)\($0)" }.joined() }
    let value = Int(digits, radix: 16) ?? 0
    let channels = [(value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff].map { channel -> Double in
        let c = Double(channel) / 255
        return c <= 0.03928 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
    }
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
}

/// The contrast ratio of two colours (WCAG 2.1), from 1 to 21.
func contrast(_ first: String, _ second: String) -> Double {
    let (a, b) = (luminance(first), luminance(second))
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)
}
