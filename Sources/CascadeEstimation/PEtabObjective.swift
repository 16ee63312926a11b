import CascadeCore
import CascadeFormats
import CascadePEtab
import CascadeSolver
import Foundation

/// A PEtab problem's negative log-likelihood as a function of its estimated parameters on their
/// scales, with its gradient and Fisher information.
///
/// The derivatives come from central differences of the simulated observables and noise
/// (2n + 1 simulations of every condition per point, on the parameters' scales), assembled per
/// measurement into the exact gradient and Fisher-information formulas of the noise model; the
/// simulations run at tight tolerances so the differences are accurate to about 1e-6 relative.
///
/// Not thread-safe: one instance per thread (it owns a simulator).
public final class PEtabObjective: Objective {
    public let problem: PEtabProblem
    public let space: ParameterSpace
    let compiled: CompiledModel
    let simulator: Simulator
    /// Model parameters set by the parameter table (passed as simulation inputs).
    let modelParameterIds: [String]
    /// Step of the central differences, on the parameters' scales.
    public var differenceStep = 1e-4
    /// Simulations run so far.
    public private(set) var simulations = 0

    public init(problem: PEtabProblem, space: ParameterSpace, compiled: CompiledModel, options: SolverOptions) throws {
        self.problem = problem
        self.space = space
        self.compiled = compiled
        var o = options
        o.allowNonFiniteOutputs = true
        simulator = try Simulator(compiled, options: o)
        let modelIds = Set(problem.model.parameters.map(\.id))
        modelParameterIds = problem.parameters.map(\.id).filter { modelIds.contains($0) }
    }

    /// Compiles the problem's simulation model once (share it between objectives of one problem).
    public static func compile(_ problem: PEtabProblem) throws -> CompiledModel {
        try CompiledModel(problem.simulationModel())
    }

    public var dimension: Int { space.dimension }

    /// The problem with the parameter table's nominal values set from scaled coordinates.
    public func problem(at x: [Double]) -> PEtabProblem {
        var p = problem
        let values = space.linear(x)
        let position = Dictionary(uniqueKeysWithValues: space.ids.enumerated().map { ($1, $0) })
        for i in p.parameters.indices { if let k = position[p.parameters[i].id] { p.parameters[i].nominalValue = values[k] } }
        return p
    }

    /// Simulates every condition at scaled coordinates x.
    public func simulate(_ x: [Double]) throws -> PEtabSimulationResult {
        let p = problem(at: x)
        let plan = try PEtabSimulationPlan(p)
        var fixed: [String: Double] = [:]
        for id in modelParameterIds { fixed[id] = p.parameter(id)!.nominalValue }
        var results: [[Double]] = []
        results.reserveCapacity(plan.jobs.count)
        for job in plan.jobs {
            simulations += 1
            results.append(try job.simulate(on: simulator, parameters: fixed))
        }
        return try plan.evaluate(results)
    }

    /// Per measurement: the simulation on the transformation's scale, σ, the measurement on the
    /// transformation's scale, the noise model, and the constant of the transformation's Jacobian.
    struct Rows {
        var mu: [Double]
        var sigma: [Double]
    }

    /// The observable of each measurement row.
    lazy var rowObservables: [PEtabObservable] = {
        let byId = Dictionary(problem.observables.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        return problem.measurements.measurements.map { byId[$0.observableId]! }
    }()

    func rows(_ result: PEtabSimulationResult) -> Rows {
        var mu = result.simulations, sigma = result.sigmas
        for (i, o) in rowObservables.enumerated() {
            mu[i] = o.transformation.apply(mu[i])
            if sigma[i].isNaN && o.noiseFormula == nil { sigma[i] = 1 }
        }
        return Rows(mu: mu, sigma: sigma)
    }

    /// The negative log-likelihood of PEtab v1 (normal or Laplace noise on the observable's
    /// transformation scale, including the log-transformation's Jacobian term).
    public func negativeLogLikelihood(_ result: PEtabSimulationResult) -> Double {
        var total = 0.0
        for (i, o) in rowObservables.enumerated() {
            let y = result.measurements.measurements[i].value
            let m = o.transformation.apply(result.simulations[i])
            let s = result.sigmas[i].isNaN && o.noiseFormula == nil ? 1 : result.sigmas[i]
            total += Self.term(y: y, mu: m, sigma: s, observable: o)
        }
        return total
    }

    static func term(y: Double, mu: Double, sigma: Double, observable o: PEtabObservable) -> Double {
        let ty = o.transformation.apply(y)
        guard ty.isFinite, mu.isFinite, sigma > 0, sigma.isFinite else { return .nan }
        var t: Double
        if o.noiseDistribution == "laplace" {
            t = Foundation.log(2 * sigma) + abs(ty - mu) / sigma
        } else {
            let r = (ty - mu) / sigma
            t = 0.5 * Foundation.log(2 * Double.pi * sigma * sigma) + 0.5 * r * r
        }
        switch o.transformation {
        case .lin: break
        case .log: t += Foundation.log(y)
        case .log10: t += Foundation.log(y * Foundation.log(10.0))
        }
        return t
    }

    public func evaluate(_ x: [Double], derivatives: Bool) -> Evaluation {
        guard let center = try? simulate(x) else { return .failed }
        let value = negativeLogLikelihood(center)
        guard value.isFinite else { return .failed }
        guard derivatives else { return Evaluation(value: value) }
        let n = dimension
        let base = rows(center)
        let count = base.mu.count
        // dμ/dx and dσ/dx, measurement-major.
        var dmu = [Double](repeating: 0, count: count * n), dsigma = [Double](repeating: 0, count: count * n)
        for k in 0..<n {
            var xp = x, xm = x
            let h = differenceStep
            xp[k] += h
            xm[k] -= h
            guard let plus = try? simulate(xp), let minus = try? simulate(xm) else { return .failed }
            let rp = rows(plus), rm = rows(minus)
            for i in 0..<count {
                dmu[i * n + k] = (rp.mu[i] - rm.mu[i]) / (2 * h)
                dsigma[i * n + k] = (rp.sigma[i] - rm.sigma[i]) / (2 * h)
            }
        }
        var gradient = [Double](repeating: 0, count: n)
        var fim = [Double](repeating: 0, count: n * n)
        for (i, o) in rowObservables.enumerated() {
            let y: Double = o.transformation.apply(center.measurements.measurements[i].value)
            let s: Double = base.sigma[i], m: Double = base.mu[i]
            let laplace = o.noiseDistribution == "laplace"
            let r = (y - m) / s
            // ∂term/∂μ and ∂term/∂log σ; Fisher weights of μ and log σ.
            let sign: Double = r > 0 ? 1 : (r < 0 ? -1 : 0)
            let dm: Double = laplace ? -sign / s : -r / s
            let dls: Double = laplace ? 1 - abs(r) : 1 - r * r
            let wm: Double = 1 / (s * s)
            let wls: Double = laplace ? 1 : 2
            for k in 0..<n {
                let mk: Double = dmu[i * n + k]
                let lk: Double = dsigma[i * n + k] / s
                if !mk.isFinite || !lk.isFinite { return .failed }
                gradient[k] += dm * mk + dls * lk
                if mk == 0 && lk == 0 { continue }
                for l in k..<n {
                    let ml: Double = dmu[i * n + l], ll: Double = dsigma[i * n + l] / s
                    fim[k * n + l] += wm * mk * ml + wls * lk * ll
                }
            }
        }
        for k in 0..<n { for l in 0..<k { fim[k * n + l] = fim[l * n + k] } }
        return Evaluation(value: value, gradient: gradient, hessian: fim)
    }
}
