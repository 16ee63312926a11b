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

    /// `.automatic` chooses sparse (KLU) from this many states on, when the Jacobian also has at
    /// most `sparseMaxPerColumn` structural non-zeros per column on average, or is at most
    /// `sparseMaxDensity` full; below it, dense.
    ///
    /// Chosen from `CascadeBenchmarks --crossover` (shared 2-core VM, 2026-11-30, optimised
    /// kernels, KLU with AMD ordering and the compiled sparse-matrix operations; dense/sparse
    /// time per simulation). For a stiff chain (2 non-zeros per column) dense is ahead at n = 25
    /// (0.90) and KLU from n = 50 (1.31; 2.1 at n = 100, 11 at n = 800). Alkan_SciSignal2018
    /// from the PEtab collection (n = 36, 5 per column) is a tie.
    public static let sparseThreshold = 50
    /// ... and when the Jacobian has at most this many structural non-zeros per column (its
    /// non-zeros divided by n) ...
    ///
    /// What decides is the fill-in of the LU factors, for which non-zeros per column stand in.
    /// Random networks with ~5 per column favour KLU from n = 100 (1.9–4.0); with ~9 per column
    /// KLU ties at n = 50 (0.95) and wins from n = 100 (1.16–1.33); with ~15 or more dense wins
    /// (KLU 0.72–0.75 at ~15, 0.48–0.63 at 26–45). Signalling models: the exported ketamine
    /// model (n = 59, 3.5 per column) runs 1.5x faster with KLU, Lang_PLOSComputBiol2024
    /// (n = 124, 9.5) 2.3x faster, SalazarCavazos_MBoC2020 (n = 75, 21) is a tie. The cut at 10
    /// lies between ~9 (KLU ahead or level) and ~15 (dense ahead).
    public static let sparseMaxPerColumn = 10.0
    /// ... or when at most this share of the Jacobian's n² entries is structurally non-zero.
    ///
    /// Keeps large models with more couplings per column on KLU, where a dense LU of n ≥ 400
    /// costs seconds per factorisation (Chen_MSB2009: n = 500, 8.8 per column, 1.8%, is 14x
    /// faster with KLU). Random networks with ~15 per column were still 1.4x faster dense at
    /// n = 400 (3.9%); denser random networks at n ≥ 500 would cross this line on KLU.
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
