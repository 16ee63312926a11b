import CascadeExperiments
import Foundation
import XCTest

/// Scorecard files through the YAML reader: what they mean, and errors located by line, column
/// and field.
final class ScorecardFileTests: XCTestCase {
    let card = """
        defaults: {protocol: p, hook_window: [0, 2 h], rtol: 1e-7}
        protocols:
          p:
            description: ketamine at time 0
            steps: [{at: 0, set: ketamine_bath, to: 1}, {at: 1 h, set: ketamine_bath, to: 0}]
            settings: {in_vivo: 0}
        findings:
          - id: F1
            claim: p-eEF2 falls
            checks:
              - {readout: p_eEF2, time: 30 min, expect: down, by: 0.1, test: {hooks: {route_direct: 1}}}
              - {readout: BDNF, expect: range, range: [0.5, 2], of: change}
          - {id: F2, addressed: no, reason: not modelled}
        """

    func message(_ text: String) -> String {
        do {
            _ = try Scorecard.parse(text, file: "card.yaml")
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testACardMeansWhatItSays() throws {
        let c = try Scorecard.parse(card, file: "card.yaml")
        XCTAssertEqual(c.hookWindow, 0 ... 7200)
        XCTAssertEqual(c.relativeTolerance, 1e-7)
        let p = try XCTUnwrap(c.protocols["p"])
        XCTAssertEqual(p.steps.map(\.time), [0, 3600])
        XCTAssertEqual(p.steps.map(\.value), [1, 0])
        XCTAssertEqual(p.settings, ["in_vivo": 0])
        XCTAssertEqual(c.findings.map(\.id), ["F1", "F2"])
        XCTAssertEqual(c.findings[1].addressed, false)
        let checks = c.findings[0].checks
        XCTAssertEqual(checks.map(\.time), [1800, 0])
        XCTAssertEqual(checks[0].test.hooks, ["route_direct": 1])
        XCTAssertTrue(checks[0].test.treated)
        XCTAssertFalse(checks[0].control.treated)
    }

    func testErrorsNameLineColumnAndField() {
        XCTAssertEqual(message("findings: []"), "card.yaml:1:1: missing field 'protocols'")
        XCTAssertEqual(message(card.replacingOccurrences(of: "expect: down", with: "expect: sideways")),
                       "card.yaml:11:49: findings[0].checks[0].expect: unknown expectation 'sideways' (up, down, unchanged, range, blocked, not_blocked, peak_within, half_decay_within, precedes)")
        XCTAssertEqual(message(card.replacingOccurrences(of: "{at: 1 h,", with: "{at: soon,")),
                       "card.yaml:5:54: protocols.p.steps[1].at: expected a time such as 3600, '30 min', '2 h' or '3 d', found 'soon'")
        XCTAssertEqual(message(card.replacingOccurrences(of: "reason: not modelled", with: "note: later")),
                       "card.yaml:13:5: findings[1]: finding F2: 'addressed: false' needs a 'reason'")
        XCTAssertEqual(message(card.replacingOccurrences(of: "by: 0.1", with: "by: lots")),
                       "card.yaml:11:59: findings[0].checks[0].by: expected a number, got 'lots'")
        XCTAssertEqual(message(card.replacingOccurrences(of: "{readout: BDNF,", with: "{readout: BDNF, protocol: q,")),
                       "card.yaml:12:35: findings[0].checks[1].protocol: unknown protocol 'q'")
    }
}
