// Cascade benchmarks: simulations per second with Cascade's optimised CVODE kernels versus
// Debian's stock SUNDIALS kernels, and (with `--crossover`) dense versus sparse (KLU) Newton
// solves across model sizes. A plain executable; see Benchmarks/README.md.
//
//     swift build -c release --product CascadeBenchmarks
//     .build/release/CascadeBenchmarks [--crossover] [--json FILE] [--repetitions N] [--min-time S]

import CascadeCore
import CascadeSolver
import Foundation

// MARK: - Command line

/// Settings from the command line.
struct BenchmarkSettings {
    /// Interleaved repetitions per variant; the reported figure is their median.
    var repetitions = 9
    /// Each repetition repeats simulations until at least this many seconds have passed.
    var minimumSeconds = 0.25
    /// Also run the dense-versus-sparse crossover section.
    var crossover = false
    /// Repetitions per solver in the crossover section.
    var crossoverRepetitions = 5
    /// Where to write the figures as JSON, if anywhere.
    var jsonPath: String?

    static let usage = """
        usage: CascadeBenchmarks [--crossover] [--json FILE] [--repetitions N] [--min-time SECONDS]

          --crossover        also time dense vs sparse (KLU) linear solvers on chains and coupled
                             networks of 25...800 species (about 6 minutes)
          --json FILE        write every figure (including per-repetition rates) as JSON
          --repetitions N    interleaved repetitions per variant, median reported (default 9, at least 7)
          --min-time S       minimum seconds per repetition (default 0.25, at least 0.2)
        """

    /// Parses `arguments` (without the program name); exits with the usage text on an error.
    static func parse(_ arguments: [String]) -> BenchmarkSettings {
        var settings = BenchmarkSettings()
        var rest = arguments[...]
        func fail(_ message: String) -> Never {
            FileHandle.standardError.write(Data("error: \(message)\n\n\(usage)\n".utf8))
            exit(2)
        }
        func value(for flag: String) -> String {
            guard let v = rest.popFirst() else { fail("\(flag) needs a value") }
            return v
        }
        while let arg = rest.popFirst() {
            switch arg {
            case "--crossover": settings.crossover = true
            case "--json": settings.jsonPath = value(for: arg)
            case "--repetitions":
                guard let n = Int(value(for: arg)), n >= 7 else { fail("--repetitions needs a whole number ≥ 7") }
                settings.repetitions = n
            case "--min-time":
                guard let s = Double(value(for: arg)), s >= 0.2 else { fail("--min-time needs a number of seconds ≥ 0.2") }
                settings.minimumSeconds = s
            case "-h", "--help":
                print(usage)
                exit(0)
            default: fail("unknown argument '\(arg)'")
            }
        }
        return settings
    }
}

// MARK: - Problems

/// One benchmark problem: a compiled model with its output times, columns and solver settings.
struct Problem {
    var name: String
    var summary: String
    var compiled: CompiledModel
    var times: [Double]
    var outputs: [OutputColumn]
    var options: SolverOptions
    var start: Double?

    var stateCount: Int { compiled.stateCount }
    /// Share of the Jacobian's n² entries that are structurally non-zero.
    var jacobianDensity: Double {
        Double(compiled.jacobianNonZeros) / Double(max(1, stateCount * stateCount))
    }

    /// A simulator for this problem with the given kernels and linear solver.
    func simulator(kernels: SolverOptions.Kernels, linearSolver: SolverOptions.LinearSolver? = nil) throws -> Simulator {
        var o = options
        o.kernels = kernels
        if let linearSolver { o.linearSolver = linearSolver }
        return try Simulator(compiled, options: o)
    }

    /// The same problem with the linear solver fixed, named `name-suffix` when a suffix is given.
    func pinned(to solver: SolverOptions.LinearSolver, suffix: String? = nil) -> Problem {
        var p = self
        p.options.linearSolver = solver
        if let suffix { p.name += "-" + suffix }
        return p
    }

    /// One simulation on a (possibly reused) simulator.
    func run(on sim: Simulator) throws -> Trajectory {
        try sim.simulate(times: times, outputs: outputs, start: start)
    }
}

