import CascadeCore
import CascadeExperiments
import Foundation

extension Scorecard {
    /// One line per finding: id, reproduced or not, the simulated figure; the further checks
    /// (beyond the scored literature set) after a heading; a summary line last.
    ///
    /// With `ensemble` (the results of `runEnsemble`), each addressed finding gains a line: the
    /// members that reproduce it and each check's share; the summary gains the ensemble's view.
    public static func table(_ results: [FindingResult], ensemble: EnsembleRun? = nil) -> String {
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
            if let e = r.ensemble { lines.append("     " + ensembleLine(e, checks: r.checks)) }
        }
        lines.append(summary(results))
        if let ensemble { lines.append(contentsOf: ensembleSummary(results, ensemble)) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `ensemble: reproduced in K of N members (share); checks: share what; ...`
    static func ensembleLine(_ e: EnsembleShare, checks: [CheckResult]) -> String {
        var line = "ensemble: reproduced in \(e.reproduced) of \(e.members) members (\(shareText(e.share)))"
        let shares = checks.compactMap { c in c.ensemble.map { "\(shareText($0.share)) \(c.check.what)" } }
        if !shares.isEmpty { line += "; checks: " + shares.joined(separator: "; ") }
        return line
    }

    static func shareText(_ s: Double?) -> String { s.map { String(format: "%.2f", $0) } ?? "-" }

    /// The ensemble's view of the scores: per member, the counted findings reproduced (mean,
    /// least, most); the counted findings that hold in at least 80% of the members; the ones
    /// below, with their shares; failed members with their reasons.
    public static func ensembleSummary(_ results: [FindingResult], _ run: EnsembleRun) -> [String] {
        let simulated = run.summary.members - run.summary.failed.count
        var line =
            "ensemble: \(simulated) of \(run.summary.members) members of \(run.summary.ensembleFile) simulated (\(run.summary.distinct) distinct, \(run.summary.failed.count) failed; \(run.summary.simulations) simulations)"
        for set in Scorecard.sets where results.contains(where: { $0.set == set && $0.counted }) {
            let t = ensembleTally(results, run, set: set)
            let below = results.filter { $0.set == set && $0.counted && !t.robust.contains($0.id) }
            line +=
                "; \(set == "core" ? "counted findings" : "further counted predictions") reproduced per member: mean "
                + String(format: "%.2f", t.mean)
                + " of \(t.counted) (least \(t.least), most \(t.most)); \(t.robust.count) of \(t.counted) hold in >= 80% of members"
                + (below.isEmpty ? "" : " (below: " + below.map { "\($0.id) \(shareText($0.ensemble?.share))" }.joined(separator: ", ") + ")")
        }
        var lines = [line]
        for f in run.summary.failed { lines.append("  member \(f.member) failed: \(f.reason)") }
        return lines
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
    ///
    /// With `ensemble`, each addressed finding also has `"ensemble": {"file", "members",
    /// "simulated", "failed": [{"member", "reason"}], "reproduced", "share", "reproduced_by",
    /// "checks": [{"what", "passed", "reproduced", "share"}]}` (`reproduced_by`: the members, by
    /// row from 0, that reproduce the finding; `passed`: the nominal check; `reproduced`: the
    /// members in which it passes).
    public static func json(_ results: [FindingResult], ensemble: EnsembleRun? = nil) -> String {
        let items = results.map { r in
            "  {\"id\": \"\(jsonEscape(r.id))\", \"reproduced\": \(r.reproduced), \"addressed\": \(r.addressed), \"basis\": \"\(jsonEscape(r.basis))\", \"counted\": \(r.counted), \"set\": \"\(jsonEscape(r.set))\", \"claim\": \"\(jsonEscape(r.claim))\", \"figure\": \"\(jsonEscape(r.figure))\", \"note\": \"\(jsonEscape(r.note))\""
                + (ensemble.flatMap { run in r.ensemble.map { ", \"ensemble\": " + ensembleJSON($0, id: r.id, checks: r.checks, run: run) } } ?? "") + "}"
        }
        return "[\n" + items.joined(separator: ",\n") + "\n]\n"
    }

    static func ensembleJSON(_ e: EnsembleShare, id: String, checks: [CheckResult], run: EnsembleRun) -> String {
        func share(_ s: Double?) -> String { s.map(formatNumber) ?? "null" }
        let failed = run.summary.failed.map { "{\"member\": \($0.member), \"reason\": \"\(jsonEscape($0.reason))\"}" }.joined(separator: ", ")
        let items = checks.compactMap { c in
            c.ensemble.map {
                "{\"what\": \"\(jsonEscape(c.check.what))\", \"passed\": \(c.passed), \"reproduced\": \($0.reproduced), \"share\": \(share($0.share))}"
            }
        }
        return
            "{\"file\": \"\(jsonEscape(run.summary.ensembleFile))\", \"mapping\": \"\(jsonEscape(run.summary.mappingFile))\", \"members\": \(run.summary.members), "
            + "\"simulated\": \(e.members), \"failed\": [\(failed)], \"reproduced\": \(e.reproduced), \"share\": \(share(e.share)), "
            + "\"reproduced_by\": [\(run.reproducedBy.filter { $0.findings.contains(id) }.map { String($0.member) }.joined(separator: ", "))], "
            + "\"checks\": [\(items.joined(separator: ", "))]}"
    }
}
