import CascadeCore
import CascadeSolver
import Foundation

/// A steady state with its stability and metabolic control analysis.
public struct SteadyStateReport: Sendable {
    public var stateIds: [String]
    public var states: [Double]
    /// Time the integration ran to reach the steady state, and the criterion's value there.
    public var time: Double
    public var residual: Double
    /// Eigenvalues of the Jacobian at the steady state, largest real part first.
    public var eigenvalues: [(re: Double, im: Double)]
    /// Zero eigenvalues that conservation laws explain (their count).
    public var conservationLaws: Int
    /// Stable when every eigenvalue but the conservation laws' zeros has a negative real part.
    public var stable: Bool
    public var reactionIds: [String]
    public var fluxes: [Double]
    /// Scaled concentration control coefficients C^{s_i}_{v_j} = ∂ln s_i/∂ln e_j (states ×
    /// reactions), e_j a factor on reaction j's rate; central differences of steady states.
    public var concentrationControl: [[Double]]
    /// Scaled flux control coefficients C^{J_k}_{v_j} (reactions × reactions).
    public var fluxControl: [[Double]]
}

/// Local analysis of a model: steady states, stability, control coefficients, parameter scans,
/// and normalised sensitivities of outputs over time.
public enum LocalAnalysis {
    /// Relative step of the central differences for control coefficients.
    public static let controlStep = 1e-4

    static func scaleId(_ reaction: String) -> String { "__control_" + reaction }

    /// The model with a factor `__control_<reaction>` (1) on every reaction's rate.
    static func withRateFactors(_ model: Model) -> Model {
        var m = model
        for i in m.reactions.indices {
            let id = scaleId(m.reactions[i].id)
            m.parameters.append(Parameter(id: id, value: 1))
            m.reactions[i].rate = .apply(.mul, [.symbol(id), m.reactions[i].rate])
        }
        return m
    }

    public static func steadyState(
        _ model: Model, inputs: [String: Double], options: SolverOptions = SolverOptions(),
        steadyOptions: SteadyStateOptions = SteadyStateOptions(), control: Bool = true
    ) throws -> SteadyStateReport {
        let scaled = withRateFactors(model)
        let compiled = try CompiledModel(scaled)
        let simulator = try Simulator(compiled, options: options)
        let reactionIds = model.reactions.map(\.id)
        func solve(_ extra: [String: Double]) throws -> (SteadyState, [Double]) {
            var all = inputs
            for (k, v) in extra { all[k] = v }
            let ss = try simulator.steadyState(inputs: all, options: steadyOptions)
            // Fluxes: the reaction rates at the steady state, with all factors at 1.
            let fluxes =
                try reactionIds.isEmpty
                ? []
                : simulator.simulate(
                    times: [ss.time], outputs: reactionIds.map { OutputColumn($0) }, inputs: all, start: ss.time,
                    initialStates: ss.states
                ).values
            return (ss, fluxes)
        }
        let (ss, fluxes) = try solve([:])
        let jac = compiled.jacobian(time: ss.time, states: ss.states, parameters: ss.parameters)
        let eig = LinearAlgebra.eigenvalues(jac) ?? []
        let scale = max(1e-300, eig.map { ($0.re * $0.re + $0.im * $0.im).squareRoot() }.max() ?? 0)
        let laws = compiled.conservationLaws.count
        // The conservation laws' eigenvalues are zero up to rounding: drop the `laws` smallest.
        let byMagnitude = eig.sorted { abs($0.re) + abs($0.im) < abs($1.re) + abs($1.im) }
        let dynamic = byMagnitude.dropFirst(laws)
        let stable = dynamic.allSatisfy { $0.re < -1e-10 * scale }
        var cs = [[Double]](repeating: [Double](repeating: .nan, count: reactionIds.count), count: compiled.stateCount)
        var cj = [[Double]](repeating: [Double](repeating: .nan, count: reactionIds.count), count: reactionIds.count)
        for (j, r) in reactionIds.enumerated() where control {
            let h = controlStep
            let (up, fup) = try solve([scaleId(r): 1 + h])
            let (down, fdown) = try solve([scaleId(r): 1 - h])
            for i in 0 ..< compiled.stateCount where ss.states[i] != 0 {
                cs[i][j] = (up.states[i] - down.states[i]) / (2 * h) / ss.states[i]
            }
            for k in reactionIds.indices where fluxes[k] != 0 {
                cj[k][j] = (fup[k] - fdown[k]) / (2 * h) / fluxes[k]
            }
        }
        return SteadyStateReport(
            stateIds: compiled.stateIds, states: ss.states, time: ss.time, residual: ss.residual,
            eigenvalues: eig, conservationLaws: laws, stable: stable, reactionIds: reactionIds, fluxes: fluxes,
            concentrationControl: cs, fluxControl: cj)
    }

