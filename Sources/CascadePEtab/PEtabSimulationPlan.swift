import CascadeCore
import CascadeFormats
import Foundation

/// One simulation a PEtab problem needs: a simulation condition (after an optional
/// pre-equilibration condition) with the output times and model values its measurements need.
/// `simulate(on:)` runs it on a simulator (see PEtabExecution.swift).
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
///     let problem = try ModelFile.loadPEtab(url)
///     let plan = try PEtabSimulationPlan(problem)
///     let result = try plan.simulate(CompiledModel(plan.model), options: options, threads: 4)
///     try result.table.text.write(to: out, atomically: true, encoding: .utf8)
///
/// `measurements` may be another table than the problem's, e.g. plate data in PEtab form:
/// each of its rows gets a simulation, and `result.pairs` holds measurement and simulation side
/// by side.
public struct PEtabSimulationPlan: Sendable {
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
        /// An observable parameter read by a noise formula (the PEtab specification allows it).
        case observablePlaceholder(Int)
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
        let observables = try Self.compileObservables(problem, model: model)
        compiled = observables.compiled
        let pairs = Self.conditionPairs(table)
        let jobs = try Self.makeJobs(pairs, problem: problem, table: table, observables: observables)
        self.jobs = jobs.jobs
        outputPositions = jobs.positions
        rowPlans = try Self.planRows(
            table, problem: problem, observables: observables, pairs: pairs,
            timeIndex: jobs.timeIndex)
    }

    /// A (pre-equilibration, simulation) condition pair: one job.
    struct ConditionPair: Hashable {
        var pre: String?
        var sim: String
    }

    /// The measurement rows grouped by condition pair, pairs in order of first appearance.
    struct Pairs {
        var keys: [ConditionPair] = []
        var index: [ConditionPair: Int] = [:]
        var rows: [[Int]] = []
    }

    /// The compiled observables and each one's position by id.
    struct Observables {
        var compiled: [CompiledObservable] = []
        var index: [String: Int] = [:]
    }

    /// Every observable and noise formula compiled, with its symbols bound to model outputs,
    /// placeholders, parameter-table constants or time.
    static func compileObservables(_ problem: PEtabProblem, model: Model) throws -> Observables {
        var valueIds = Set<String>()
        for (id, kind) in model.allIds {
            switch kind {
            case .compartment, .species, .parameter, .reaction, .speciesReference, .observable: valueIds.insert(id)
            default: break
            }
        }
        let tableParameters = Dictionary(problem.parameters.map { ($0.id, $0.nominalValue) }, uniquingKeysWith: { a, _ in a })
        func compile(_ expr: Expr, observable o: PEtabObservable, prefix: String, column: String)
            throws -> (CompiledFormula, [Binding], Int)
        {
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
                } else if column == "noiseFormula",
                    let n = Self.placeholderIndex(name, prefix: "observableParameter", observable: o.id)
                {
                    binding = .observablePlaceholder(n)
                } else if valueIds.contains(name) {
                    binding = .output(name)
                } else if let v = tableParameters[name] {
                    binding = .constant(v)
                } else if name == "time" || name == "t" {
                    binding = .time
                } else {
                    let hint =
                        name.hasPrefix("observableParameter") || name.hasPrefix("noiseParameter")
                        ? " (placeholders in this column are named \(prefix){n}_\(o.id))" : ""
                    throw PEtabError(
                        file: problem.observableFile, line: o.line, column: column,
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
        var out = Observables()
        for o in problem.observables {
            var (f, b, n) = try compile(o.formula, observable: o, prefix: "observableParameter", column: "observableFormula")
            var noise: CompiledFormula?, noiseBindings: [Binding] = [], noiseCount = 0
            if let nf = o.noiseFormula {
                (noise, noiseBindings, noiseCount) = try compile(nf, observable: o, prefix: "noiseParameter", column: "noiseFormula")
            }
            for binding in noiseBindings { if case .observablePlaceholder(let k) = binding { n = max(n, k) } }
            out.index[o.id] = out.compiled.count
            out.compiled.append(
                CompiledObservable(
                    observable: o, formula: f, bindings: b, placeholders: n, noise: noise,
                    noiseBindings: noiseBindings, noisePlaceholders: noiseCount))
        }
        return out
    }

    /// The condition pairs of the measurement table, in order of first appearance, with their rows.
    static func conditionPairs(_ table: PEtabMeasurementTable) -> Pairs {
        var pairs = Pairs()
        for m in table.measurements {
            let k = ConditionPair(pre: m.preequilibrationConditionId, sim: m.simulationConditionId)
            if let j = pairs.index[k] {
                pairs.rows[j].append(m.row)
            } else {
                pairs.index[k] = pairs.keys.count
                pairs.keys.append(k)
                pairs.rows.append([m.row])
            }
        }
        return pairs
    }

    /// One job per condition pair: the conditions' values, the times and the model outputs its
    /// rows need; with each job's output positions and time positions.
    static func makeJobs(_ pairs: Pairs, problem: PEtabProblem, table: PEtabMeasurementTable, observables: Observables)
        throws -> (jobs: [PEtabSimulationJob], positions: [[String: Int]], timeIndex: [[Double: Int]])
    {
        let reinitialisable = problem.reinitialisableTargets()
        func inputs(_ conditionId: String) throws -> [String: Double] {
            let c = problem.condition(conditionId)!
            var out: [String: Double] = [:]
            for (id, v) in c.values {
                guard let x = problem.resolve(v) else {
                    throw PEtabError(
                        file: problem.conditionFile, line: c.line, column: id,
                        "'\(v)' is neither in the parameter table nor a model parameter with a value")
                }
                if !x.isNaN { out[id] = x }
            }
            return out
        }
        var jobs: [PEtabSimulationJob] = []
        var positions: [[String: Int]] = []
        var timeIndex: [[Double: Int]] = []
        for (j, k) in pairs.keys.enumerated() {
            let rows = pairs.rows[j]
            var times = Set<Double>()
            var outputs = Set<String>()
            for r in rows {
                let m = table.measurements[r]
                times.insert(m.time)
                let c = observables.compiled[observables.index[m.observableId]!]
                for b in c.bindings + c.noiseBindings { if case .output(let id) = b { outputs.insert(id) } }
            }
            let sortedTimes = times.sorted()
            let simInputs = try inputs(k.sim)
            let reinit = k.pre == nil ? [] : simInputs.keys.filter { reinitialisable.contains($0) }.sorted()
            let outputIds = outputs.sorted()
            jobs.append(
                PEtabSimulationJob(
                    simulationConditionId: k.sim, preequilibrationConditionId: k.pre, inputs: simInputs,
                    preequilibrationInputs: try k.pre.map { try inputs($0) }, reinitialisedIds: reinit,
                    times: sortedTimes, outputIds: outputIds, rows: rows))
            positions.append(Dictionary(uniqueKeysWithValues: outputIds.enumerated().map { ($1, $0) }))
            timeIndex.append(Dictionary(uniqueKeysWithValues: sortedTimes.enumerated().map { ($1, $0) }))
        }
        return (jobs, positions, timeIndex)
    }

    /// Each measurement row's job, time position, observable and placeholder values (resolved once).
    static func planRows(
        _ table: PEtabMeasurementTable, problem: PEtabProblem, observables: Observables, pairs: Pairs,
        timeIndex: [[Double: Int]]
    ) throws -> [RowPlan] {
        var rowPlans: [RowPlan] = []
        rowPlans.reserveCapacity(table.count)
        func values(_ list: [PEtabValue], expected: Int, row: Int, column: String, observable: String) throws -> [Double] {
            guard list.count == expected || (expected == 0 && list.count <= 1) else {
                throw table.table.error(
                    row: row, column: column,
                    "observable '\(observable)' has \(expected) placeholder\(expected == 1 ? "" : "s") but the row gives \(list.count) value\(list.count == 1 ? "" : "s")"
                )
            }
            return try list.prefix(expected).map { v in
                guard let x = problem.resolve(v) else {
                    throw table.table.error(row: row, column: column, "unknown parameter '\(v)' (not in \(problem.parameterFile))")
                }
                return x
            }
        }
        for m in table.measurements {
            let j = pairs.index[ConditionPair(pre: m.preequilibrationConditionId, sim: m.simulationConditionId)]!
            let o = observables.index[m.observableId]!
            let c = observables.compiled[o]
            rowPlans.append(
                RowPlan(
                    job: j, timeIndex: timeIndex[j][m.time]!, observable: o,
                    parameters: try values(
                        m.observableParameters, expected: c.placeholders, row: m.row,
                        column: "observableParameters", observable: m.observableId),
                    noiseParameters: try values(
                        m.noiseParameters, expected: c.noisePlaceholders, row: m.row,
                        column: "noiseParameters", observable: m.observableId)))
        }
        return rowPlans
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
    /// (`results[j]` for `jobs[j]`: row-major, `job.times.count` rows of
    /// `job.outputIds.count` values, as `PEtabSimulationJob.simulate(on:)` returns them).
    public func evaluate(_ results: [[Double]]) throws -> PEtabSimulationResult {
        guard results.count == jobs.count else {
            throw PEtabError(file: "simulation", "\(results.count) results for \(jobs.count) jobs")
        }
        for (j, job) in jobs.enumerated() where results[j].count != job.times.count * job.outputIds.count {
            throw PEtabError(
                file: "simulation",
                "job \(j) (condition '\(job.simulationConditionId)') returned \(results[j].count) values, expected \(job.times.count * job.outputIds.count)")
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
                let observableParameters = plan.parameters
                slots.removeAll(keepingCapacity: true)
                for b in bindings {
                    switch b {
                    case .output(let id): slots.append(results[plan.job][base + outputPositions[plan.job][id]!])
                    case .placeholder(let n): slots.append(placeholders[n - 1])
                    case .constant(let v): slots.append(v)
                    case .time: slots.append(time)
                    case .observable: slots.append(observable)
                    case .observablePlaceholder(let n): slots.append(observableParameters[n - 1])
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
        return PEtabSimulationResult(
            measurements: measurements, simulations: simulations, sigmas: sigmas,
            observables: rowPlans.map { compiled[$0.observable].observable })
    }
}
