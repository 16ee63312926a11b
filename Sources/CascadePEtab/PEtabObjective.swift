import CascadeCore
import CascadeFormats
import CascadeSolver
import Foundation

/// The PEtab (version 1) objective of a problem: the log-likelihood of its measurements as a
/// function of the estimated parameters, on their parameter scales, with its gradient.
///
///     let problem = try PEtabProblem(contentsOf: url)
///     let objective = try PEtabObjective(problem)
///     let e = try objective.evaluate(parameters: objective.nominalParameters, gradient: true)
///     e.llh, e.chi2, e.gradient      // gradient[i] = ∂llh/∂θ_i, θ_i = parameterIds[i] on its scale
///
/// **Likelihood.** With h the observable's transformation (lin, log, log10), m the measurement,
/// y the observable formula's value and σ the noise formula's value, each measurement adds
/// −log p(m) with
///
///     normal:  ½ log(2πσ²) + ½ ((h(m) − h(y))/σ)²
///     Laplace: log(2σ) + |h(m) − h(y)|/σ
///
/// plus log(m) (log) or log(m·ln 10) (log10): the density of m itself, as the PEtab
/// specification defines it. `llh` is minus the sum; `chi2` the sum of ((h(m) − h(y))/σ)².
///
/// **Parameters.** Estimated parameters (estimate = 1) are θ, on their parameterScale: the
/// value is θ (lin), e^θ (log) or 10^θ (log10). They may appear as model parameters, as values
/// in the condition table (also of pre-equilibration conditions), as observable or noise
/// parameters of measurements, and by id in observable and noise formulas. Noise formulas may use
/// noise and observable placeholders, model ids and the observable's own id (its simulated
/// value).
///
/// **Gradient.** Forward sensitivities (`SensitivitySimulator`: CVODES, symbolic derivatives,
/// sensitivity jumps at events, the implicit function theorem at steady states) give dy/dθ at
/// every measurement; the chain rule through the observable and noise formulas
/// (`FormulaProgram`) gives ∂llh/∂θ. `evaluate` also returns the weighted residuals and their
/// sensitivities, the inputs of a Gauss-Newton / Fisher-information Hessian: for normal noise
/// FIM ≈ Σ ∇r ∇rᵀ + Σ 2 ∇(log σ) ∇(log σ)ᵀ.
///
/// One objective can be evaluated from several threads at once; each evaluation runs its jobs on
/// `threads` threads.
public final class PEtabObjective: @unchecked Sendable {
    public let problem: PEtabProblem
    /// Ids of the estimated parameters, in parameter-table order: the order of θ.
    public let parameterIds: [String]
    public let scales: [PEtabParameter.Scale]
    /// Bounds and nominal values on the parameters' scales.
    public let lowerBounds: [Double]
    public let upperBounds: [Double]
    public let nominalParameters: [Double]
    /// Integrator settings for every simulation (tolerances, step limits, linear solver).
    public var options: SolverOptions
    /// Settings for pre-equilibration and steady states.
    public var steadyStateOptions: SteadyStateOptions
    public let compiled: CompiledModel
    let sensitivityModel: SensitivityModel

    /// Where a number comes from: fixed, or the parameter table (by index into `problem.parameters`).
    enum Source: Hashable {
        case constant(Double)
        case parameter(Int)
    }
    enum Binding: Hashable {
        case output(Int)
        case placeholder(Int)
        case parameter(Int)
        case time, observable
    }

    struct Formula {
        var program: FormulaProgram
        var bindings: [Binding]
    }
    struct Observable {
        var observable: PEtabObservable
        var formula: Formula
        var noise: Formula
        var laplace: Bool
    }
    struct Job {
        var simulation: String
        var preequilibration: String?
        var inputs: [String: Source]
        var preInputs: [String: Source]?
        var reinitialise: Set<String>
        var times: [Double]
        /// Positions in `sensitivityModel.columns`.
        var outputs: [Int]
        var rows: [Int]
    }
    struct Row {
        var job: Int
        var timeIndex: Int
        var observable: Int
        var measurement: Double
        var observableParameters: [Source]
        var noiseParameters: [Source]
    }
    let observables: [Observable]
    let jobs: [Job]
    let rows: [Row]
    /// For each table parameter, its position in θ (nil: fixed at its nominal value).
    let estimatedIndex: [Int?]
    /// Workers kept between evaluations (a simulator's set-up is paid once per thread).
    let pool = WorkerPool<Worker>()

    public convenience init(contentsOf url: URL, options: SolverOptions? = nil) throws {
        try self.init(try PEtabProblem(contentsOf: url), options: options)
    }