/// Generators for the benchmark models, built from `CascadeCore` structs.
enum Problems {
    /// Robertson's stiff kinetics with the settings of SUNDIALS' cvRoberts_dns example: rtol 1e-4,
    /// atol 1e-8, 1e-14, 1e-6, outputs at 0.4·10^k up to 4e10, CVODE's default 500 steps per
    /// output, and the example's two root functions (y1 = 1e-4, y3 = 0.01) as events without
    /// assignments, which stop the integrator where the example's roots do.
    static func robertson() throws -> Problem {
        var m = Model(id: "robertson")
        m.compartments = [Compartment(id: "c", size: 1)]
        m.species = [
            Species(id: "y1", compartment: "c", initial: .concentration(1)),
            Species(id: "y2", compartment: "c", initial: .concentration(0)),
            Species(id: "y3", compartment: "c", initial: .concentration(0)),
        ]
        m.parameters = [Parameter(id: "k1", value: 0.04), Parameter(id: "k2", value: 1e4), Parameter(id: "k3", value: 3e7)]
        m.reactions = [
            Reaction(id: "r1", reactants: [SpeciesReference("y1")], products: [SpeciesReference("y2")], rate: "k1" * "y1"),
            Reaction(
                id: "r2", reactants: [SpeciesReference("y2"), SpeciesReference("y3")],
                products: [SpeciesReference("y1"), SpeciesReference("y3")], rate: "k2" * "y2" * "y3"),
            Reaction(
                id: "r3", reactants: [SpeciesReference("y2", 2)],
                products: [SpeciesReference("y2"), SpeciesReference("y3")], rate: "k3" * "y2" * "y2"),
        ]
        m.events = [
            Event(id: "g1", trigger: .apply(.lt, ["y1", 1e-4]), assignments: []),
            Event(id: "g2", trigger: .apply(.gt, ["y3", 0.01]), assignments: []),
        ]
        var o = SolverOptions(relativeTolerance: 1e-4, absoluteTolerance: 1e-8, maxSteps: 500)
        o.absoluteTolerances = ["y1": 1e-8, "y2": 1e-14, "y3": 1e-6]
        return Problem(
            name: "robertson", summary: "Robertson, cvRoberts_dns settings with its 2 roots, to t = 4e10",
            compiled: try CompiledModel(m),
            times: (0 ..< 12).map { 0.4 * pow(10, Double($0)) },
            outputs: ["y1", "y2", "y3"].map { OutputColumn($0) }, options: o, start: 0)
    }

    /// The stiff chain X0 → X1 → … → X(n−1) → X0 as a model: forward rates
    /// k_i = 10^(−2 + 6i/(n−2)) spanning six decades, a back reaction X(n−1) → X0 (0.5) so the
    /// Jacobian is not triangular, and all mass in X0 at the start.
    static func chainModel(_ n: Int) -> Model {
        var m = Model(id: "chain\(n)")
        m.compartments = [Compartment(id: "c", size: 1)]
        for i in 0 ..< n {
            m.species.append(Species(id: "X\(i)", compartment: "c", initial: .concentration(i == 0 ? 1 : 0)))
        }
        for i in 0 ..< n - 1 {
            let k = pow(10.0, -2 + 6 * Double(i) / Double(max(1, n - 2)))
            m.parameters.append(Parameter(id: "k\(i)", value: k))
            m.reactions.append(
                Reaction(
                    id: "f\(i)", reactants: [SpeciesReference("X\(i)")],
                    products: [SpeciesReference("X\(i + 1)")],
                    rate: .symbol("c") * .symbol("k\(i)") * .symbol("X\(i)")))
        }
        m.parameters.append(Parameter(id: "kr", value: 0.5))
        m.reactions.append(
            Reaction(
                id: "back", reactants: [SpeciesReference("X\(n - 1)")],
                products: [SpeciesReference("X0")],
                rate: .symbol("c") * .symbol("kr") * .symbol("X\(n - 1)")))
        return m
    }

