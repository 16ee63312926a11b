/// Integrator settings. The defaults suit stiff biochemical models (BDF, Newton, analytic Jacobian).
public struct SolverOptions: Hashable, Sendable {
    /// How the Newton systems are solved.
    public enum LinearSolver: String, Hashable, Sendable, CaseIterable {
        /// Dense for small or dense Jacobians, KLU for large sparse ones.
        case automatic
        case dense
        /// KLU sparse direct solver with the Jacobian's sparsity pattern.
        case sparse
    }

    /// Which vector and dense-matrix kernels CVODE uses.
    public enum Kernels: String, Hashable, Sendable {
        /// Cascade's own N_Vector operations and dense LU, compiled with optimisation.
        case optimised
        /// SUNDIALS' stock serial vector and dense solver as shipped by the system library.
        case stock
    }

    public var relativeTolerance: Double = 1e-6
    /// Absolute tolerance for every state (amounts for species).
    public var absoluteTolerance: Double = 1e-12
    /// Per-state absolute tolerances by id, overriding `absoluteTolerance`.
    public var absoluteTolerances: [String: Double] = [:]
    /// Maximum internal steps between two outputs or discontinuities.
    public var maxSteps: Int = 100_000
    public var maxStepSize: Double? = nil
    public var initialStepSize: Double? = nil
    public var maxOrder: Int = 5
    public var linearSolver: LinearSolver = .automatic
    public var kernels: Kernels = .optimised
    /// The most events executed at one instant before the simulation stops with an error.
    public var maxEventsPerInstant: Int = 10_000
    /// When false (the default) a NaN or infinite output is an error naming the column and time.
    public var allowNonFiniteOutputs: Bool = false

    /// How simultaneous events of equal priority are ordered. SBML leaves the order to chance.
    public enum EventTieBreak: Hashable, Sendable {
        /// The event triggered first goes first (then declaration order).
        case triggerOrder
        /// Drawn at random from a generator seeded anew for every simulation: the order is
        /// unbiased over many ties, and the same seed gives the same bytes.
        case seeded(UInt64)
    }
    public var eventTieBreak: EventTieBreak = .seeded(0x5EED)

    public init(relativeTolerance: Double = 1e-6, absoluteTolerance: Double = 1e-12, maxSteps: Int = 100_000) {
        self.relativeTolerance = relativeTolerance
        self.absoluteTolerance = absoluteTolerance
        self.maxSteps = maxSteps
    }

    /// `.automatic` chooses sparse (KLU) from this many states on, when the Jacobian is also at
    /// most `sparseMaxDensity` full; below it, dense.
    ///
    /// Chosen from `CascadeBenchmarks --crossover` (Benchmarks/README.md: 4 runs on a shared
    /// 2-core VM, 2026-11-30, optimised kernels, dense/sparse time per simulation). For a stiff
    /// chain (2 non-zeros per column), KLU gains nothing at n = 25 (0.85–1.07). It is ahead from
    /// n = 50 (1.11–1.45) and well ahead from n = 100 (1.63–1.84; 8.9–9.7 at n = 800).
    public static let sparseThreshold = 50
    /// ... and when at most this share of the Jacobian's n² entries is structurally non-zero.
    ///
    /// Chosen from the same measurement. KLU wins up to 2.7% density: chains, and random
    /// networks with ~5 non-zeros per column (1.35–1.67 at 2.7%, 2.3–2.7 at 1.4%). Dense wins
    /// from 3.9%: random networks with ~15 per column (dense 1.9–2.2x faster at 3.9%, n = 400),
    /// because LU fill-in leaves nearly dense factors. The cut lies between those points.
    /// Where the rule misses by more than 10%, the loss stays within 1.5x: a chain at n = 50
    /// (4%) and a random network at n = 100 (5.4%) stay dense although KLU is 1.1–1.45x
    /// faster. Random networks with ~9 per column are a tie at 2–9% (0.76–1.23).
    public static let sparseMaxDensity = 0.03
}

/// Counters from the integrator, summed over restarts.
public struct SolverStatistics: Hashable, Sendable {
    public var steps = 0
    public var rhsEvaluations = 0
    public var jacobianEvaluations = 0
    public var linearSolverSetups = 0
    public var errorTestFailures = 0
    public var nonlinearIterations = 0
    public var nonlinearConvergenceFailures = 0
    public var rootFunctionEvaluations = 0
    public var eventsExecuted = 0
    public var restarts = 0
    public init() {}
}

/// Why a simulation could not be run or completed. Each case says where, when and what to do.
public enum SimulationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The integrator failed at a time.
    case solverFailure(time: Double, reason: String, advice: String)
    case unknownInput(String)
    case unknownOutput(String)
    case invalidTimes(String)
    case invalidInput(id: String, value: Double, reason: String)
    /// A value became NaN or infinite.
    case nonFinite(what: String, time: Double)
    case eventLoop(time: Double, events: [String])
    case negativeDelay(event: String, time: Double)

    public var description: String {
        switch self {
        case .solverFailure(let t, let reason, let advice):
            return "integration failed at t = \(t): \(reason). \(advice)"
        case .unknownInput(let id):
            return "unknown id '\(id)': it is not a parameter, compartment, species or other settable value of the model"
        case .unknownOutput(let id):
            return "unknown id '\(id)': it is not a species, compartment, parameter, reaction or observable of the model"
        case .invalidTimes(let why):
            return "invalid output times: \(why)"
        case .invalidInput(let id, let value, let reason):
            return "invalid value \(value) for '\(id)': \(reason)"
        case .nonFinite(let what, let t):
            return "\(what) is not finite at t = \(t)"
        case .eventLoop(let t, let events):
            return "events keep firing at t = \(t) without time advancing (\(events.prefix(5).joined(separator: ", ")))"
        case .negativeDelay(let e, let t):
            return "event '\(e)' has a negative delay at t = \(t)"
        }
    }
}

/// Simulated values at output times.
public struct Trajectory: Hashable, Sendable {
    public let times: [Double]
    public let columns: [OutputColumn]
    /// Row-major: `values[row * columns.count + column]`.
    public let values: [Double]
    public let statistics: SolverStatistics

    public var rowCount: Int { times.count }

    public subscript(row: Int, column: Int) -> Double { values[row * columns.count + column] }

    /// All values of one column by id (the first column with that id).
    public func column(_ id: String) -> [Double]? {
        guard let c = columns.firstIndex(where: { $0.id == id }) else { return nil }
        return (0 ..< times.count).map { self[$0, c] }
    }

    /// The last row's values.
    public var final: [Double] { Array(values.suffix(columns.count)) }
}
