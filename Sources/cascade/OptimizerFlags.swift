import ArgumentParser
import CascadeEstimation

/// What differs between the commands that run the trust-region optimiser: how long one
/// optimisation may run and what it is called in the help.
protocol OptimizerDefaults {
    /// The default of `--max-iterations`.
    static var maxIterations: Int { get }
    /// One optimisation, for the help ("start", "profile point").
    static var unit: String { get }
}

/// `cascade fit`: one optimisation per start.
enum FitOptimizerDefaults: OptimizerDefaults {
    static let maxIterations = 1000
    static let unit = "start"
}

/// `cascade profile`: one optimisation per profile point, each started next to its optimum.
enum ProfileOptimizerDefaults: OptimizerDefaults {
    static let maxIterations = Profiling.Options().optimizer.maxIterations
    static let unit = "profile point"
}

/// The optimiser's options, declared once for `cascade fit` and `cascade profile`: the defaults
/// are the library's (`TrustRegionOptions`, fides' rules), so both commands optimise by the same
/// rules unless told otherwise.
struct OptimizerFlags<D: OptimizerDefaults>: ParsableArguments {
    private static var defaults: TrustRegionOptions { TrustRegionOptions() }

    @Option(name: .customLong("max-iterations"), help: ArgumentHelp("Most optimiser iterations per \(D.unit)."))
    var maxIterations: Int = D.maxIterations
    @Flag(help: "Use BFGS updates instead of the Fisher information.") var bfgs = false
    @Option(help: "Switch from the Gauss-Newton matrix to BFGS updates after N iterations (see --hybrid-rule); 0 never switches.")
    var hybrid: Int = Self.defaults.hybridSwitch ?? 0
    @Option(
        name: .customLong("hybrid-rule"),
        help:
            "When --hybrid switches to BFGS: 'iteration' (at iteration N) or 'stall', fides' HybridFixed rule: after N successive iterations that left the trust radius unchanged."
    )
    var hybridRule: String = Self.defaults.hybridRule.rawValue
    @Option(
        name: .customLong("hybrid-start"),
        help: "The matrix the hybrid's BFGS updates start from: 'hessian' (the Fisher information at the start) or 'identity'.")
    var hybridStart: String = Self.defaults.hybridStart.rawValue
    @Option(
        help:
            "Where the trust-region subproblem is solved: 'full' (exactly, in the full space) or '2d' (in the span of the Newton step and the gradient, as fides)."
    )
    var subspace: String = Self.defaults.subspace.rawValue
    @Option(
        name: .customLong("sigma-curvature"),
        help:
            "Whether the Fisher information includes Σ ∇log σ ∇log σᵀ of estimated noise parameters ('yes') or, with 'no', is the Gauss-Newton matrix of the residuals alone, as AMICI's is."
    )
    var sigmaCurvature: String = "yes"
    @Option(
        name: .customLong("function-test"),
        help:
            "Which accepted steps --ftol applies to: 'interior' (steps inside the trust region) or 'ratio', fides' rule: any step whose actual decrease is over 0.25 of the predicted one."
    )
    var functionTest: String = Self.defaults.functionTest.rawValue
    @Option(help: ArgumentHelp("Stop a \(D.unit) when an accepted step changes the negative llh by less than FTOL·(1 + |value|)."))
    var ftol: Double = Self.defaults.relativeTolerance
    @Option(help: ArgumentHelp("Stop a \(D.unit) when the bound-scaled gradient's largest entry falls below GTOL."))
    var gtol: Double = Self.defaults.gradientTolerance

    func validate() throws {
        guard maxIterations > 0 else { throw ValidationError("--max-iterations must be positive") }
        guard hybrid >= 0 else { throw ValidationError("--hybrid must not be negative (0 never switches), got \(hybrid)") }
        guard HybridRule(rawValue: hybridRule) != nil else { throw ValidationError("--hybrid-rule expects 'iteration' or 'stall', got '\(hybridRule)'") }
        guard HybridStart(rawValue: hybridStart) != nil else {
            throw ValidationError("--hybrid-start expects 'hessian' or 'identity', got '\(hybridStart)'")
        }
        guard Subspace(rawValue: subspace) != nil else { throw ValidationError("--subspace expects 'full' or '2d', got '\(subspace)'") }
        guard ["yes", "no"].contains(sigmaCurvature) else { throw ValidationError("--sigma-curvature expects 'yes' or 'no', got '\(sigmaCurvature)'") }
        guard FunctionTest(rawValue: functionTest) != nil else {
            throw ValidationError("--function-test expects 'interior' or 'ratio', got '\(functionTest)'")
        }
        guard ftol >= 0, ftol.isFinite else { throw ValidationError("--ftol must be a non-negative number, got \(ftol)") }
        guard gtol >= 0, gtol.isFinite else { throw ValidationError("--gtol must be a non-negative number, got \(gtol)") }
    }

    /// Whether the objective's Fisher information includes the log σ term (`--sigma-curvature`).
    var withSigmaCurvature: Bool { sigmaCurvature != "no" }

    /// `options` with the flags applied (validated: every choice parses).
    func apply(to options: inout TrustRegionOptions) {
        options.maxIterations = maxIterations
        options.bfgs = bfgs
        options.hybridSwitch = hybrid > 0 ? hybrid : nil
        if let rule = HybridRule(rawValue: hybridRule) { options.hybridRule = rule }
        if let start = HybridStart(rawValue: hybridStart) { options.hybridStart = start }
        if let test = FunctionTest(rawValue: functionTest) { options.functionTest = test }
        if let space = Subspace(rawValue: subspace) { options.subspace = space }
        options.absoluteTolerance = ftol
        options.relativeTolerance = ftol
        options.gradientTolerance = gtol
    }
}