    /// A stiff coupled network: the chain of `chainModel(n)` plus `couplingsPerSpecies · n`
    /// random bimolecular reactions drawn with a fixed seed. Half are catalysed conversions
    /// Xa + Xb → Xp + Xb, half are associations Xa + Xb → Xp, with rate constants log-uniform in
    /// [0.1, 1000]. Every species starts at a random concentration in [0.01, 1], so all couplings
    /// are active. The Jacobian has a random (not banded) pattern of about
    /// (2 + 5·couplingsPerSpecies)/n non-zeros per entry, which KLU's ordering must cope with.
    static func coupledModel(_ n: Int, couplingsPerSpecies: Int = 2, seed: UInt64 = 20_240_601) -> Model {
        var m = chainModel(n)
        m.id = "coupled\(n)"
        var rng = SplitMix64(seed: seed &+ UInt64(n) &* 1_000_003 &+ UInt64(couplingsPerSpecies))
        for i in 0 ..< n {
            m.species[i].initial = .concentration(0.01 + 0.99 * Double.random(in: 0 ..< 1, using: &rng))
        }
        for r in 0 ..< couplingsPerSpecies * n {
            let a = Int.random(in: 0 ..< n, using: &rng)
            var b = Int.random(in: 0 ..< n - 1, using: &rng)
            if b >= a { b += 1 }
            var p = Int.random(in: 0 ..< n, using: &rng)
            while p == a || p == b { p = Int.random(in: 0 ..< n, using: &rng) }
            let k = pow(10.0, Double.random(in: -1 ... 3, using: &rng))
            let kid = "kc\(r)"
            m.parameters.append(Parameter(id: kid, value: k))
            let rate: Expr = .symbol("c") * .symbol(kid) * .symbol("X\(a)") * .symbol("X\(b)")
            if r.isMultiple(of: 2) {
                m.reactions.append(
                    Reaction(
                        id: "cat\(r)", reactants: [SpeciesReference("X\(a)"), SpeciesReference("X\(b)")],
                        products: [SpeciesReference("X\(p)"), SpeciesReference("X\(b)")], rate: rate))
            } else {
                m.reactions.append(
                    Reaction(
                        id: "assoc\(r)", reactants: [SpeciesReference("X\(a)"), SpeciesReference("X\(b)")],
                        products: [SpeciesReference("X\(p)")], rate: rate))
            }
        }
        return m
    }

    /// Outputs at t = 0, 1, …, 100 of every species, rtol 1e-6, atol 1e-12 (the defaults).
    static func network(_ model: Model, name: String, summary: String) throws -> Problem {
        let compiled = try CompiledModel(model)
        return Problem(
            name: name, summary: summary, compiled: compiled,
            times: (0 ... 100).map(Double.init),
            outputs: compiled.stateIds.map { OutputColumn($0) },
            options: SolverOptions(relativeTolerance: 1e-6, absoluteTolerance: 1e-12))
    }

    static func chain(_ n: Int) throws -> Problem {
        try network(
            chainModel(n), name: "chain\(n)",
            summary: "stiff chain, k over 6 decades + back reaction, t = 0...100, rtol 1e-6")
    }

    static func coupled(_ n: Int, couplingsPerSpecies: Int = 2) throws -> Problem {
        try network(
            coupledModel(n, couplingsPerSpecies: couplingsPerSpecies),
            name: couplingsPerSpecies == 2 ? "coupled\(n)" : "coupled\(n)x\(couplingsPerSpecies)",
            summary: "chain + \(couplingsPerSpecies * n) random bimolecular couplings (seeded), t = 0...100, rtol 1e-6")
    }
}

// MARK: - Timing

/// Wall-clock seconds since `start` on the monotonic clock.
func elapsedSeconds(since start: ContinuousClock.Instant) -> Double {
    let d = start.duration(to: .now).components
    return Double(d.seconds) + Double(d.attoseconds) * 1e-18
}

/// The median of a non-empty list (mean of the middle two for an even count).
func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2])
}

