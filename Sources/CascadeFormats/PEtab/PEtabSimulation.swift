import CascadeCore
import Foundation

/// One simulation a PEtab problem needs: a simulation condition (after an optional
/// pre-equilibration condition) with the output times and model values its measurements need.
///
/// The plan does not know the integrator (CascadeFormats does not depend on CascadeSolver); a
/// runner turns a job into values, for example:
///
///     let sim = try Simulator(CompiledModel(plan.model))
///     let runner: PEtabSimulationPlan.Runner = { job in
///         try sim.simulate(times: job.times, outputs: job.outputIds.map { OutputColumn($0) },
///                          inputs: job.inputs, start: 0,
///                          preequilibration: job.preequilibrationInputs.map {
///                              Preequilibration(inputs: $0, reinitialise: Set(job.reinitialisedIds)) }).values
///     }
public struct PEtabSimulationJob: Hashable, Sendable {
    public var simulationConditionId: String
    public var preequilibrationConditionId: String?
    /// The simulation condition's values (model id → value), to pass as simulation inputs.
    public var inputs: [String: Double]
    /// The pre-equilibration condition's values, when there is one.
    public var preequilibrationInputs: [String: Double]?
    /// Ids (species, rate-rule variables) the simulation condition sets: after
    /// pre-equilibration they restart from the condition's value instead of the steady state.
    public var reinitialisedIds: [String]
    /// Output times, ascending and distinct, starting from time 0; `inf` (last) asks for the
    /// steady state reached after the finite times.
    public var times: [Double]
    /// Model ids (species, parameters, compartments, reactions...) whose values the observables
    /// need at each time, as `OutputColumn(id)` reports them (species as concentrations unless
    /// they have only substance units).
    public var outputIds: [String]
    /// The measurement rows this job serves.
    public var rows: [Int]
}

/// What the simulation of a PEtab problem needs, prepared once: the model to compile, one job
/// per (pre-equilibration, simulation) condition pair, and every observable and noise formula
/// compiled with its placeholders bound per measurement row.
///
///     let problem = try PEtabProblem(contentsOf: url)
///     let plan = try PEtabSimulationPlan(problem)
///     let result = try plan.run(threads: 4) { /* make one runner per thread */ }
///     try result.table.text.write(to: out, atomically: true, encoding: .utf8)
///
/// `measurements` may be another table than the problem's, e.g. plate data in PEtab form:
/// each of its rows gets a simulation, and `result.pairs` holds measurement and simulation side
/// by side.
public struct PEtabSimulationPlan: Sendable {
    /// Turns a job into values: row-major, `job.times.count` rows of `job.outputIds.count` values.
    public typealias Runner = (PEtabSimulationJob) throws -> [Double]

    public let problem: PEtabProblem
    public let measurements: PEtabMeasurementTable
    /// The model to compile and simulate (see `PEtabProblem.simulationModel()`).
    public let model: Model
    public let jobs: [PEtabSimulationJob]

    /// Where a formula slot's value comes from.
    enum Binding: Hashable, Sendable {
        case output(String)
        case placeholder(Int)
        case constant(Double)
        case time
        /// The observable's simulated value (in noise formulas).
        case observable
    }

    struct CompiledObservable: Sendable {
        var observable: PEtabObservable
        var formula: CompiledFormula
        var bindings: [Binding]
        var placeholders: Int
        var noise: CompiledFormula?
        var noiseBindings: [Binding]
        var noisePlaceholders: Int
    }

    struct RowPlan: Sendable {
        var job: Int
        var timeIndex: Int
        var observable: Int
        var parameters: [Double]
        var noiseParameters: [Double]
    }

    let compiled: [CompiledObservable]
    let rowPlans: [RowPlan]
    /// For each job, the position of each output id.
    let outputPositions: [[String: Int]]

