import CascadeCore
import CascadeSolver
import Foundation

extension Experiment {
    /// The sweep as a plan: one compiled variant per line, one task per combination of axis
    /// values, line and arm; condition columns `line, arm, <axes>`.
    public func sweepPlan(options: SolverOptions = SolverOptions(relativeTolerance: 1e-6, absoluteTolerance: 1e-10)) throws -> SweepPlan {
        guard let spec = sweep else { throw InputError(file: file, field: "sweep", message: "the experiment has no sweep section") }
        let drugs = spec.axes.compactMap { a -> String? in if case .inhibitor(let d) = a.target { return d } else { return nil } }
        let lines: [(String, [String: Double])?] = spec.lines.isEmpty ? [line] : spec.lines.map { ($0.id, $0.values) }
        var variants: [CompiledModel] = []
        for l in lines {
            var e = self
            e.line = l
            variants.append(try CompiledModel(PlateProtocol.screeningModel(e, drugs: drugs)))
        }
        // First-addition concentration of each treatment, to turn swept concentrations into scales.
        var firstDose: [String: Double] = [:]
        for s in protocolSteps.steps {
            if case .add(let t, let c) = s.operation, firstDose[t] == nil { firstDose[t] = c }
        }
        var grid: [(id: String, values: [Double])] = spec.axes.map { ($0.name, $0.values) }
        grid.insert(("arm", spec.arms), at: 0)
        let combos = SweepPlan.grid(grid)
        var tasks: [SweepTask] = []
        for (v, l) in lines.enumerated() {
            for c in combos {
                var treatment = TreatmentInputs(arm: c.inputs["arm"]!)
                var values: [String: Double] = [:]
                for a in spec.axes {
                    let x = c.inputs[a.name]!
                    switch a.target {
                    case .parameter(let p): values[p] = x
                    case .inhibitor(let d): treatment.doses[d] = x
                    case .treatment(let t):
                        guard let c0 = firstDose[t], c0 > 0 else {
                            throw InputError(file: file, field: "sweep.parameters.\(t)", message: "treatment '\(t)' is not added by the protocol")
                        }
                        treatment.scales[t] = x / c0
                    }
                }
                let inputs = treatment.values(over: values)
                let arm = c.inputs["arm"]! == 0 ? "vehicle" : "treated"
                tasks.append(SweepTask(index: tasks.count, variant: v, labels: [l?.0 ?? "", arm] + Array(c.labels.dropFirst()), inputs: inputs))
            }
        }
        return SweepPlan(conditionColumns: ["line", "arm"] + spec.axes.map(\.name), variants: variants, tasks: tasks,
                         times: readoutTimes, outputs: readouts.map { OutputColumn($0) }, options: options,
                         start: protocolSteps.firstTime - settle)
    }
}
