import CascadeCore
import CascadeFormats
import CascadeSolver
import Foundation

/// Reference trajectories: what the model must predict, confirmed by an independent simulator.
///
/// `references.yaml` in a references folder lists the cases; each case has a CSV beside it with a
/// small header (`#` lines: model hash, settings, generating tool and version) and the readouts
/// of its experiment on a fixed grid of times after the treatment.
public struct ReferenceSet: Sendable {
    public struct Case: Sendable {
        public var id: String
        public var experiment: Experiment
        public var inhibitors: [String: Double]
        /// 1 for the treated arm, 0 for vehicle.
        public var arm: Double
        public var times: [Double]

        /// The simulation's start: the protocol's first step minus the settling time.
        public var start: Double { experiment.protocolSteps.firstTime - experiment.settle }
    }

    public var folder: URL
    public var cases: [Case]
    public var relative: Double
    /// Absolute tolerance as a fraction of each column's largest magnitude.
    public var absolute: Double
    /// Per-readout tolerance overrides.
    public var columnTolerances: [String: (relative: Double, absolute: Double)]
    public var solverRelative: Double
    public var solverAbsolute: Double

    public static func load(_ folder: URL) throws -> ReferenceSet {
        let file = folder.appendingPathComponent("references.yaml")
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw InputError(file: file.path, field: "", message: "no references.yaml in \(folder.path)")
        }
        let root = try YAMLValue.load(file)
        try root.allowOnly(["cases", "tolerance", "columns", "solver", "grid", "description"])
        let tol = try root.required("tolerance")
        try tol.allowOnly(["relative", "absolute"])
        let solver = try root.required("solver")
        try solver.allowOnly(["relative", "absolute"])
        let grid = try root.required("grid")
        try grid.allowOnly(["to", "steps"])
        let end = try grid.required("to").duration(), steps = try grid.required("steps").int()
        guard steps >= 1 else { throw try grid.required("steps").error("at least 1") }
        var columns: [String: (Double, Double)] = [:]
        for (id, v) in try root["columns"]?.entries() ?? [] {
            try v.allowOnly(["relative", "absolute"])
            columns[id] = (try v.required("relative").double(), try v.required("absolute").double())
        }
        var cases: [Case] = []
        var experiments: [String: Experiment] = [:]
        for c in try root.required("cases").list() {
            try c.allowOnly(["id", "experiment", "inhibitors", "arm", "to", "steps"])
            let path = try c.required("experiment").string()
            let url = folder.appendingPathComponent(path)
            let e: Experiment
            if let cached = experiments[path] {
                e = cached
            } else {
                guard FileManager.default.fileExists(atPath: url.path) else { throw try c.required("experiment").error("no such file: \(url.path)") }
                e = try Experiment.load(url)
                experiments[path] = e
            }
            var inhibitors: [String: Double] = [:]
            for (d, v) in try c["inhibitors"]?.entries() ?? [] {
                guard e.panel[d] != nil else { throw v.error("unknown inhibitor '\(d)'") }
                inhibitors[d] = try v.concentration()
            }
            var arm = 1.0
            if let a = c["arm"] {
                switch try a.string() {
                case "treated": arm = 1
                case "vehicle": arm = 0
                case let other: throw a.error("unknown arm '\(other)' (treated or vehicle)")
                }
            }
            let caseEnd = try c["to"]?.duration() ?? end
            let caseSteps = try c["steps"]?.int() ?? steps
            let times = (0 ... caseSteps).map { caseEnd * Double($0) / Double(caseSteps) }
            cases.append(Case(id: try c.required("id").string(), experiment: e, inhibitors: inhibitors, arm: arm, times: times))
        }
        return ReferenceSet(
            folder: folder, cases: cases, relative: try tol.required("relative").double(),
            absolute: try tol.required("absolute").double(), columnTolerances: columns,
            solverRelative: try solver.required("relative").double(),
            solverAbsolute: try solver.required("absolute").double())
    }

    /// The model a case simulates: its experiment's screening model with the case's inhibitor
    /// doses and arm set as parameter values, so the SBML export is self-contained.
    public func model(for c: Case, overrides: [String: Double] = [:]) throws -> Model {
        var m = try PlateProtocol.screeningModel(c.experiment, drugs: c.inhibitors.keys.sorted())
        var values = TreatmentInputs(arm: c.arm, doses: c.inhibitors).values
        for (k, v) in overrides { values[k] = v }
        for (id, v) in values {
            if let k = m.parameters.firstIndex(where: { $0.id == id }) {
                m.parameters[k].value = v
            } else if let k = m.compartments.firstIndex(where: { $0.id == id }) {
                m.compartments[k].size = v
            } else if let k = m.species.firstIndex(where: { $0.id == id }) {
                m.species[k].initial = m.species[k].initial.map { q in
                    if case .amount = q { return .amount(v) } else { return .concentration(v) }
                }
            } else {
                let settable = m.parameters.map(\.id) + m.compartments.map(\.id) + m.species.map(\.id)
                throw InputError(
                    file: folder.path, field: "--set",
                    message: "'\(id)' is not a value of model '\(m.id)'" + Spelling.didYouMean(id, among: settable))
            }
        }
        return m
    }

    /// Simulates a case with Cascade: rows are the case's times, columns its readouts.
    public func simulate(_ c: Case, overrides: [String: Double] = [:]) throws -> [[Double]] {
        let compiled = try CompiledModel(model(for: c, overrides: overrides))
        var o = SolverOptions(relativeTolerance: solverRelative, absoluteTolerance: solverAbsolute)
        o.maxSteps = 1_000_000
        let sim = try Simulator(compiled, options: o)
        let traj = try sim.simulate(times: c.times, outputs: c.experiment.readouts.map { OutputColumn($0) }, start: c.start)
        return (0 ..< traj.rowCount).map { r in (0 ..< traj.columns.count).map { traj[r, $0] } }
    }

    public func csvURL(_ c: Case) -> URL { folder.appendingPathComponent("\(c.id).csv") }
}

