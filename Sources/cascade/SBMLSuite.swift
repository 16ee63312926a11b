import ArgumentParser
import CascadeCore
import CascadeFormats
import CascadeSolver
import Dispatch
import Foundation

/// Runs SBML Test Suite semantic cases and compares with their expected results.
struct SBMLSuite: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sbml-suite",
        abstract: "Run SBML Test Suite cases and report pass, fail and unsupported per tag.",
        discussion: """
            CASES_DIR holds one folder per case (NNNNN/NNNNN-sbml-l3v2.xml, -settings.txt, -results.csv), \
            and optionally cases.tsv (or ../cases.tsv) with each case's component and test tags. \
            A case passes when every value satisfies |simulated − expected| ≤ absolute + relative·|expected| \
            with the tolerances of its settings file. Unsupported tags (declared up front): \
            \(SBMLSuite.unsupportedTags.sorted().joined(separator: ", ")), and any fbc:* tag.
            """)

    /// Tags this simulator does not support, declared up front.
    static let unsupportedTags: Set<String> = ["FastReaction", "CSymbolDelay"]

    @Argument(help: "The folder of case folders.") var casesDir: String
    @Option(help: "Cases to run: comma-separated ids or ranges (1-100,205).") var cases: String?
    @Option(name: .customLong("out-dir"), help: ArgumentHelp("Write each case's simulated results to DIR/NNNNN.csv.", valueName: "dir")) var outDir: String?
    @Option(help: ArgumentHelp("Write a per-case report (TSV: case, status, detail) to FILE.", valueName: "file")) var report: String?
    @OptionGroup(title: "Solver") var solver: SolverFlags<SuiteSolverDefaults>
    @Option(help: "Fail (exit 1) when fewer than N cases pass.") var minimumPass: Int?
    @Flag(help: "Print each case's result.") var verbose = false

    struct Outcome: Sendable {
        enum Status: String, Sendable { case pass, fail, unsupported }
        var id: String
        var status: Status
        var detail: String
        var csv: String?
    }

    func run() throws {
        let root = URL(fileURLWithPath: casesDir)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDir), isDir.boolValue else {
            throw Failure("\(casesDir): no such folder")
        }
        let tags = loadTags(root)
        var ids = try FileManager.default.contentsOfDirectory(atPath: root.path)
            .filter { $0.count == 5 && $0.allSatisfy(\.isNumber) }.sorted()
        if let sel = cases {
            let wanted = try parseSelection(sel)
            ids = ids.filter { wanted.contains(Int($0)!) }
        }
        guard !ids.isEmpty else { throw Failure("\(casesDir): no cases found") }
        if let outDir { try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true) }

        let caseIds = ids
        let outcomes = OutcomeStore(count: caseIds.count)
        let options = solverOptions()
        DispatchQueue.concurrentPerform(iterations: caseIds.count) { i in
            let id = caseIds[i]
            let outcome = runCase(id, root: root, tags: tags[id], options: options)
            outcomes.set(i, outcome)
        }
        let results = outcomes.all()
        if let outDir {
            for o in results { if let csv = o.csv { try writeOutput(csv, to: "\(outDir)/\(o.id).csv") } }
        }

        // Tables per component and test tag.
        var out = ""
        for (title, column) in [("component tag", 0), ("test tag", 1)] {
            var counts: [String: (Int, Int, Int)] = [:]
            for o in results {
                let t = tags[o.id].map { column == 0 ? $0.component : $0.test } ?? ["(untagged)"]
                for tag in t {
                    var c = counts[tag] ?? (0, 0, 0)
                    switch o.status {
                    case .pass: c.0 += 1
                    case .fail: c.1 += 1
                    case .unsupported: c.2 += 1
                    }
                    counts[tag] = c
                }
            }
            out += "\n" + title.padding(toLength: 34, withPad: " ", startingAt: 0) + "  pass  fail  unsup\n"
            for (tag, c) in counts.sorted(by: { $0.key < $1.key }) {
                out += tag.padding(toLength: 34, withPad: " ", startingAt: 0)
                    + String(format: "  %4d  %4d  %5d\n", c.0, c.1, c.2)
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
        let p = results.filter { $0.status == .pass }.count
        let u = results.filter { $0.status == .unsupported }.count
        out += "\nsbml-suite: \(p) pass, \(failures.count) fail, \(u) unsupported of \(results.count)\n"
        FileHandle.standardOutput.write(Data(out.utf8))
        if let report {
            let text = "case\tstatus\tdetail\n" + results.map { "\($0.id)\t\($0.status.rawValue)\t\($0.detail)" }.joined(separator: "\n") + "\n"
            try writeOutput(text, to: report)
        }
        if let minimumPass, p < minimumPass {
            throw Failure("sbml-suite: \(p) cases pass, fewer than the \(minimumPass) recorded")
        }
    }

    func solverOptions() -> SolverOptions {
        var o = solver.options()
        o.allowNonFiniteOutputs = true
        return o
    }

    struct Tags: Sendable { var component: [String]; var test: [String] }

    /// Reads cases.tsv (in CASES_DIR or its parent): id, testType, componentTags, testTags, synopsis.
    func loadTags(_ root: URL) -> [String: Tags] {
        let candidates = [root.appendingPathComponent("cases.tsv"), root.deletingLastPathComponent().appendingPathComponent("cases.tsv")]
        guard let url = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return [:] }
        var out: [String: Tags] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 4, f[0].count == 5, f[0].allSatisfy(\.isNumber) else { continue }
            func list(_ s: String) -> [String] { s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
            out[f[0]] = Tags(component: list(f[2]), test: list(f[3]))
        }
        return out
    }

    func parseSelection(_ s: String) throws -> Set<Int> {
        var out = Set<Int>()
        for part in s.split(separator: ",") {
            let bounds = part.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            if bounds.count == 1, let a = bounds[0] { out.insert(a) }
            else if bounds.count == 2, let a = bounds[0], let b = bounds[1], a <= b { out.formUnion(a ... b) }
            else { throw ValidationError("--cases: cannot read '\(part)'") }
        }
        return out
    }

    func runCase(_ id: String, root: URL, tags: Tags?, options: SolverOptions) -> Outcome {
        let all = (tags?.component ?? []) + (tags?.test ?? [])
        if let bad = all.first(where: { Self.unsupportedTags.contains($0) || $0.hasPrefix("fbc:") }) {
            return Outcome(id: id, status: .unsupported, detail: "tag \(bad)")
        }
        let dir = root.appendingPathComponent(id)
        do {
            let settings = try SBMLTestCaseSettings.read(contentsOf: dir.appendingPathComponent("\(id)-settings.txt"))
            let expected = try SBMLTestCaseResults.read(contentsOf: dir.appendingPathComponent("\(id)-results.csv"))
            let model = try SBML.read(contentsOf: dir.appendingPathComponent("\(id)-sbml-l3v2.xml"))
            let compiled = try CompiledModel(model)
            let amounts = Set(settings.amount), concentrations = Set(settings.concentration)
            let columns = expected.variables.map { v -> OutputColumn in
                guard model.species(v) != nil else { return OutputColumn(v) }
                if amounts.contains(v) { return OutputColumn(v, .amount) }
                if concentrations.contains(v) { return OutputColumn(v, .concentration) }
                return OutputColumn(v)
            }
            let times = expected.hasTimeColumn ? expected.times : settings.times
            let sim = try Simulator(compiled, options: options)
            let traj = try sim.simulate(times: times, outputs: columns, start: settings.start)
            var csv = (["time"] + expected.variables).joined(separator: ",") + "\n"
            var worst = ""
            var failed = false
            for r in 0 ..< traj.rowCount {
                var row = [formatNumber(times[r])]
                for c in 0 ..< columns.count {
                    let got = traj[r, c]
                    let want = expected.rows[r][c + (expected.hasTimeColumn ? 1 : 0)]
                    row.append(formatNumber(got))
                    let ok: Bool
                    if want.isNaN { ok = got.isNaN } else if want.isInfinite { ok = got == want } else {
                        ok = abs(got - want) <= settings.absolute + settings.relative * abs(want)
                    }
                    if !ok && !failed {
                        failed = true
                        worst = "\(columns[c].id) at t=\(formatNumber(times[r])): \(formatNumber(got)) vs \(formatNumber(want))"
                    }
                }
                csv += row.joined(separator: ",") + "\n"
            }
            return Outcome(id: id, status: failed ? .fail : .pass, detail: worst, csv: csv)
        } catch {
            return Outcome(id: id, status: .fail, detail: describe(error).replacingOccurrences(of: "\n", with: " | "))
        }
    }
}

/// Collects outcomes from parallel workers.
final class OutcomeStore: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [SBMLSuite.Outcome?]
    init(count: Int) { items = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ o: SBMLSuite.Outcome) { lock.lock(); items[i] = o; lock.unlock() }
    func all() -> [SBMLSuite.Outcome] { lock.lock(); defer { lock.unlock() }; return items.compactMap { $0 } }
}
