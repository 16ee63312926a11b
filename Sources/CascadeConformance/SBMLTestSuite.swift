import CascadeCore
import CascadeFormats
import CascadeSolver
import Foundation

/// Runs SBML Test Suite semantic cases and compares them with their expected results.
///
/// A case folder holds `NNNNN-sbml-l3v2.xml` (or, for the cases Level 3 Version 2 cannot express,
/// such as fast reactions, `NNNNN-sbml-l3v1.xml`, and for those only Level 2 can, the newest
/// `NNNNN-sbml-l2vN.xml`), `NNNNN-settings.txt` and `NNNNN-results.csv`;
/// `cases.tsv` (in the cases folder or its parent) gives each case's component and test tags.
/// A case passes when every value satisfies |simulated − expected| ≤ absolute + relative·|expected|
/// with the tolerances of its settings file; a case with an unsupported tag is not run.
///
///     let suite = try SBMLTestSuite(folder: URL(fileURLWithPath: "sbml-test-suite/cases"))
///     let report = suite.run(options: SolverOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-14, maxSteps: 500_000))
///     print(report.passed, report.failed, report.unsupported)
///
/// The command line (`cascade sbml-suite`) prints the report's tables and writes its files.
public struct SBMLTestSuite: Sendable {
    /// Tags this simulator does not support, declared up front (and any `fbc:*` tag).
    public static let unsupportedTags: Set<String> = []

    /// A case's tags from cases.tsv.
    public struct Tags: Hashable, Sendable {
        public var component: [String]
        public var test: [String]
        public init(component: [String], test: [String]) {
            self.component = component
            self.test = test
        }
    }

    /// What one case gave.
    public struct Outcome: Hashable, Sendable {
        public enum Status: String, Hashable, Sendable { case pass, fail, unsupported }
        public var id: String
        public var status: Status
        /// The first value outside the tolerance, the error, or the unsupported tag.
        public var detail: String
        /// The simulated results as CSV (`time,<variables>`), when the simulation ran.
        public var csv: String?

        public init(id: String, status: Status, detail: String, csv: String? = nil) {
            self.id = id
            self.status = status
            self.detail = detail
            self.csv = csv
        }
    }

    /// The folder of case folders.
    public let folder: URL
    /// The case ids found (five digits), ascending.
    public let caseIds: [String]
    /// Tags by case id (empty when there is no cases.tsv).
    public let tags: [String: Tags]