    public init(_ problem: PEtabProblem, measurements: PEtabMeasurementTable? = nil) throws {
        let table = measurements ?? problem.measurements
        try problem.check(table)
        self.problem = problem
        self.measurements = table
        let model = try problem.simulationModel()
        self.model = model

        // Observables.
        var valueIds = Set<String>()
        for (id, kind) in model.allIds {
            switch kind {
            case .compartment, .species, .parameter, .reaction, .speciesReference, .observable: valueIds.insert(id)
            default: break
            }
        }
        let tableParameters = Dictionary(problem.parameters.map { ($0.id, $0.nominalValue) }, uniquingKeysWith: { a, _ in a })
        func compile(_ expr: Expr, observable o: PEtabObservable, prefix: String, column: String)
            throws -> (CompiledFormula, [Binding], Int) {
            var slots: [String: Int] = [:]
            var bindings: [Binding] = []
            var placeholders = 0
            for name in expr.symbols.union(expr.dependsOnTime ? ["time"] : []).sorted() {
                let binding: Binding
                if let n = Self.placeholderIndex(name, prefix: prefix, observable: o.id) {
                    binding = .placeholder(n)
                    placeholders = max(placeholders, n)
                } else if column == "noiseFormula" && name == o.id {
                    binding = .observable
                } else if valueIds.contains(name) {
                    binding = .output(name)
                } else if let v = tableParameters[name] {
                    binding = .constant(v)
                } else if name == "time" || name == "t" {
                    binding = .time
                } else {
                    let hint = name.hasPrefix("observableParameter") || name.hasPrefix("noiseParameter")
                        ? " (placeholders in this column are named \(prefix){n}_\(o.id))" : ""
                    throw PEtabError(file: problem.observableFile, line: o.line, column: column,
                                     "unknown id '\(name)' in observable '\(o.id)': not a model id, a parameter-table id or a placeholder\(hint)")
                }
                slots[name] = bindings.count
                bindings.append(binding)
            }
            do {
                return (try CompiledFormula(expr, slots: slots, functions: model.functions), bindings, placeholders)
            } catch let e as CompiledFormula.FormulaError {
                throw PEtabError(file: problem.observableFile, line: o.line, column: column, "observable '\(o.id)': \(e.description)")
            }
        }
        var compiled: [CompiledObservable] = []
        var observableIndex: [String: Int] = [:]
        for o in problem.observables {
            let (f, b, n) = try compile(o.formula, observable: o, prefix: "observableParameter", column: "observableFormula")
            var noise: CompiledFormula?, noiseBindings: [Binding] = [], noiseCount = 0
            if let nf = o.noiseFormula {
                (noise, noiseBindings, noiseCount) = try compile(nf, observable: o, prefix: "noiseParameter", column: "noiseFormula")
            }
            observableIndex[o.id] = compiled.count
            compiled.append(CompiledObservable(observable: o, formula: f, bindings: b, placeholders: n, noise: noise,
                                               noiseBindings: noiseBindings, noisePlaceholders: noiseCount))
        }
        self.compiled = compiled

        // Jobs, in order of first appearance.
        struct Key: Hashable { var pre: String?; var sim: String }
        var jobIndex: [Key: Int] = [:]
        var jobRows: [[Int]] = []
        var keys: [Key] = []
        for m in table.measurements {
            let k = Key(pre: m.preequilibrationConditionId, sim: m.simulationConditionId)
            if let j = jobIndex[k] { jobRows[j].append(m.row) } else {
                jobIndex[k] = keys.count
                keys.append(k)
                jobRows.append([m.row])
            }
        }
        let reinitialisable = problem.reinitialisableTargets()
        func inputs(_ conditionId: String) throws -> [String: Double] {
            let c = problem.condition(conditionId)!
            var out: [String: Double] = [:]
            for (id, v) in c.values {
                guard let x = problem.resolve(v) else {
                    throw PEtabError(file: problem.conditionFile, line: c.line, column: id,
                                     "'\(v)' is neither in the parameter table nor a model parameter with a value")
                }
                if !x.isNaN { out[id] = x }
            }
            return out
        }
        var jobs: [PEtabSimulationJob] = []
        var positions: [[String: Int]] = []
        var timeIndex: [[Double: Int]] = []
        for (j, k) in keys.enumerated() {
            let rows = jobRows[j]
            var times = Set<Double>()
            var outputs = Set<String>()
            for r in rows {
                let m = table.measurements[r]
                times.insert(m.time)
                let c = compiled[observableIndex[m.observableId]!]
                for b in c.bindings + c.noiseBindings { if case .output(let id) = b { outputs.insert(id) } }
            }
            let sortedTimes = times.sorted()
            let simInputs = try inputs(k.sim)
            let reinit = k.pre == nil ? [] : simInputs.keys.filter { reinitialisable.contains($0) }.sorted()
            let outputIds = outputs.sorted()
            jobs.append(PEtabSimulationJob(
                simulationConditionId: k.sim, preequilibrationConditionId: k.pre, inputs: simInputs,
                preequilibrationInputs: try k.pre.map { try inputs($0) }, reinitialisedIds: reinit,
                times: sortedTimes, outputIds: outputIds, rows: rows))
            positions.append(Dictionary(uniqueKeysWithValues: outputIds.enumerated().map { ($1, $0) }))
            timeIndex.append(Dictionary(uniqueKeysWithValues: sortedTimes.enumerated().map { ($1, $0) }))
        }
        self.jobs = jobs
        outputPositions = positions

        // Rows: placeholder values resolved once.
        var rowPlans: [RowPlan] = []
        rowPlans.reserveCapacity(table.count)
        func values(_ list: [PEtabValue], expected: Int, row: Int, column: String, observable: String) throws -> [Double] {
            guard list.count == expected || (expected == 0 && list.count <= 1) else {
                throw table.table.error(row: row, column: column,
                                        "observable '\(observable)' has \(expected) placeholder\(expected == 1 ? "" : "s") but the row gives \(list.count) value\(list.count == 1 ? "" : "s")")
            }
            return try list.prefix(expected).map { v in
                guard let x = problem.resolve(v) else {
                    throw table.table.error(row: row, column: column, "unknown parameter '\(v)' (not in \(problem.parameterFile))")
                }
                return x
            }
        }
        for m in table.measurements {
            let j = jobIndex[Key(pre: m.preequilibrationConditionId, sim: m.simulationConditionId)]!
            let o = observableIndex[m.observableId]!
            let c = compiled[o]
            rowPlans.append(RowPlan(
                job: j, timeIndex: timeIndex[j][m.time]!, observable: o,
                parameters: try values(m.observableParameters, expected: c.placeholders, row: m.row,
                                       column: "observableParameters", observable: m.observableId),
                noiseParameters: try values(m.noiseParameters, expected: c.noisePlaceholders, row: m.row,
                                            column: "noiseParameters", observable: m.observableId)))
        }
        self.rowPlans = rowPlans
    }

