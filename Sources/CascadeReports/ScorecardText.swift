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
            if r.addressed && !r.reproduced { lines.append("     " + r.note) }
        }
        lines.append(summary(results))
        return lines.joined(separator: "\n") + "\n"
    }

    public static func summary(_ results: [FindingResult]) -> String {
        let addressed = results.filter(\.addressed).count
        let ok = results.filter(\.reproduced).count
        return "scorecard: \(ok) of \(results.count) findings reproduced (\(addressed) addressed, \(results.count - addressed) not addressed)"
    }

    /// A JSON list of `{"id", "reproduced", "addressed", "figure", "note"}`.
    public static func json(_ results: [FindingResult]) -> String {
        let items = results.map { r in
            "  {\"id\": \"\(jsonEscape(r.id))\", \"reproduced\": \(r.reproduced), \"addressed\": \(r.addressed), \"figure\": \"\(jsonEscape(r.figure))\", \"note\": \"\(jsonEscape(r.note))\"}"
        }
        return "[\n" + items.joined(separator: ",\n") + "\n]\n"
    }
}
