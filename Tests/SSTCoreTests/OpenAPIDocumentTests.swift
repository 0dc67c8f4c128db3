import Foundation
import Testing

@testable import SSTCore

/// `Protocol/openapi.yaml` names the schema's entities, consent scopes and phase steps as enums, so that a
/// client generated from it sends only what the servers take. These tests hold the document to the schema:
/// adding an entity (or a scope, or a step) without adding it to the document fails here.
@Suite struct OpenAPIDocumentTests {
    @Test func entityEnumIsTheSchemasEntities() throws {
        let document = try OpenAPIText.load()
        #expect(try document.enumeration(ofSchema: "Entity") == Schema.sst.entities.map(\.name))
    }

    @Test func consentScopeEnumIsTheSchemasScopes() throws {
        let document = try OpenAPIText.load()
        #expect(try document.enumeration(ofSchema: "ConsentScope") == Schema.consentScopes)
    }

    @Test func phaseStepEnumIsThePhasesSteps() throws {
        let document = try OpenAPIText.load()
        #expect(try document.enumeration(ofSchema: "PhaseStep") == Phase.Step.allCases.map(\.rawValue))
    }

    /// The reader itself: a list in either YAML form, and a schema that is missing or has no enum named.
    @Test func readsBothListFormsAndNamesWhatIsMissing() throws {
        let text = """
            components:
              parameters:
                Inline:
                  name: inline
              schemas:
                Inline:
                  type: string
                  enum: [a, "b", c]
                Block:
                  description: Two.
                  enum:
                    - x
                    - "y"
                  type: string
                NoEnum:
                  type: string
            """
        let document = OpenAPIText(text: text)
        #expect(try document.enumeration(ofSchema: "Inline") == ["a", "b", "c"])
        #expect(try document.enumeration(ofSchema: "Block") == ["x", "y"])
        #expect(throws: OpenAPIText.Missing.self) { try document.enumeration(ofSchema: "NoEnum") }
        #expect(throws: OpenAPIText.Missing.self) { try document.enumeration(ofSchema: "Absent") }
    }
}

/// `Protocol/openapi.yaml` as text, read just far enough to find the `enum` of a schema under
/// `components.schemas` (the document's own layout: two-space indentation, schemas at four spaces).
struct OpenAPIText {
    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    let lines: [Substring]

    init(text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    }

    /// The document of this repository.
    static func load() throws -> OpenAPIText {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let url = root.appendingPathComponent("Protocol/openapi.yaml")
        return OpenAPIText(text: try String(contentsOf: url, encoding: .utf8))
    }

    /// The values of `components.schemas.<name>.enum`, in the document's order.
    func enumeration(ofSchema name: String) throws -> [String] {
        guard let schemas = lines.firstIndex(of: "  schemas:"),
            let start = lines[schemas...].firstIndex(of: "    \(name):")
        else {
            throw Missing(description: "Protocol/openapi.yaml has no schema \(name) under components.schemas")
        }
        var index = start + 1
        while index < lines.count, lines[index].hasPrefix("      ") || lines[index].isEmpty {
            let line = lines[index].trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("enum: [") && line.hasSuffix("]") {
                return line.dropFirst("enum: [".count).dropLast().split(separator: ",").map { Self.scalar($0) }
            }
            if line == "enum:" {
                var values: [String] = []
                index += 1
                while index < lines.count, lines[index].hasPrefix("        - ") {
                    values.append(Self.scalar(lines[index].dropFirst("        - ".count)))
                    index += 1
                }
                return values
            }
            index += 1
        }
        throw Missing(description: "the schema \(name) in Protocol/openapi.yaml has no enum")
    }

    private static func scalar(_ text: Substring) -> String {
        text.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }
}