    /// `n` when `name` is `{prefix}{n}_{observable}` with n ≥ 1.
    static func placeholderIndex(_ name: String, prefix: String, observable: String) -> Int? {
        let suffix = "_" + observable
        guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.count > prefix.count + suffix.count else { return nil }
        let digits = name.dropFirst(prefix.count).dropLast(suffix.count)
        guard digits.allSatisfy(\.isNumber), let n = Int(digits), n >= 1 else { return nil }
        return n
    }

    // MARK: Results

    /// Observable values (and noise) for every measurement row from the jobs' results
    /// (`results[j]` for `jobs[j]`, laid out as `Runner` returns them).
    public func evaluate(_ results: [[Double]]) throws -> PEtabSimulationResult {
        guard results.count == jobs.count else {
            throw PEtabError(file: "simulation", "\(results.count) results for \(jobs.count) jobs")
        }
        for (j, job) in jobs.enumerated() where results[j].count != job.times.count * job.outputIds.count {
            throw PEtabError(file: "simulation", "job \(j) (condition '\(job.simulationConditionId)') returned \(results[j].count) values, expected \(job.times.count * job.outputIds.count)")
        }
        var simulations = [Double](repeating: .nan, count: rowPlans.count)
        var sigmas = [Double](repeating: .nan, count: rowPlans.count)
        var slots: [Double] = []
        for (r, plan) in rowPlans.enumerated() {
            let c = compiled[plan.observable]
            let job = jobs[plan.job]
            let base = plan.timeIndex * job.outputIds.count
            let time = job.times[plan.timeIndex]
            func fill(_ bindings: [Binding], _ placeholders: [Double], observable: Double) {
                slots.removeAll(keepingCapacity: true)
                for b in bindings {
                    switch b {
                    case .output(let id): slots.append(results[plan.job][base + outputPositions[plan.job][id]!])
                    case .placeholder(let n): slots.append(placeholders[n - 1])
                    case .constant(let v): slots.append(v)
                    case .time: slots.append(time)
                    case .observable: slots.append(observable)
                    }
                }
            }
            fill(c.bindings, plan.parameters, observable: .nan)
            let value = c.formula.evaluate(slots)
            simulations[r] = value
            if let noise = c.noise {
                fill(c.noiseBindings, plan.noiseParameters, observable: value)
                sigmas[r] = noise.evaluate(slots)
            }
        }
        return PEtabSimulationResult(measurements: measurements, simulations: simulations, sigmas: sigmas,
                                     observables: rowPlans.map { compiled[$0.observable].observable })
    }

