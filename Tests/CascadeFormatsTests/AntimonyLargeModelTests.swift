import CascadeCore
import CascadeFormats
import Foundation
import XCTest

/// A generated 10,000-reaction model parses. The elapsed time is printed (not asserted); run it in
/// a release build to measure: `swift test -c release --filter AntimonyLargeModelTests`.
final class AntimonyLargeModelTests: XCTestCase {
    static func generatedModel(reactions count: Int) -> String {
        var lines = ["model big()", "  compartment cell = 1", "  species E in cell = 1"]
        lines.reserveCapacity(3 * count + 8)
        for i in 0 ..< count {
            lines.append("  J\(i): S\(i) -> S\(i + 1); cell*k\(i)*E*S\(i)/(Km + S\(i))")
        }
        for i in 0 ... count {
            lines.append("  S\(i) = \(Double(i % 100) * 0.01)")
        }
        for i in 0 ..< count {
            lines.append("  k\(i) = \(1 + Double(i) * 1e-4)")
        }
        lines.append("  Km = 0.5")
        lines.append("end")
        return lines.joined(separator: "\n") + "\n"
    }

    func testTenThousandReactionModelParses() throws {
        let text = Self.generatedModel(reactions: 10_000)
        let start = Date()
        let model = try parseAntimony(text)
        let elapsed = Date().timeIntervalSince(start)
        print("Antimony: parsed a 10,000-reaction model (\(text.utf8.count) bytes) in \(String(format: "%.3f", elapsed)) s")
        XCTAssertEqual(model.reactions.count, 10_000)
        XCTAssertEqual(model.species.count, 10_002)
        XCTAssertEqual(model.parameters.count, 10_001)
        XCTAssertEqual(model.compartments.map(\.id), ["cell", "default_compartment"])
        XCTAssertEqual(model.reactions[9_999].reactants, [SpeciesReference("S9999")])
        XCTAssertEqual(model.reactions[9_999].products, [SpeciesReference("S10000")])
        XCTAssertEqual(model.reactions[42].modifiers, ["E"])
        XCTAssertEqual(model.species("S10000")?.initial, .concentration(0))
    }
}