/// One timed repetition: simulations on `sim`, repeated until `minimumSeconds` have passed.
struct Repetition {
    var simulations: Int
    var seconds: Double
    var last: Trajectory
    var perSecond: Double { Double(simulations) / seconds }
    var secondsPerSimulation: Double { seconds / Double(simulations) }

    init(_ problem: Problem, on sim: Simulator, minimumSeconds: Double) throws {
        let start = ContinuousClock.now
        var count = 0
        var elapsed = 0.0
        var last: Trajectory
        repeat {
            last = try problem.run(on: sim)
            count += 1
            elapsed = elapsedSeconds(since: start)
        } while elapsed < minimumSeconds
        simulations = count
        self.seconds = elapsed
        self.last = last
    }
}

/// True when two trajectories agree bit for bit, statistics included.
func identicalBits(_ a: Trajectory, _ b: Trajectory) -> Bool {
    a.times.map(\.bitPattern) == b.times.map(\.bitPattern)
        && a.values.map(\.bitPattern) == b.values.map(\.bitPattern)
        && a.statistics == b.statistics
}

/// Times two variants of a problem in alternation (ABBA order, so neither always runs first),
/// `repetitions` times each, and returns the per-repetition results of each.
func interleaved(
    _ problem: Problem, _ a: Simulator, _ b: Simulator, repetitions: Int,
    minimumSeconds: Double
) throws -> (a: [Repetition], b: [Repetition]) {
    var ra: [Repetition] = [], rb: [Repetition] = []
    for rep in 0 ..< repetitions {
        if rep % 2 == 0 {
            ra.append(try Repetition(problem, on: a, minimumSeconds: minimumSeconds))
            rb.append(try Repetition(problem, on: b, minimumSeconds: minimumSeconds))
        } else {
            rb.append(try Repetition(problem, on: b, minimumSeconds: minimumSeconds))
            ra.append(try Repetition(problem, on: a, minimumSeconds: minimumSeconds))
        }
    }
    return (ra, rb)
}

// MARK: - Results

/// Optimised versus stock kernels on one problem.
struct KernelResult: Codable {
    var problem: String
    var description: String
    var states: Int
    var jacobianNonZeros: Int
    var linearSolver: String
    var steps: Int
    var optimisedSimsPerSecond: Double
    var stockSimsPerSecond: Double
    /// Median optimised rate over median stock rate.
    var ratio: Double
    var optimisedRepetitions: [Double]
    var stockRepetitions: [Double]
    /// Both kernels gave the same bits, in a fresh simulator and after the timed reruns.
    var bitIdentical: Bool
}

/// Dense versus sparse (KLU) on one model, optimised kernels.
struct CrossoverResult: Codable {
    /// Times within this factor of each other count as a tie ("either").
    static let tie = 1.1

    var family: String
    var states: Int
    var couplingsPerSpecies: Int
    var jacobianNonZeros: Int
    var density: Double
    var steps: Int
    /// Median seconds per simulation; nil when dense was skipped as too slow.
    var denseSeconds: Double?
    var sparseSeconds: Double
    /// Dense time over sparse time: above 1, KLU is faster.
    var denseOverSparse: Double?
    /// "dense", "sparse", "either" (within 10%), or nil when dense was skipped.
    var faster: String?
    /// What `.automatic` picks with the constants this binary was built with.
    var automaticPicksSparse: Bool
    /// False when `.automatic` picks the solver that is more than 10% slower.
    var automaticRight: Bool?

    /// "chain" or "coupled ×k".
    var label: String { family == "chain" ? "chain" : "coupled ×\(couplingsPerSpecies)" }

    init(
        family: String, states: Int, couplingsPerSpecies: Int, jacobianNonZeros: Int, density: Double,
        steps: Int, denseSeconds: Double?, sparseSeconds: Double, automaticPicksSparse: Bool
    ) {
        self.family = family
        self.states = states
        self.couplingsPerSpecies = couplingsPerSpecies
        self.jacobianNonZeros = jacobianNonZeros
        self.density = density
        self.steps = steps
        self.denseSeconds = denseSeconds
        self.sparseSeconds = sparseSeconds
        self.automaticPicksSparse = automaticPicksSparse
        denseOverSparse = denseSeconds.map { $0 / sparseSeconds }
        faster = denseOverSparse.map { $0 > Self.tie ? "sparse" : $0 < 1 / Self.tie ? "dense" : "either" }
        automaticRight = faster.map { $0 == "either" || ($0 == "sparse") == automaticPicksSparse }
    }
}