    /// Runs every job on `threads` threads (each calls `makeRunner` once, e.g. to create its own
    /// simulator) and evaluates the observables. Jobs are handed out in order; the result does
    /// not depend on the number of threads. When jobs fail, the error of the first failing job
    /// (in job order) is thrown, naming its conditions.
    public func run(threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                    makeRunner: @escaping @Sendable () throws -> Runner) throws -> PEtabSimulationResult {
        let store = ResultStore(count: jobs.count)
        let jobs = self.jobs
        let workers = max(1, min(threads, jobs.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let runner: Runner
            do { runner = try makeRunner() } catch {
                while let j = store.next() { store.fail(j, error) }
                return
            }
            while let j = store.next() {
                do { store.set(j, try runner(jobs[j])) } catch { store.fail(j, error) }
            }
        }
        if let (j, error) = store.firstFailure() {
            throw PEtabJobError(job: jobs[j], underlying: error)
        }
        return try evaluate(store.all())
    }
}

/// A job that failed, naming its conditions.
public struct PEtabJobError: Error, CustomStringConvertible {
    public var job: PEtabSimulationJob
    public var underlying: Error
    public var description: String {
        var s = "condition '\(job.simulationConditionId)'"
        if let p = job.preequilibrationConditionId { s += " (pre-equilibrated under '\(p)')" }
        return s + ": \(underlying)"
    }
}

/// Thread-safe job queue and result slots for `PEtabSimulationPlan.run`.
private final class ResultStore: @unchecked Sendable {
    private let lock = NSLock()
    private var nextJob = 0
    private var results: [[Double]]
    private var failures: [Int: Error] = [:]

    init(count: Int) { results = Array(repeating: [], count: count) }

    func next() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard nextJob < results.count else { return nil }
        nextJob += 1
        return nextJob - 1
    }