    /// Steady states (state values) as `parameter` takes each of `values`.
    public static func scan(
        _ model: Model, parameter: String, values: [Double], inputs: [String: Double],
        options: SolverOptions = SolverOptions(),
        steadyOptions: SteadyStateOptions = SteadyStateOptions()
    ) throws -> (stateIds: [String], rows: [[Double]?]) {
        let compiled = try CompiledModel(model)
        guard compiled.inputPosition(parameter) != nil else { throw SimulationError.unknownInput(parameter) }
        let simulator = try Simulator(compiled, options: options)
        var rows: [[Double]?] = []
        for v in values {
            var all = inputs
            all[parameter] = v
            // A value without a steady state (oscillations, divergence) gives an empty row.
            rows.append(try? simulator.steadyState(inputs: all, options: steadyOptions).states)
        }
        return (compiled.stateIds, rows)
    }

    /// Normalised sensitivities ∂ln y/∂ln p of `outputs` at `times` to every parameter with a
    /// non-zero value (forward sensitivities, CVODES), or to those of them in `only`. Returns
    /// [parameter][time][output].
    public static func sensitivities(
        _ model: Model, outputs: [String], times: [Double], inputs: [String: Double],
        options: SolverOptions = SolverOptions(), only: Set<String>? = nil
    )
        throws -> (parameters: [String], values: [[Double]], normalised: [[[Double]]])
    {
        let compiled = try CompiledModel(model)
        let columns = outputs.map { OutputColumn($0) }
        for c in columns where !compiled.hasOutput(c) { throw SimulationError.unknownInput(c.id) }
        let sensitivityModel = try SensitivityModel(compiled, outputs: columns)
        let simulator = try SensitivitySimulator(sensitivityModel, options: options)
        var q = [String: Double]()
        for (i, id) in compiled.inputIds.enumerated() { q[id] = compiled.nominalInputs[i] }
        for (k, v) in inputs { q[k] = v }
        let parameterIds = model.parameters.filter { $0.constant }.map(\.id)
            .filter { compiled.inputPosition($0) != nil && (q[$0] ?? 0) != 0 && q[$0]!.isFinite && only?.contains($0) != false }
        // Direction for ∂/∂ln p: dp/dln p = p.
        let directions = parameterIds.map { [$0: q[$0]!] }
        let t = try simulator.simulate(times: times, outputs: Array(columns.indices), inputs: inputs, directions: directions)
        let nc = columns.count, nd = directions.count
        var out = [[[Double]]](repeating: [[Double]](repeating: [Double](repeating: .nan, count: nc), count: times.count), count: nd)
        var values = [[Double]](repeating: [Double](repeating: .nan, count: nc), count: times.count)
        for ti in times.indices {
            for c in 0 ..< nc {
                let y = t.values[ti * nc + c]
                values[ti][c] = y
                for d in 0 ..< nd where y != 0 { out[d][ti][c] = t.sensitivities[(ti * nc + c) * nd + d] / y }
            }
        }
        return (parameterIds, values, out)
    }

    /// Sensitivities of a treatment's effect: ∂log2(y_treated/y_vehicle)/∂ln p = (∂ln y_treated/∂ln p
    /// − ∂ln y_vehicle/∂ln p)/ln 2 of `outputs` at `times`, for one model run under two input
    /// sets (the treated and vehicle arms), to the parameters `sensitivities` would choose.
    /// Returns the log2 fold changes `[time][output]` and the sensitivities `[parameter][time][output]`.
    public static func foldChangeSensitivities(
        _ model: Model, outputs: [String], times: [Double], vehicle: [String: Double], treated: [String: Double],
        options: SolverOptions = SolverOptions(), only: Set<String>? = nil
    ) throws -> (parameters: [String], values: [[Double]], normalised: [[[Double]]]) {
        let t = try sensitivities(model, outputs: outputs, times: times, inputs: treated, options: options, only: only)
        let v = try sensitivities(model, outputs: outputs, times: times, inputs: vehicle, options: options, only: only)
        var out = t
        for p in t.parameters.indices {
            // The same parameters in both arms unless an arm's inputs zero one of them.
            guard let q = v.parameters.firstIndex(of: t.parameters[p]) else {
                out.normalised[p] = out.normalised[p].map { $0.map { _ in .nan } }
                continue
            }
            for ti in times.indices {
                for k in outputs.indices { out.normalised[p][ti][k] = (t.normalised[p][ti][k] - v.normalised[q][ti][k]) / Foundation.log(2) }
            }
        }
        for ti in times.indices { for k in outputs.indices { out.values[ti][k] = Foundation.log2(t.values[ti][k] / v.values[ti][k]) } }
        return out
    }
}
