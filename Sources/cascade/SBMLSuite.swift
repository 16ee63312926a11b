import ArgumentParser
import CascadeConformance
import CascadeCore
import CascadeFormats
import CascadeSolver
import Foundation

/// Runs SBML Test Suite semantic cases and compares with their expected results.
struct SBMLSuite: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sbml-suite",
        abstract: "Run SBML Test Suite cases and report pass, fail and unsupported per tag.",
        discussion: """
            CASES_DIR holds one folder per case (NNNNN/NNNNN-sbml-l3v2.xml, or -sbml-l3v1.xml where there is no \
            Level 3 Version 2 file, -settings.txt, -results.csv), \
            and optionally cases.tsv (or ../cases.tsv) with each case's component and test tags. \
            A case passes when every value satisfies |simulated − expected| ≤ absolute + relative·|expected| \
            with the tolerances of its settings file. Unsupported tags (declared up front): \
            \((SBMLTestSuite.unsupportedTags.sorted() + ["any fbc:* tag"]).joined(separator: ", ")).
            """)

    @Argument(help: "The folder of case folders.") var casesDir: String
    @Option(help: "Cases to run: comma-separated ids or ranges (1-100,205).") var cases: String?
    @Option(name: .customLong("out-dir"), help: ArgumentHelp("Write each case's simulated results to DIR/NNNNN.csv.", valueName: "dir")) var outDir: String?
    @Option(help: ArgumentHelp("Write a per-case report (TSV: case, status, detail) to FILE.", valueName: "file")) var report: String?
    @OptionGroup(title: "Solver") var solver: SolverFlags<SuiteSolverDefaults>
    @Option(help: "Fail (exit 1) when fewer than N cases pass.") var minimumPass: Int?
    @Flag(help: "Print each case's result.") var verbose = false

    func run() throws {
        let suite: SBMLTestSuite
        do { suite = try SBMLTestSuite(folder: URL(fileURLWithPath: casesDir)) } catch {
            throw Failure("\(casesDir): no such folder")
        }
        var ids = suite.caseIds
        if let sel = cases {
            let wanted = try parseSelection(sel)
            ids = ids.filter { wanted.contains(Int($0)!) }
        }
        guard !ids.isEmpty else { throw Failure("\(casesDir): no cases found") }
        if let outDir { try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true) }

        let summary = suite.run(ids, options: solver.options())
        let results = summary.outcomes
        if let outDir {
            for o in results { if let csv = o.csv { try writeOutput(csv, to: "\(outDir)/\(o.id).csv") } }
        }

        // Tables per component and test tag.
        var out = ""
        for (title, component) in [("component tag", true), ("test tag", false)] {
            out += "\n" + title.padding(toLength: 34, withPad: " ", startingAt: 0) + "  pass  fail  unsup\n"
            for c in summary.countsByTag(component: component) {
                out +=
                    c.tag.padding(toLength: 34, withPad: " ", startingAt: 0)
                    + String(format: "  %4d  %4d  %5d\n", c.pass, c.fail, c.unsupported)
            }
        }
        let failures = results.filter { $0.status == .fail }
        if !failures.isEmpty {
            out += "\nfailures:\n"
            for f in failures { out += "  \(f.id): \(f.detail)\n" }
        }
        if verbose {
            for o in results { out += "\(o.id) \(o.status.rawValue) \(o.detail)\n" }
        }
        let p = summary.passed
        out += "\nsbml-suite: \(p) pass, \(failures.count) fail, \(summary.unsupported) unsupported of \(results.count)\n"
        FileHandle.standardOutput.write(Data(out.utf8))
        if let report {
            let text = "case\tstatus\tdetail\n" + results.map { "\($0.id)\t\($0.status.rawValue)\t\($0.detail)" }.joined(separator: "\n") + "\n"
            try writeOutput(text, to: report)
        }
        if let minimumPass, p < minimumPass {
            throw Failure("sbml-suite: \(p) cases pass, fewer than the \(minimumPass) recorded")
        }
    }

    func parseSelection(_ s: String) throws -> Set<Int> {
        var out = Set<Int>()
        for part in s.split(separator: ",") {
            let bounds = part.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            if bounds.count == 1, let a = bounds[0] {
                out.insert(a)
            } else if bounds.count == 2, let a = bounds[0], let b = bounds[1], a <= b {
                out.formUnion(a ... b)
            } else {
                throw ValidationError("--cases: cannot read '\(part)'")
            }
        }
        return out
    }
}