    func set(_ j: Int, _ values: [Double]) { lock.lock(); results[j] = values; lock.unlock() }
    func fail(_ j: Int, _ error: Error) { lock.lock(); failures[j] = error; lock.unlock() }
    func firstFailure() -> (Int, Error)? {
        lock.lock(); defer { lock.unlock() }
        return failures.min { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
    func all() -> [[Double]] { lock.lock(); defer { lock.unlock() }; return results }
}

/// Simulated observables for every row of a measurement table, with the noise formulas'
/// values, as a PEtab simulation table and as measurement–simulation pairs.
public struct PEtabSimulationResult: Sendable {
    public let measurements: PEtabMeasurementTable
    /// One per measurement row, untransformed (the observable formula's value).
    public let simulations: [Double]
    /// The noise formula's value per row (σ for normal noise, the scale b for Laplace); NaN when
    /// the observable has no noise formula.
    public let sigmas: [Double]
    let observables: [PEtabObservable]

    /// The simulation table: the measurement table's columns and rows with `simulation` in place
    /// of `measurement`.
    public var table: PEtabTable {
        var columns = measurements.table.columns
        let valueColumn = columns.firstIndex(of: measurements.valueColumn)!
        columns[valueColumn] = "simulation"
        var rows = measurements.table.rows
        for r in rows.indices { rows[r][valueColumn] = PEtabNumber.format(simulations[r]) }
        return PEtabTable(file: "simulation", columns: columns, rows: rows, lines: measurements.table.lines)
    }

    /// Each measurement with its simulation, noise and residual.
    public var pairs: [PEtabPair] {
        measurements.measurements.enumerated().map { r, m in
            PEtabPair(measurement: m, simulation: simulations[r], sigma: sigmas[r].isNaN ? nil : sigmas[r],
                      transformation: observables[r].transformation, noiseDistribution: observables[r].noiseDistribution)
        }
    }
}

/// A measurement next to its simulation.
public struct PEtabPair: Hashable, Sendable {
    public var measurement: PEtabMeasurement
    /// The simulated observable (untransformed); nil when no simulation matched.
    public var simulation: Double?
    /// The noise formula's value, when known.
    public var sigma: Double?
    public var transformation: PEtabTransformation
    public var noiseDistribution: String

    public init(measurement: PEtabMeasurement, simulation: Double?, sigma: Double? = nil,
                transformation: PEtabTransformation = .lin, noiseDistribution: String = "normal") {
        self.measurement = measurement
        self.simulation = simulation
        self.sigma = sigma
        self.transformation = transformation
        self.noiseDistribution = noiseDistribution
    }

    /// measured − simulated, on the observable's transformation scale.
    public var difference: Double? {
        guard let s = simulation, !measurement.value.isNaN else { return nil }
        return transformation.apply(measurement.value) - transformation.apply(s)
    }

    /// The difference in units of σ.
    public var residual: Double? {
        guard let d = difference, let sigma, sigma > 0 else { return nil }
        return d / sigma
    }

    /// The measurement's negative log-likelihood under the noise model, on the transformation
    /// scale (normal: ½ log(2πσ²) + ½ r²; Laplace: log(2σ) + |r|), without the Jacobian term of
    /// the transformation.
    public var negativeLogLikelihood: Double? {
        guard let d = difference, let sigma, sigma > 0 else { return nil }
        if noiseDistribution == "laplace" { return Foundation.log(2 * sigma) + abs(d) / sigma }
        return 0.5 * Foundation.log(2 * Double.pi * sigma * sigma) + 0.5 * (d / sigma) * (d / sigma)
    }
}

/// Pairing measurements with simulations from separate tables (e.g. plate data and a
/// simulation table written earlier).
public enum PEtabPairing {
    /// Pairs each measurement with a simulation row for the same observable, simulation and
    /// pre-equilibration conditions and time. Rows with equal keys are paired in order; the
    /// observable parameters are part of the key when both tables give the same text for them.
    /// Measurements without a simulation get `simulation == nil`.
    public static func pair(measurements: PEtabMeasurementTable, simulations: PEtabMeasurementTable,
                            observables: [PEtabObservable] = []) -> [PEtabPair] {
        struct Key: Hashable { var obs: String; var sim: String; var pre: String?; var time: Double; var parameters: String? }
        func key(_ m: PEtabMeasurement, withParameters: Bool) -> Key {
            Key(obs: m.observableId, sim: m.simulationConditionId, pre: m.preequilibrationConditionId, time: m.time,
                parameters: withParameters ? m.observableParameters.map(\.description).joined(separator: ";") : nil)
        }
        var exact: [Key: [Int]] = [:], loose: [Key: [Int]] = [:]
        for (i, s) in simulations.measurements.enumerated() {
            exact[key(s, withParameters: true), default: []].append(i)
            loose[key(s, withParameters: false), default: []].append(i)
        }
        var used = Set<Int>()
        let transformations = Dictionary(observables.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [PEtabPair] = []
        for m in measurements.measurements {
            var match: Int?
            for candidates in [exact[key(m, withParameters: true)], loose[key(m, withParameters: false)]] {
                if let c = candidates?.first(where: { !used.contains($0) }) { match = c; break }
            }
            // All simulations for the key already used: rows repeat (replicates); reuse the first.
            if match == nil { match = exact[key(m, withParameters: true)]?.first ?? loose[key(m, withParameters: false)]?.first }
            if let c = match { used.insert(c) }
            let o = transformations[m.observableId]
            out.append(PEtabPair(measurement: m, simulation: match.map { simulations.measurements[$0].value },
                                 transformation: o?.transformation ?? .lin, noiseDistribution: o?.noiseDistribution ?? "normal"))
        }
        return out
    }
}