    /// Prepares the objective: checks the tables (bounds, scales, measurements, ids; errors name
    /// the file, line and column), compiles the model and the formulas.
    public init(_ problem: PEtabProblem, options: SolverOptions? = nil) throws {
        self.problem = problem
        var o = options ?? SolverOptions(relativeTolerance: 1e-8, absoluteTolerance: 1e-12, maxSteps: 1_000_000)
        o.allowNonFiniteOutputs = true
        self.options = o
        steadyStateOptions = SteadyStateOptions()
        try Self.checkParameters(problem)

        let model = try problem.simulationModel()
        let compiled = try CompiledModel(model)
        self.compiled = compiled
        let tableIndex = Dictionary(problem.parameters.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        var estimated: [Int?] = []
        var ids: [String] = [], sc: [PEtabParameter.Scale] = [], lo: [Double] = [], hi: [Double] = [], nom: [Double] = []
        for p in problem.parameters {
            if p.estimate {
                estimated.append(ids.count)
                ids.append(p.id)
                sc.append(p.scale)
                lo.append(Self.scaled(p.lowerBound ?? -.infinity, p.scale))
                hi.append(Self.scaled(p.upperBound ?? .infinity, p.scale))
                nom.append(p.scaledNominalValue)
            } else {
                estimated.append(nil)
            }
        }
        estimatedIndex = estimated
        parameterIds = ids
        scales = sc
        lowerBounds = lo
        upperBounds = hi
        nominalParameters = nom

        func source(_ v: PEtabValue, file: String, line: Int?, column: String) throws -> Source {
            switch v {
            case .number(let x): return .constant(x)
            case .parameter(let id):
                if let i = tableIndex[id] { return .parameter(i) }
                if let x = problem.model.parameter(id)?.value { return .constant(x) }
                throw PEtabError(
                    file: file, line: line, column: column,
                    "unknown parameter '\(id)': not in \(problem.parameterFile) and not a model parameter with a value")
            }
        }

        // Outputs the formulas read, gathered while compiling them.
        var valueIds = Set<String>()
        for (id, kind) in model.allIds {
            switch kind {
            case .compartment, .species, .parameter, .reaction, .speciesReference, .observable: valueIds.insert(id)
            default: break
            }
        }
        var columns: [OutputColumn] = []
        var columnIndex: [String: Int] = [:]
        func compile(_ expr: Expr, _ o: PEtabObservable, column: String) throws -> Formula {
            var bindings: [Binding] = []
            let names = expr.symbols.sorted()
            for name in names {
                let b: Binding
                if let n = Self.placeholderIndex(name, prefix: "observableParameter", observable: o.id) {
                    b = .placeholder(n - 1)
                } else if let n = Self.placeholderIndex(name, prefix: "noiseParameter", observable: o.id) {
                    b = .placeholder(-n)  // noise placeholders: negative, 1-based
                } else if column == "noiseFormula" && name == o.id {
                    b = .observable
                } else if valueIds.contains(name) {
                    if columnIndex[name] == nil {
                        columnIndex[name] = columns.count
                        columns.append(OutputColumn(name))
                    }
                    b = .output(columnIndex[name]!)
                } else if let i = tableIndex[name] {
                    b = .parameter(i)
                } else if name == "time" || name == "t" {
                    b = .time
                } else {
                    throw PEtabError(
                        file: problem.observableFile, line: o.line, column: column,
                        "unknown id '\(name)' in observable '\(o.id)': not a model id, a parameter-table id or a placeholder (observableParameter{n}_\(o.id), noiseParameter{n}_\(o.id))"
                    )
                }
                bindings.append(b)
            }
            do {
                return Formula(
                    program: try FormulaProgram(expr, slots: names, functions: model.functions, context: o.id),
                    bindings: bindings)
            } catch let e as CompileError {
                throw PEtabError(file: problem.observableFile, line: o.line, column: column, "observable '\(o.id)': \(e.message)")
            }
        }
        var observables: [Observable] = []
        var observableIndex: [String: Int] = [:]
        for o in problem.observables {
            guard o.noiseDistribution == "normal" || o.noiseDistribution == "laplace" else {
                throw PEtabError(
                    file: problem.observableFile, line: o.line, column: "noiseDistribution",
                    "'\(o.noiseDistribution)' is not a PEtab noise distribution (normal or laplace)")
            }
            guard let nf = o.noiseFormula else {
                throw PEtabError(
                    file: problem.observableFile, line: o.line, column: "noiseFormula",
                    "observable '\(o.id)' has no noise formula; the likelihood needs one")
            }
            observableIndex[o.id] = observables.count
            observables.append(
                Observable(
                    observable: o, formula: try compile(o.formula, o, column: "observableFormula"),
                    noise: try compile(nf, o, column: "noiseFormula"),
                    laplace: o.noiseDistribution == "laplace"))
        }
        self.observables = observables
        sensitivityModel = try SensitivityModel(compiled, outputs: columns)

        // Jobs: one per (pre-equilibration, simulation) pair, in order of first appearance.
        let table = problem.measurements
        var reinitialisable = Set(problem.model.species.map(\.id))
        for r in problem.model.rules { if case .rate(let v, _) = r { reinitialisable.insert(v) } }
        // Parameter-table ids that are model inputs follow θ in every condition...
        var globalInputs: [String: Source] = [:]
        for (i, p) in problem.parameters.enumerated() where p.estimate && compiled.inputPosition(p.id) != nil {
            globalInputs[p.id] = .parameter(i)
        }
        // ...unless a condition sets them.
        func inputs(_ conditionId: String) throws -> [String: Source] {
            let c = problem.condition(conditionId)!
            var out = globalInputs
            for (id, v) in c.values {
                let s = try source(v, file: problem.conditionFile, line: c.line, column: id)
                if case .constant(let x) = s, x.isNaN { continue }
                out[id] = s
            }
            return out
        }
        struct Key: Hashable { var pre: String?; var sim: String }
        var jobIndex: [Key: Int] = [:]
        var jobs: [Job] = []
        var rows: [Row] = []
        var timeIndex: [[Double: Int]] = []
        for m in table.measurements {
            let f = table.table
            guard !m.value.isNaN else {
                throw f.error(row: m.row, column: table.valueColumn, "the measurement is missing or NaN; the likelihood needs a number")
            }
            guard m.value.isFinite else { throw f.error(row: m.row, column: table.valueColumn, "the measurement is not finite") }
            let k = Key(pre: m.preequilibrationConditionId, sim: m.simulationConditionId)
            if jobIndex[k] == nil {
                jobIndex[k] = jobs.count
                let simInputs = try inputs(k.sim)
                jobs.append(
                    Job(
                        simulation: k.sim, preequilibration: k.pre, inputs: simInputs,
                        preInputs: try k.pre.map { try inputs($0) },
                        reinitialise: k.pre == nil ? [] : Set(simInputs.keys.filter { reinitialisable.contains($0) }),
                        times: [], outputs: [], rows: []))
                timeIndex.append([:])
            }
            let j = jobIndex[k]!
            let oi = observableIndex[m.observableId]!
            let o = observables[oi]
            if o.observable.transformation != .lin && m.value <= 0 {
                throw f.error(
                    row: m.row, column: table.valueColumn,
                    "the measurement \(m.value) is not positive, but observable '\(m.observableId)' is \(o.observable.transformation)-transformed")
            }
            func count(_ formula: Formula, negative: Bool) -> Int {
                formula.bindings.reduce(0) { acc, b in
                    if case .placeholder(let n) = b { return max(acc, negative ? (n < 0 ? -n : 0) : (n >= 0 ? n + 1 : 0)) }
                    return acc
                }
            }
            let nObs = max(count(o.formula, negative: false), count(o.noise, negative: false))
            let nNoise = max(count(o.formula, negative: true), count(o.noise, negative: true))
            func values(_ list: [PEtabValue], expected: Int, column: String) throws -> [Source] {
                guard list.count == expected || (expected == 0 && list.count <= 1) else {
                    throw f.error(
                        row: m.row, column: column,
                        "observable '\(m.observableId)' has \(expected) placeholder\(expected == 1 ? "" : "s") but the row gives \(list.count) value\(list.count == 1 ? "" : "s")"
                    )
                }
                return try list.prefix(expected).map {
                    try source($0, file: f.file, line: f.lines[m.row], column: column)
                }
            }
            if timeIndex[j][m.time] == nil {
                timeIndex[j][m.time] = jobs[j].times.count
                jobs[j].times.append(m.time)
            }
            jobs[j].rows.append(rows.count)
            for b in o.formula.bindings + o.noise.bindings {
                if case .output(let c) = b, !jobs[j].outputs.contains(c) { jobs[j].outputs.append(c) }
            }
            rows.append(
                Row(
                    job: j, timeIndex: timeIndex[j][m.time]!, observable: oi, measurement: m.value,
                    observableParameters: try values(m.observableParameters, expected: nObs, column: "observableParameters"),
                    noiseParameters: try values(m.noiseParameters, expected: nNoise, column: "noiseParameters")))
        }
        // Times ascending within each job (inf last).
        for j in jobs.indices {
            let order = jobs[j].times.indices.sorted { jobs[j].times[$0] < jobs[j].times[$1] }
            var remap = [Int](repeating: 0, count: order.count)
            for (newIndex, old) in order.enumerated() { remap[old] = newIndex }
            jobs[j].times = order.map { jobs[j].times[$0] }
            for r in jobs[j].rows { rows[r].timeIndex = remap[rows[r].timeIndex] }
            jobs[j].outputs.sort()
        }
        self.jobs = jobs
        self.rows = rows
    }

    /// Bounds, scales and nominal values that make no sense, with file, line and column.
    static func checkParameters(_ problem: PEtabProblem) throws {
        let file = problem.parameterFile
        for p in problem.parameters {
            for (column, v) in [("lowerBound", p.lowerBound), ("upperBound", p.upperBound), ("nominalValue", Optional(p.nominalValue))] {
                guard let v else { continue }
                if v.isNaN { throw PEtabError(file: file, line: p.line, column: column, "parameter '\(p.id)': the value is NaN") }
                // The scale matters only for estimated parameters (a fixed one keeps its linear value).
                if p.estimate && p.scale != .lin && v <= 0 {
                    throw PEtabError(
                        file: file, line: p.line, column: column,
                        "parameter '\(p.id)' is on a \(p.scale.rawValue) scale, so its \(column) must be positive (it is \(PEtabNumber.format(v)))")
                }
            }
            if let lo = p.lowerBound, let hi = p.upperBound, lo > hi {
                throw PEtabError(
                    file: file, line: p.line, column: "lowerBound",
                    "parameter '\(p.id)': the lower bound \(PEtabNumber.format(lo)) is above the upper bound \(PEtabNumber.format(hi))")
            }
            if p.estimate && (p.lowerBound == nil || p.upperBound == nil) {
                throw PEtabError(
                    file: file, line: p.line, column: p.lowerBound == nil ? "lowerBound" : "upperBound",
                    "parameter '\(p.id)' is estimated but has no bound")
            }
        }
    }

    /// `n` when `name` is `{prefix}{n}_{observable}` with n ≥ 1.
    static func placeholderIndex(_ name: String, prefix: String, observable: String) -> Int? {
        let suffix = "_" + observable
        guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.count > prefix.count + suffix.count else { return nil }
        let digits = name.dropFirst(prefix.count).dropLast(suffix.count)
        guard digits.allSatisfy(\.isNumber), let n = Int(digits), n >= 1 else { return nil }
        return n
    }

    static func scaled(_ v: Double, _ s: PEtabParameter.Scale) -> Double {
        switch s {
        case .lin: return v
        case .log: return Foundation.log(v)
        case .log10: return Foundation.log10(v)
        }
    }

    static func unscaled(_ x: Double, _ s: PEtabParameter.Scale) -> Double {
        switch s {
        case .lin: return x
        case .log: return Foundation.exp(x)
        case .log10: return Foundation.pow(10, x)
        }
    }

    /// The number of measurements.
    public var measurementCount: Int { rows.count }
}

extension PEtabObjective {
    /// θ from a PEtab parameter table's nominalValue column (linear scale): estimated parameters
    /// it lists take its value, the others keep the problem's nominal value. Ids the problem
    /// does not estimate, and values a log scale cannot take, are errors naming file, line and column.
    public func parameters(fromTable url: URL) throws -> [Double] {
        let table = try PEtabTable(contentsOf: url)
        let rows = try PEtabParameter.read(table)
        var theta = nominalParameters
        let index = Dictionary(uniqueKeysWithValues: parameterIds.enumerated().map { ($1, $0) })
        let known = Set(problem.parameters.map(\.id))
        for p in rows {
            guard let i = index[p.id] else {
                if known.contains(p.id) { continue }  // a fixed parameter: keeps the problem's value
                throw PEtabError(
                    file: table.file, line: p.line, column: "parameterId",
                    "unknown parameter '\(p.id)': not in the problem's parameter table (\(problem.parameterFile))")
            }
            if scales[i] != .lin && !(p.nominalValue > 0) {
                throw PEtabError(
                    file: table.file, line: p.line, column: "nominalValue",
                    "parameter '\(p.id)' is on a \(scales[i].rawValue) scale, so its value must be positive (it is \(PEtabNumber.format(p.nominalValue)))")
            }
            theta[i] = Self.scaled(p.nominalValue, scales[i])
        }
        return theta
    }
}