/// One reference file: its header lines and its table.
public struct ReferenceTable: Sendable {
    public var header: [String]
    public var columns: [String]
    public var times: [Double]
    public var rows: [[Double]]

    public init(header: [String], columns: [String], times: [Double], rows: [[Double]]) {
        self.header = header
        self.columns = columns
        self.times = times
        self.rows = rows
    }

    public static func read(_ url: URL) throws -> ReferenceTable {
        guard let text = try? InputFile.text(url) else {
            throw InputError(file: url.path, field: "", message: "cannot read the reference file")
        }
        var header: [String] = [], columns: [String] = [], times: [Double] = [], rows: [[Double]] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            if line.hasPrefix("#") { header.append(String(line.dropFirst().trimmingCharacters(in: .whitespaces))); continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if columns.isEmpty {
                guard fields.first == "time" else {
                    throw InputError(file: url.path, line: n + 1, field: "", message: "the table must start with a time column")
                }
                columns = Array(fields.dropFirst())
                continue
            }
            let values = fields.map { Double($0) }
            guard values.count == columns.count + 1, values.allSatisfy({ $0 != nil }) else {
                throw InputError(file: url.path, line: n + 1, field: "", message: "expected \(columns.count + 1) numbers")
            }
            times.append(values[0]!)
            rows.append(values.dropFirst().map { $0! })
        }
        return ReferenceTable(header: header, columns: columns, times: times, rows: rows)
    }

    public func csv() -> String {
        var out = header.map { "# \($0)\n" }.joined()
        out += (["time"] + columns).joined(separator: ",") + "\n"
        for (t, r) in zip(times, rows) { out += ([t] + r).map(formatNumber).joined(separator: ",") + "\n" }
        return out
    }
}

/// How one reference compares with a fresh simulation.
public struct ReferenceComparison: Sendable {
    public struct Column: Sendable {
        public var readout: String
        /// Largest |Δ| / (absolute + relative·|reference|): ≤ 1 passes.
        public var worstRatio: Double
        public var worstRelative: Double
        public var worstTime: Double
        public var reference: Double
        public var computed: Double
    }
    public var caseId: String
    public var columns: [Column]
    public var passed: Bool { columns.allSatisfy { $0.worstRatio <= 1 } }
    public var moved: [Column] { columns.filter { $0.worstRatio > 1 } }
}

extension ReferenceSet {
    public func compare(_ c: Case, reference: ReferenceTable, computed: [[Double]]) throws -> ReferenceComparison {
        let readouts = c.experiment.readouts
        guard reference.columns == readouts else {
            throw InputError(
                file: csvURL(c).path, field: "",
                message: "its columns (\(reference.columns.joined(separator: ","))) are not the experiment's readouts (\(readouts.joined(separator: ",")))")
        }
        guard reference.times.count == c.times.count, zip(reference.times, c.times).allSatisfy({ abs($0 - $1) <= 1e-9 * max(1, abs($1)) }) else {
            throw InputError(file: csvURL(c).path, field: "", message: "its times are not the case's grid; regenerate it")
        }
        var cols: [ReferenceComparison.Column] = []
        for (j, r) in readouts.enumerated() {
            let (rel, absFraction) = columnTolerances[r] ?? (relative, absolute)
            let scale = reference.rows.map { abs($0[j]) }.max() ?? 0
            let atol = absFraction * max(scale, 1e-300)
            var worst = ReferenceComparison.Column(readout: r, worstRatio: 0, worstRelative: 0, worstTime: 0, reference: 0, computed: 0)
            for (i, t) in c.times.enumerated() {
                let ref = reference.rows[i][j], got = computed[i][j]
                let ratio = ref.isNaN && got.isNaN ? 0 : abs(got - ref) / (atol + rel * abs(ref))
                if !(ratio <= worst.worstRatio) {
                    worst = .init(
                        readout: r, worstRatio: ratio.isNaN ? .infinity : ratio,
                        worstRelative: abs(got - ref) / max(abs(ref), 1e-300), worstTime: t, reference: ref, computed: got)
                }
            }
            cols.append(worst)
        }
        return ReferenceComparison(caseId: c.id, columns: cols)
    }
}

/// A 64-bit FNV-1a hash of a file's bytes, to record which model a reference was made from.
public func fnv1a64(_ data: Data) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in data {
        h ^= UInt64(b)
        h = h &* 0x100_0000_01b3
    }
    return String(format: "%016llx", h)
}