    /// Finds the cases in `folder`. Throws when it is not a folder.
    public init(folder: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SBMLTestSuiteFileError(path: folder.relativePath, message: "no such folder")
        }
        self.folder = folder
        caseIds = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.count == 5 && $0.allSatisfy(\.isNumber) }.sorted()
        tags = Self.loadTags(folder)
    }

    /// Runs the cases `ids` (default: all), in parallel; outcomes in the order of `ids`. Non-finite
    /// values are reported rather than refused, whatever `options` says (some cases expect NaN
    /// or infinity).
    public func run(
        _ ids: [String]? = nil, options: SolverOptions,
        threads: Int = ProcessInfo.processInfo.activeProcessorCount
    ) -> Report {
        let ids = ids ?? caseIds
        let outcomes = ParallelRunner(threads: threads).run(count: ids.count) { i in
            self.runCase(ids[i], options: options)
        }
        return Report(outcomes: outcomes.map { try! $0.get() }, tags: tags)
    }

    /// Runs one case. Never throws: a case that cannot be read or simulated fails with the reason.
    public func runCase(_ id: String, options: SolverOptions) -> Outcome {
        var options = options
        options.allowNonFiniteOutputs = true
        let caseTags = tags[id]
        let all = (caseTags?.component ?? []) + (caseTags?.test ?? [])
        if let bad = all.first(where: { Self.unsupportedTags.contains($0) || $0.hasPrefix("fbc:") }) {
            return Outcome(id: id, status: .unsupported, detail: "tag \(bad)")
        }
        let dir = folder.appendingPathComponent(id)
        do {
            let settings = try SBMLTestCaseSettings.read(contentsOf: dir.appendingPathComponent("\(id)-settings.txt"))
            let expected = try SBMLTestCaseResults.read(contentsOf: dir.appendingPathComponent("\(id)-results.csv"))
            // The newest level the case is written in: L3V2, then L3V1 (fast reactions), then the newest
            // Level 2 version (the cases Level 3 cannot express, such as L2 stoichiometryMath).
            let candidates = ["l3v2", "l3v1", "l2v5", "l2v4", "l2v3", "l2v2", "l2v1"].map { dir.appendingPathComponent("\(id)-sbml-\($0).xml") }
            let file = candidates.first { FileManager.default.fileExists(atPath: $0.path) } ?? candidates[0]
            let model = try SBML.read(contentsOf: file)
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
                var row = [Self.number(times[r])]
                for c in 0 ..< columns.count {
                    let got = traj[r, c]
                    let want = expected.rows[r][c + (expected.hasTimeColumn ? 1 : 0)]
                    row.append(Self.number(got))
                    let ok: Bool
                    if want.isNaN {
                        ok = got.isNaN
                    } else if want.isInfinite {
                        ok = got == want
                    } else {
                        ok = abs(got - want) <= settings.absolute + settings.relative * abs(want)
                    }
                    if !ok && !failed {
                        failed = true
                        worst = "\(columns[c].id) at t=\(Self.number(times[r])): \(Self.number(got)) vs \(Self.number(want))"
                    }
                }
                csv += row.joined(separator: ",") + "\n"
            }
            return Outcome(id: id, status: failed ? .fail : .pass, detail: worst, csv: csv)
        } catch {
            return Outcome(id: id, status: .fail, detail: Self.oneLine(error))
        }
    }

    /// Reads cases.tsv (in the cases folder or its parent): id, testType, componentTags, testTags, synopsis.
    static func loadTags(_ root: URL) -> [String: Tags] {
        let candidates = [root.appendingPathComponent("cases.tsv"), root.deletingLastPathComponent().appendingPathComponent("cases.tsv")]
        guard let url = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return [:] }
        var out: [String: Tags] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 4, f[0].count == 5, f[0].allSatisfy(\.isNumber) else { continue }
            func list(_ s: String) -> [String] { s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
            out[f[0]] = Tags(component: list(f[2]), test: list(f[3]))
        }
        return out
    }

    /// Number text that reads back exactly (NaN, inf, -inf for the special values).
    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v < 0 ? "-inf" : "inf" }
        return "\(v)"
    }

    /// An error's message on one line (the lines of a multi-line message joined by " | ").
    static func oneLine(_ error: Error) -> String {
        let text: String
        switch error {
        case let e as ModelErrors: text = e.errors.map { "model: \($0.description)" }.joined(separator: "\n")
        default: text = "\(error)"
        }
        return text.replacingOccurrences(of: "\n", with: " | ")
    }

    /// The outcomes of a run, with counts overall and by tag.
    public struct Report: Sendable {
        public var outcomes: [Outcome]
        public var tags: [String: Tags]

        public var passed: Int { outcomes.filter { $0.status == .pass }.count }
        public var failed: Int { outcomes.filter { $0.status == .fail }.count }
        public var unsupported: Int { outcomes.filter { $0.status == .unsupported }.count }

        /// Pass, fail and unsupported counts per component tag (`component: true`) or test tag;
        /// cases without tags count under "(untagged)".
        public func countsByTag(component: Bool) -> [(tag: String, pass: Int, fail: Int, unsupported: Int)] {
            var counts: [String: (Int, Int, Int)] = [:]
            for o in outcomes {
                let t = tags[o.id].map { component ? $0.component : $0.test } ?? ["(untagged)"]
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
            return counts.sorted { $0.key < $1.key }.map { ($0.key, $0.value.0, $0.value.1, $0.value.2) }
        }
    }
}
