import CascadeExperiments
import Foundation
import XCTest

/// The scorecard file is read with located errors: file, line, column and field.
final class ScorecardFileTests: XCTestCase {
    func error(_ text: String) -> InputError? {
        do {
            _ = try Scorecard.parse(text, file: "card.yaml")
            return nil
        } catch {
            return error as? InputError
        }
    }

    func testErrorsNameTheLineAndField() throws {
        let bad = try XCTUnwrap(
            error(
                """
                protocols: {p: {steps: [{at: 0, set: ketamine_bath, to: 1}]}}
                findings:
                  - id: F1
                    checks:
                      - {protocol: p, readout: p_eEF2, time: 30 min, expect: upp}
                """))
        XCTAssertEqual(bad.file, "card.yaml")
        XCTAssertEqual(bad.line, 5)
        XCTAssertEqual(bad.field, "findings[0].checks[0].expect")
        XCTAssertTrue(bad.message.contains("did you mean 'up'"), bad.message)
    }

    /// A misspelt key is an error, not silently ignored (an unquoted comma in a flow mapping
    /// splits a text into a second, unknown key).
    func testUnknownKeysAreRefused() throws {
        let typo = try XCTUnwrap(
            error(
                """
                protocols: {p: {steps: [{at: 0, set: ketamine_bath, to: 1}]}}
                findings:
                  - {id: F1, checks: [{protocol: p, readout: p_eEF2, time: 30 min, expect: up, tolerence: 0.1}]}
                """))
        XCTAssertTrue(typo.message.contains("unknown field 'tolerence'"), typo.message)
        XCTAssertTrue(typo.message.contains("did you mean 'tolerance'"), typo.message)
        let comma = try XCTUnwrap(
            error(
                """
                protocols: {p: {steps: [{at: 0, set: ketamine_bath, to: 1}]}}
                findings:
                  - {id: F1, checks: [{what: (2R,6R)-HNK mimics, protocol: p, readout: p_eEF2, expect: up}]}
                """))
        XCTAssertEqual(comma.line, 3)
        XCTAssertNil(
            error(
                """
                protocols: {p: {steps: [{at: 0, set: ketamine_bath, to: 1}]}}
                findings:
                  - {id: F1, checks: [{what: "(2R,6R)-HNK mimics", protocol: p, readout: p_eEF2, expect: up}]}
                """))
    }
}
