import CascadeFormats
import CascadePEtab
import CascadeSolver
import Foundation

/// A PEtab problem's negative log-likelihood with its gradient and Fisher information from
/// forward sensitivities (`CascadePEtab.PEtabObjective`: one sensitivity simulation per
/// condition per point, instead of 2n + 1 simulations for central differences).
///
///     let objective = try SensitivityObjective(problem: problem, options: options)
///     let e = objective.evaluate(x, derivatives: true)   // −llh, −∂llh/∂x, Fisher information
///
/// Coordinates are the estimated parameters on their scales, in parameter-table order (as
/// `ParameterSpace`). A simulation that fails gives `Evaluation.failed`; `lastError` keeps why.
/// Not thread-safe: one instance per thread (each evaluation runs its conditions on `threads`).
public final class SensitivityObjective: Objective {
    public let likelihood: CascadePEtab.PEtabObjective
    /// Threads for the conditions of one evaluation.
    public var threads: Int
    public private(set) var lastError: Error?
    public private(set) var evaluations = 0

    public init(problem: PEtabProblem, options: SolverOptions, threads: Int = 1) throws {
        likelihood = try CascadePEtab.PEtabObjective(problem, options: options)
        self.threads = threads
    }

    public var dimension: Int { likelihood.parameterIds.count }

    public func evaluate(_ x: [Double], derivatives: Bool) -> Evaluation {
        evaluations += 1
        do {
            let e = try likelihood.evaluate(parameters: x, gradient: derivatives, threads: threads)
            guard e.llh.isFinite else { return .failed }
            guard derivatives, let g = e.gradient, let fim = e.fisherInformation else { return Evaluation(value: -e.llh) }
            guard g.allSatisfy(\.isFinite) else { return .failed }
            return Evaluation(value: -e.llh, gradient: g.map { -$0 }, hessian: fim.flatMap { $0 })
        } catch {
            lastError = error
            return .failed
        }
    }
}
