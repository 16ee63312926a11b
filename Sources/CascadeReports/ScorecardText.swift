import CascadeCore
import CascadeExperiments
import Foundation

extension Scorecard {
    /// One line per finding: id, reproduced or not, the simulated figure; the further checks
    /// (beyond the scored literature set) after a heading; a summary line last.
    public static func table(_ results: [FindingResult]) -> String {
        var lines: [String] = []
        var further = false
        for r in results {
            if r.set != "core" && !further {
                further = true
                lines.append("further checks (predictions beyond the literature set, counted separately):")
            }
            let status = !r.addressed ? "not addressed" : (r.reproduced ? "reproduced" : "NOT reproduced")
            let detail = r.addressed ? r.figure : r.note
            lines.append("\(r.id.padding(toLength: 4, withPad: " ", startingAt: 0)) \(status.padding(toLength: 15, withPad: " ", startingAt: 0)) \(detail)")
            if !r.claim.isEmpty { lines.append("     claim (\(r.counted ? "counted" : r.addressed ? r.basis + ", not counted" : "not counted")): " + r.claim) }
            if r.addressed && !r.reproduced { lines.append("     " + r.note) }
        }
        lines.append(summary(results))
        return lines.joined(separator: "\n") + "\n"
    }

    /// The score of the literature set (`core`), and of the further checks when there are any:
    /// `...; further: M of K counted predictions reproduced (B1, B2 failed, ...)`.
    public static func summary(_ all: [FindingResult]) -> String {
        let results = all.filter { $0.set == "core" }
        let addressed = results.filter(\.addressed).count
        let ok = results.filter(\.reproduced).count
        let counted = results.filter(\.counted)
        let shown = results.filter { $0.addressed && !$0.counted }
        var line =
            "scorecard: \(counted.filter(\.reproduced).count) of \(counted.count) counted (predicted) findings reproduced; "
            + "\(ok) of \(results.count) in all (\(addressed) addressed, \(results.count - addressed) not addressed; "
            + "\(shown.count) by construction or fitted, not counted: \(shown.map { "\($0.id) \($0.basis)\($0.reproduced ? "" : " failed")" }.joined(separator: ", ")))"
        let further = all.filter { $0.set != "core" }
        if !further.isEmpty {
            let fc = further.filter(\.counted)
            line +=
                "; further: \(fc.filter(\.reproduced).count) of \(fc.count) counted predictions reproduced ("
                + further.map { "\($0.id)\($0.counted ? "" : " " + $0.basis)\($0.reproduced ? "" : $0.addressed ? " failed" : " not addressed")" }.joined(
                    separator: ", ") + ")"
        }
        return line
    }

    /// A JSON list of `{"id", "reproduced", "addressed", "basis", "counted", "set", "claim", "figure", "note"}`.
    public static func json(_ results: [FindingResult]) -> String {
        let items = results.map { r in
            "  {\"id\": \"\(jsonEscape(r.id))\", \"reproduced\": \(r.reproduced), \"addressed\": \(r.addressed), \"basis\": \"\(jsonEscape(r.basis))\", \"counted\": \(r.counted), \"set\": \"\(jsonEscape(r.set))\", \"claim\": \"\(jsonEscape(r.claim))\", \"figure\": \"\(jsonEscape(r.figure))\", \"note\": \"\(jsonEscape(r.note))\"}"
        }
        return "[\n" + items.joined(separator: ",\n") + "\n]\n"
    }
}