struct Report: Codable {
    var date: String
    var host: String
    var cores: Int
    var repetitions: Int
    var minimumSecondsPerRepetition: Double
    var sparseThreshold: Int
    var sparseMaxDensity: Double
    var kernels: [KernelResult]
    var crossover: [CrossoverResult]?
}

// MARK: - Formatting

/// A rate or time with about three significant figures.
func figure(_ x: Double) -> String {
    switch abs(x) {
    case 100...: return String(format: "%.0f", x)
    case 10...: return String(format: "%.1f", x)
    case 1...: return String(format: "%.2f", x)
    default: return String(format: "%.3g", x)
    }
}

/// Seconds per simulation in ms with about three significant figures.
func milliseconds(_ s: Double) -> String { figure(s * 1000) }

func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - s.count))
    return left ? s + fill : fill + s
}

/// Prints rows as a table with a header rule; the first column is left-aligned.
func printTable(_ header: [String], _ rows: [[String]]) {
    let widths = header.indices.map { c in ([header] + rows).map { $0[c].count }.max() ?? 0 }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { pad($1, widths[$0], left: $0 == 0) }.joined(separator: "  ")
    }
    print(line(header))
    print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
    rows.forEach { print(line($0)) }
}

/// Flushes standard output (it is fully buffered when piped), so output shows as it happens.
func flush() { fflush(nil) }

