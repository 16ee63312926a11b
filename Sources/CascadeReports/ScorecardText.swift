import CascadeCore
import CascadeExperiments
import Foundation

extension Scorecard {
    /// One line per finding: id, reproduced or not, the simulated figure; a summary line last.
    public static func table(_ results: [FindingResult]) -> String {
        var lines: [String] = []
        for r in results {
            let status = !r.addressed ? "not addressed" : (r.reproduced ? "reproduced" : "NOT reproduced")
            let detail = r.addressed ? r.figure : r.note
            lines.append("\(r.id.padding(toLength: 4, withPad: " ", startingAt: 0)) \(status.padding(toLength: 15, withPad: " ", startingAt: 0)) \(detail)")
            if !r.claim.isEmpty { lines.append("     claim (\(r.counted ? "counted" : r.addressed ? r.basis + ", not counted" : "not counted")): " + r.claim) }
            if r.addressed && !r.reproduced { lines.append("     " + r.note) }
        }
        lines.append(summary(results))
        return lines.joined(separator: "\n") + "\n"
    }

    public static func summary(_ results: [FindingResult]) -> String {
        let addressed = results.filter(\.addressed).count
        let ok = results.filter(\.reproduced).count
        let counted = results.filter(\.counted)
        let shown = results.filter { $0.addressed && !$0.counted }
        return "scorecard: \(counted.filter(\.reproduced).count) of \(counted.count) counted (predicted) findings reproduced; "
            + "\(ok) of \(results.count) in all (\(addressed) addressed, \(results.count - addressed) not addressed; "
            + "\(shown.count) by construction or fitted, not counted: \(shown.map { "\($0.id) \($0.basis)\($0.reproduced ? "" : " failed")" }.joined(separator: ", ")))"
    }

    /// A JSON list of `{"id", "reproduced", "addressed", "figure", "note"}`.
    public static func json(_ results: [FindingResult]) -> String {
        let items = results.map { r in
            "  {\"id\": \"\(jsonEscape(r.id))\", \"reproduced\": \(r.reproduced), \"addressed\": \(r.addressed), \"basis\": \"\(jsonEscape(r.basis))\", \"counted\": \(r.counted), \"claim\": \"\(jsonEscape(r.claim))\", \"figure\": \"\(jsonEscape(r.figure))\", \"note\": \"\(jsonEscape(r.note))\"}"
        }
        return "[\n" + items.joined(separator: ",\n") + "\n]\n"
    }
}
