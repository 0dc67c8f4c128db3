import Foundation
import Testing

@testable import SSTSealing

/// `Protocol/openapi.yaml` names the kinds of a sealed blob (`components.schemas.SealedBlobKind`), which the hub's
/// mailbox takes and lists; adding a kind to ``SealedBlob/Kind`` without adding it to the document fails here. (The
/// document's other enums are held to the code by `OpenAPIDocumentTests` in SSTCoreTests.)
@Suite struct OpenAPISealedBlobTests {
    @Test func sealedBlobKindEnumIsTheBlobKinds() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Protocol/openapi.yaml")
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(try Self.enumeration(ofSchema: "SealedBlobKind", in: text) == SealedBlob.Kind.allCases.map(\.rawValue))
    }

    /// The reader: the one-line `enum: [...]` of a schema under `components.schemas`, and nothing for a schema that
    /// has none or is missing.
    @Test func readsTheOneLineEnumOfASchema() throws {
        let text = """
            components:
              schemas:
                Other:
                  enum: [x]
                Kinds:
                  description: Two.
                  enum: [a, "b"]
                NoEnum:
                  type: string
            """
        #expect(try Self.enumeration(ofSchema: "Kinds", in: text) == ["a", "b"])
        #expect(throws: Missing.self) { try Self.enumeration(ofSchema: "NoEnum", in: text) }
        #expect(throws: Missing.self) { try Self.enumeration(ofSchema: "Absent", in: text) }
    }

    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    /// The values of `components.schemas.<name>.enum` written on one line (the document's two-space layout).
    static func enumeration(ofSchema name: String, in text: String) throws -> [String] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let schemas = lines.firstIndex(of: "  schemas:"),
            let start = lines[schemas...].firstIndex(of: "    \(name):")
        else {
            throw Missing(description: "Protocol/openapi.yaml has no schema \(name) under components.schemas")
        }
        for line in lines[(start + 1)...].prefix(while: { $0.hasPrefix("      ") }) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("enum: [") && trimmed.hasSuffix("]") {
                return trimmed.dropFirst("enum: [".count).dropLast().split(separator: ",").map {
                    $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                }
            }
        }
        throw Missing(description: "the schema \(name) in Protocol/openapi.yaml has no one-line enum")
    }
}