/// Progress goes to standard error, so standard output holds only the report.
func progress(_ line: String) {
    flush()
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

// MARK: - Sections

/// Optimised versus stock kernels on one problem, with the bit-identity check. Both variants
/// use the problem's linear solver (pinned by the caller, so the comparison does not depend on
/// what `.automatic` picks).
func compareKernels(_ p: Problem, settings: BenchmarkSettings) throws -> KernelResult {
    // Reference runs in fresh simulators; these are also the warm-up.
    let optimised = try p.simulator(kernels: .optimised)
    let stock = try p.simulator(kernels: .stock)
    let refOptimised = try p.run(on: optimised)
    let refStock = try p.run(on: stock)
    let (o, s) = try interleaved(
        p, optimised, stock, repetitions: settings.repetitions,
        minimumSeconds: settings.minimumSeconds)
    let identical =
        identicalBits(refOptimised, refStock)
        && o.allSatisfy { identicalBits($0.last, refOptimised) }
        && s.allSatisfy { identicalBits($0.last, refStock) }
    let om = median(o.map(\.perSecond)), sm = median(s.map(\.perSecond))
    return KernelResult(
        problem: p.name, description: p.summary, states: p.stateCount,
        jacobianNonZeros: p.compiled.jacobianNonZeros,
        linearSolver: optimised.usesSparseSolver ? "sparse" : "dense",
        steps: refOptimised.statistics.steps,
        optimisedSimsPerSecond: om, stockSimsPerSecond: sm, ratio: om / sm,
        optimisedRepetitions: o.map(\.perSecond), stockRepetitions: s.map(\.perSecond),
        bitIdentical: identical)
}

/// Dense versus sparse on one problem. Dense is skipped when `skipDense` is set.
func compareSolvers(
    _ p: Problem, family: String, couplings: Int, skipDense: Bool,
    settings: BenchmarkSettings
) throws -> CrossoverResult {
    let sparse = try p.simulator(kernels: .optimised, linearSolver: .sparse)
    let automatic = try p.simulator(kernels: .optimised, linearSolver: .automatic)
    // The warm-up runs decide the repetitions: a model whose single run takes over a second is
    // timed three times rather than `crossoverRepetitions` times.
    var warm = ContinuousClock.now
    let reference = try p.run(on: sparse)
    var slow = elapsedSeconds(since: warm) > 1
    let minimum = 0.2
    var denseSeconds: Double?
    var sparseTimes: [Double]
    if skipDense {
        let reps = slow ? 3 : settings.crossoverRepetitions
        sparseTimes = try (0 ..< reps).map { _ in try Repetition(p, on: sparse, minimumSeconds: minimum).secondsPerSimulation }
    } else {
        let dense = try p.simulator(kernels: .optimised, linearSolver: .dense)
        warm = ContinuousClock.now
        _ = try p.run(on: dense)
        slow = slow || elapsedSeconds(since: warm) > 1
        let reps = slow ? 3 : settings.crossoverRepetitions
        let (d, s) = try interleaved(p, dense, sparse, repetitions: reps, minimumSeconds: minimum)
        denseSeconds = median(d.map(\.secondsPerSimulation))
        sparseTimes = s.map(\.secondsPerSimulation)
    }
    return CrossoverResult(
        family: family, states: p.stateCount, couplingsPerSpecies: couplings,
        jacobianNonZeros: p.compiled.jacobianNonZeros, density: p.jacobianDensity,
        steps: reference.statistics.steps, denseSeconds: denseSeconds,
        sparseSeconds: median(sparseTimes), automaticPicksSparse: automatic.usesSparseSolver)
}

func crossoverRow(_ r: CrossoverResult) -> [String] {
    let dense = r.denseSeconds.map(milliseconds) ?? "skipped"
    let ratio = r.denseOverSparse.map { String(format: "%.2f", $0) } ?? "–"
    let faster = r.faster ?? "–"
    let auto = (r.automaticPicksSparse ? "sparse" : "dense") + (r.automaticRight == false ? " ✗" : "")
    return [
        r.label, "\(r.states)", "\(r.jacobianNonZeros)", String(format: "%.1f%%", 100 * r.density), "\(r.steps)",
        dense, milliseconds(r.sparseSeconds), ratio, faster, auto,
    ]
}

// MARK: - Main

let settings = BenchmarkSettings.parse(Array(CommandLine.arguments.dropFirst()))
let started = ContinuousClock.now
let date = ISO8601DateFormatter().string(from: Date())
let cores = ProcessInfo.processInfo.activeProcessorCount

print("Cascade benchmarks, \(date), \(ProcessInfo.processInfo.hostName), \(cores) cores")
print(
    "Optimised (Cascade CFastOps, -O2) vs stock (Debian libsundials, -O0) kernels: medians of "
        + "\(settings.repetitions) interleaved repetitions, each ≥ \(settings.minimumSeconds) s of back-to-back "
        + "simulations on one reused Simulator.")
flush()

var kernelResults: [KernelResult] = []
do {
    // The optimised kernels include the dense LU, so the three problems are timed with the
    // dense solver; the two networks are timed again with KLU, where only the vector
    // operations differ between the variants.
    let chain = try Problems.chain(100), coupled = try Problems.coupled(100)
    let problems = [
        try Problems.robertson().pinned(to: .dense), chain.pinned(to: .dense), coupled.pinned(to: .dense),
        chain.pinned(to: .sparse, suffix: "klu"), coupled.pinned(to: .sparse, suffix: "klu"),
    ]
    for p in problems {
        progress("  \(p.name): \(p.summary)\(p.options.linearSolver == .sparse ? ", KLU" : "")")
        kernelResults.append(try compareKernels(p, settings: settings))
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}

print("")
printTable(
    ["problem", "n", "J nnz", "solver", "steps", "optimised sims/s (min–max)", "stock sims/s (min–max)", "ratio", "bit-identical"],
    kernelResults.map { r in
        let o = r.optimisedRepetitions, s = r.stockRepetitions
        return [
            r.problem, "\(r.states)", "\(r.jacobianNonZeros)", r.linearSolver, "\(r.steps)",
            "\(figure(r.optimisedSimsPerSecond)) (\(figure(o.min()!))–\(figure(o.max()!)))",
            "\(figure(r.stockSimsPerSecond)) (\(figure(s.min()!))–\(figure(s.max()!)))",
            String(format: "%.2f", r.ratio), r.bitIdentical ? "yes" : "NO",
        ]
    })
print("")
for r in kernelResults {
    print("\(r.problem): optimised and stock trajectories \(r.bitIdentical ? "are bit-identical" : "DIFFER")")
}
flush()

var crossover: [CrossoverResult]?
if settings.crossover {
    print(
        """

        dense vs sparse (KLU)
        Optimised kernels, median ms per simulation (\(settings.crossoverRepetitions) interleaved repetitions, \
        each ≥ 0.2 s; 3 when one run takes over 1 s).
        chain: the stiff chain; coupled ×k: the chain plus k·n random bimolecular couplings.
        density: structural non-zeros of the Jacobian over n². dense/sparse above 1: KLU is faster.
        "either": within 10%. ✗: .automatic picks the solver that is more than 10% slower.
        .automatic in this build: sparse when n ≥ \(SolverOptions.sparseThreshold) and density ≤ \(SolverOptions.sparseMaxDensity).

        """)
    flush()
    var rows: [CrossoverResult] = []
    // Dense is skipped once its projected time per simulation (cubic growth) passes 5 s.
    let denseBudget = 5.0
    let families: [(String, Int, [Int])] = [
        ("chain", 0, [25, 50, 100, 200, 400, 800]),
        ("coupled", 2, [25, 50, 100, 200, 400, 800]),
        ("coupled", 1, [100, 200, 400, 800]),
        // Density sweeps near the size threshold: more couplings per species, denser Jacobians.
        ("coupled", 4, [100, 200, 400]),
        ("coupled", 8, [100, 200, 400]),
        ("coupled", 16, [100, 200]),
    ]
    do {
        for (family, couplings, sizes) in families {
            var previous: (n: Int, seconds: Double)?
            for n in sizes {
                let p = family == "chain" ? try Problems.chain(n) : try Problems.coupled(n, couplingsPerSpecies: couplings)
                let projected = previous.map { $0.seconds * pow(Double(n) / Double($0.n), 3) } ?? 0
                let r = try compareSolvers(
                    p, family: family, couplings: couplings,
                    skipDense: projected > denseBudget, settings: settings)
                if let d = r.denseSeconds { previous = (n, d) }
                rows.append(r)
                progress("  " + crossoverRow(r).joined(separator: "  "))
            }
        }
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        exit(1)
    }
    print("")
    printTable(
        ["model", "n", "J nnz", "density", "steps", "dense ms", "sparse ms", "dense/sparse", "faster", "automatic"],
        rows.map(crossoverRow))
    let wrong = rows.filter { $0.automaticRight == false }
    print(
        wrong.isEmpty
            ? "\n.automatic never picks a solver more than 10% slower than the other in the measured cases."
            : "\n.automatic picks a solver more than 10% slower than the other for: "
                + wrong.map { "\($0.label) n = \($0.states)" }.joined(separator: ", "))
    crossover = rows
}

if let path = settings.jsonPath {
    let report = Report(
        date: date, host: ProcessInfo.processInfo.hostName, cores: cores,
        repetitions: settings.repetitions, minimumSecondsPerRepetition: settings.minimumSeconds,
        sparseThreshold: SolverOptions.sparseThreshold, sparseMaxDensity: SolverOptions.sparseMaxDensity,
        kernels: kernelResults, crossover: crossover)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    do {
        try encoder.encode(report).write(to: URL(fileURLWithPath: path))
        print("\nwrote \(path)")
    } catch {
        FileHandle.standardError.write(Data("error: could not write \(path): \(error)\n".utf8))
        exit(1)
    }
}

print(String(format: "\ntotal %.1f s\n", elapsedSeconds(since: started)))
for r in kernelResults {
    print(
        "\(r.problem): optimised \(figure(r.optimisedSimsPerSecond)) sims/s, stock \(figure(r.stockSimsPerSecond)) sims/s, "
            + String(format: "ratio %.2f", r.ratio))
}
if kernelResults.contains(where: { !$0.bitIdentical }) { exit(1) }
