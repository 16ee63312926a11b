import ArgumentParser
import CascadeCore
import CascadeEstimation
import CascadeExperiments
import CascadeFormats
import CascadeSolver
import Foundation

/// Reads --set overrides against a compiled model's inputs.
private func overrideInputs(_ overrides: [String], model path: String, compiled: CompiledModel) throws -> [String: Double] {
    var inputs: [String: Double] = [:]
    for o in overrides {
        guard let (id, v) = parseOverride(o) else { throw Failure("--set expects ID=VALUE with a number, got '\(o)'") }
        guard compiled.inputPosition(id) != nil else {
            throw Failure("\(path): --set: \(SimulationError.unknownInput(id))" + Spelling.didYouMean(id, among: compiled.inputIds))
        }
        inputs[id] = v
    }
    return inputs
}

private func g(_ v: Double) -> String { v.isNaN ? "nan" : String(format: "%.6g", v) }

struct SteadyStateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steady-state",
        abstract: "Steady state of a model, its stability, control coefficients, and parameter scans.",
        discussion: """
            Integrates to steady state (then Newton), and reports the states, the eigenvalues of the \
            Jacobian there (stable when all but the conservation laws' zero eigenvalues have negative \
            real parts), the reaction fluxes, and the scaled concentration and flux control \
            coefficients of every reaction (∂ln s/∂ln e and ∂ln J/∂ln e for a factor e on the \
            reaction's rate; central differences of steady states, step 1e-4). With --scan ID=FROM:TO:N \
            it writes the steady states over N values of ID instead (TSV; --log spaces them \
            logarithmically).

            Example:
              cascade steady-state models/ketamine.ant --set ketamine=0 --scan k_deg=0.01:1:20 --log
            """)

    @Argument(help: "The model (.ant or SBML .xml).") var model: String
    @Option(name: .customLong("set"), help: ArgumentHelp("Override a value, as ID=VALUE; repeat for more.", valueName: "id=value"))
    var overrides: [String] = []
    @Option(help: ArgumentHelp("Scan a parameter: ID=FROM:TO:N.", valueName: "id=from:to:n")) var scan: String?
    @Flag(help: "Space the scan's values logarithmically.") var log = false
    @Flag(name: .customLong("no-control"), help: "Skip the control coefficients (one steady state pair per reaction).") var noControl = false
    @OptionGroup(title: "Output") var output: OutputOption
    @OptionGroup(title: "Solver") var solver: SolverFlags<SteadyStateSolverDefaults>

    func run() throws {
        try checkOutputs(output.output)
        let m = try ModelFile.load(path: model)
        let compiled = try compile(m, path: model)
        let inputs = try overrideInputs(overrides, model: model, compiled: compiled)
        let options = solver.options()
        let steadyOptions = SteadyStateOptions(relativeTolerance: 1e-8, absoluteTolerance: 1e-12)
        if let scan {
            guard let eq = scan.firstIndex(of: "=") else { throw Failure("--scan expects ID=FROM:TO:N, got '\(scan)'") }
            let id = String(scan[..<eq])
            let parts = scan[scan.index(after: eq)...].split(separator: ":").map(String.init)
            guard parts.count == 3, let from = Double(parts[0]), let to = Double(parts[1]), let n = Int(parts[2]), n >= 2 else {
                throw Failure("--scan expects ID=FROM:TO:N with N ≥ 2, got '\(scan)'")
            }
            guard compiled.inputPosition(id) != nil else {
                throw Failure("\(model): --scan: \(SimulationError.unknownInput(id))" + Spelling.didYouMean(id, among: compiled.inputIds))
            }
            if log && !(from > 0 && to > 0) { throw Failure("--scan with --log needs positive FROM and TO") }
            let values = (0 ..< n).map { k -> Double in
                let t = Double(k) / Double(n - 1)
                return log ? from * Foundation.pow(to / from, t) : from + (to - from) * t
            }
            let result = try LocalAnalysis.scan(
                m, parameter: id, values: values, inputs: inputs, options: options,
                steadyOptions: steadyOptions)
            var lines = [([id] + result.stateIds).joined(separator: "\t")]
            for (v, row) in zip(values, result.rows) {
                lines.append(([g(v)] + (row?.map(g) ?? result.stateIds.map { _ in "nan" })).joined(separator: "\t"))
            }
            try writeOutput(lines.joined(separator: "\n") + "\n", to: output.output)
            return
        }
        let r = try LocalAnalysis.steadyState(m, inputs: inputs, options: options, steadyOptions: steadyOptions, control: !noControl)
        var out = "steady state (reached at t = \(g(r.time)), residual \(g(r.residual)))\n"
        for (id, v) in zip(r.stateIds, r.states) { out += "  \(id)\t\(g(v))\n" }
        out += "\neigenvalues of the Jacobian (\(r.conservationLaws) zero from conservation laws): \(r.stable ? "stable" : "NOT stable")\n"
        for e in r.eigenvalues { out += "  \(g(e.re))\(e.im == 0 ? "" : (e.im > 0 ? " + " : " - ") + g(abs(e.im)) + "i")\n" }
        if !r.reactionIds.isEmpty {
            out += "\nfluxes\n"
            for (id, v) in zip(r.reactionIds, r.fluxes) { out += "  \(id)\t\(g(v))\n" }
        }
        if !noControl && !r.reactionIds.isEmpty {
            out += "\nconcentration control coefficients (rows: states; columns: reactions)\n"
            out += (["state"] + r.reactionIds).joined(separator: "\t") + "\n"
            for (i, id) in r.stateIds.enumerated() { out += ([id] + r.concentrationControl[i].map(g)).joined(separator: "\t") + "\n" }
            out += "\nflux control coefficients (rows: fluxes; columns: reactions)\n"
            out += (["flux"] + r.reactionIds).joined(separator: "\t") + "\n"
            for (k, id) in r.reactionIds.enumerated() { out += ([id] + r.fluxControl[k].map(g)).joined(separator: "\t") + "\n" }
        }
        try writeOutput(out, to: output.output)
    }
}

struct Sensitivity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Normalised sensitivities of readouts at chosen times to every parameter, of a model or under an experiment's protocol.",
        discussion: """
            Forward sensitivities (CVODES) give ∂ln y/∂ln p for each readout y at each time and \
            every constant parameter p with a non-zero value: the relative change of the readout per \
            relative change of the parameter. Rows are parameters, ordered by their largest \
            absolute sensitivity; columns are readout@time.

            With an experiment file (.yaml) the readouts are simulated under its protocol (the \
            untreated culture settles for the experiment's settle, then the protocol runs with the \
            inhibitors of --condition, default none) and the parameters are the model's own constants \
            (with the experiment's line and values). --quantity log2fc (the default) gives the \
            sensitivity of the knockout call's effect, log2(treated/vehicle) under the condition: \
            ∂log2FC/∂ln p = (∂ln y_treated/∂ln p − ∂ln y_vehicle/∂ln p)/ln 2, the change in log2 fold \
            change per relative change of p — the constants that decide the call. treated or vehicle give \
            ∂ln y/∂ln p of one arm. Times are after the treatment (`2 h`, `30 min`, seconds) and default \
            to the experiment's, as do the readouts. A last row, (value), gives the quantity itself.

            Examples:
              cascade sensitivity models/ketamine.ant --readouts p_eEF2,BDNF --times 1800,7200
              cascade sensitivity models/experiments/knockout_screen.yaml --condition NBQX \\
                --readouts p_S6K,synaptic_proteins --times "2 h,24 h"
            """)

    enum Quantity: String, ExpressibleByArgument, CaseIterable { case log2fc, treated, vehicle }

    @Argument(help: "The model (.ant or SBML .xml), or an experiment file (.yaml).") var model: String
    @Option(help: ArgumentHelp("Comma-separated readouts (species, parameters or reactions); an experiment's by default.", valueName: "ids"))
    var readouts: String?
    @Option(help: ArgumentHelp("Comma-separated output times (model time units; after the treatment for an experiment).", valueName: "times"))
    var times: String?
    @Option(help: ArgumentHelp("Experiment only: the screen condition whose inhibitors are applied (default none).", valueName: "id"))
    var condition: String?
    @Option(help: "Experiment only: log2fc (treated vs vehicle), treated or vehicle.") var quantity: Quantity = .log2fc
    @Option(name: .customLong("set"), help: ArgumentHelp("Override a value, as ID=VALUE; repeat for more.", valueName: "id=value"))
    var overrides: [String] = []
    @OptionGroup(title: "Output") var output: OutputOption
    @OptionGroup(title: "Solver") var solver: SolverFlags<LikelihoodSolverDefaults>

    var isExperiment: Bool { ["yaml", "yml"].contains(URL(fileURLWithPath: model).pathExtension.lowercased()) }

    func validate() throws {
        if !isExperiment {
            if readouts == nil { throw ValidationError("--readouts is required for a model") }
            if times == nil { throw ValidationError("--times is required for a model") }
            if condition != nil { throw ValidationError("--condition needs an experiment file") }
        }
    }

    func parseTimes(_ text: String, units: Bool) throws -> [Double] {
        var ts: [Double] = []
        for t in text.split(separator: ",") {
            let s = t.trimmingCharacters(in: .whitespaces)
            guard let v = units ? TreatmentProtocol.seconds(from: s) : Double(s), v.isFinite, units || v >= 0 else {
                throw Failure("--times: '\(t)' is not a \(units ? "time" : "non-negative number")")
            }
            ts.append(v)
        }
        return ts.sorted()
    }

    func table(_ r: (parameters: [String], values: [[Double]], normalised: [[[Double]]]), ids: [String], columns: [String]) -> String {
        let order = r.parameters.indices.sorted { a, b in
            let ma = r.normalised[a].flatMap { $0 }.map { $0.isNaN ? 0 : abs($0) }.max() ?? 0
            let mb = r.normalised[b].flatMap { $0 }.map { $0.isNaN ? 0 : abs($0) }.max() ?? 0
            return ma != mb ? ma > mb : r.parameters[a] < r.parameters[b]
        }
        var lines = [(["parameter"] + columns).joined(separator: "\t")]
        for p in order { lines.append(([r.parameters[p]] + r.normalised[p].flatMap { $0 }.map(g)).joined(separator: "\t")) }
        return lines.joined(separator: "\n") + "\n"
    }

    func run() throws {
        try checkOutputs(output.output)
        if isExperiment { return try runExperiment() }
        let m = try ModelFile.load(path: model)
        let compiled = try compile(m, path: model)
        let inputs = try overrideInputs(overrides, model: model, compiled: compiled)
        let ids = splitIds(readouts!)
        for id in ids where !compiled.hasOutput(OutputColumn(id)) {
            throw Failure("--readouts: '\(id)' is not an output of \(model)" + Spelling.didYouMean(id, among: compiled.reportableIds))
        }
        let ts = try parseTimes(times!, units: false)
        let r = try LocalAnalysis.sensitivities(m, outputs: ids, times: ts, inputs: inputs, options: solver.options())
        var columns: [String] = []
        for t in ts { for id in ids { columns.append("\(id)@\(g(t))") } }
        try writeOutput(table(r, ids: ids, columns: columns), to: output.output)
    }

    func runExperiment() throws {
        guard FileManager.default.fileExists(atPath: model) else { throw Failure("\(model): no such file") }
        let e = try Experiment.load(URL(fileURLWithPath: model))
        let conditionId = condition ?? "none"
        let conditions = e.conditions
        guard let c = conditions.first(where: { $0.id == conditionId }) else {
            throw Failure(
                "--condition \(conditionId): not a condition of \(model) (its conditions: \(conditions.map(\.id).joined(separator: ", ")))"
                    + Spelling.didYouMean(conditionId, among: conditions.map(\.id)))
        }
        let (m, offset, vehicleInputs, treatedInputs) = try PlateProtocol.settledRun(e, condition: c)
        let compiled = try compile(m, path: model)
        let ids = readouts.map(splitIds) ?? e.readouts
        for id in ids where !compiled.hasOutput(OutputColumn(id)) {
            throw Failure("--readouts: '\(id)' is not an output of \(e.modelPath)" + Spelling.didYouMean(id, among: compiled.reportableIds))
        }
        let ts = try times.map { try parseTimes($0, units: true) } ?? e.readoutTimes
        for t in ts where t + offset < 0 {
            throw Failure("--times: \(TreatmentProtocol.describe(seconds: t)) is before the settling starts (\(TreatmentProtocol.describe(seconds: -offset)))")
        }
        let overrides = try overrideInputs(self.overrides, model: model, compiled: compiled)
        for id in overrides.keys.sorted() where treatedInputs[id] != nil {
            throw Failure("--set \(id): the condition sets it")
        }
        // The model's own constants: not the treatment inputs, the drugs' wiring or the protocol.
        let own = Set(e.model.parameters.filter(\.constant).map(\.id))
        let modelTimes = ts.map { $0 + offset }
        func inputs(_ arm: [String: Double]) -> [String: Double] { overrides.merging(arm) { _, b in b } }
        let result: (parameters: [String], values: [[Double]], normalised: [[[Double]]])
        switch quantity {
        case .treated:
            result = try LocalAnalysis.sensitivities(
                m, outputs: ids, times: modelTimes, inputs: inputs(treatedInputs), options: solver.options(), only: own)
        case .vehicle:
            result = try LocalAnalysis.sensitivities(
                m, outputs: ids, times: modelTimes, inputs: inputs(vehicleInputs), options: solver.options(), only: own)
        case .log2fc:
            result = try LocalAnalysis.foldChangeSensitivities(
                m, outputs: ids, times: modelTimes, vehicle: inputs(vehicleInputs), treated: inputs(treatedInputs),
                options: solver.options(), only: own)
        }
        var columns: [String] = []
        for t in ts { for id in ids { columns.append("\(id)@\(TreatmentProtocol.describe(seconds: t).replacingOccurrences(of: " ", with: ""))") } }
        var text = table(result, ids: ids, columns: columns)
        // The values the sensitivities are of, as a last row.
        text += (["(value)"] + ts.indices.flatMap { ti in ids.indices.map { g(result.values[ti][$0]) } }).joined(separator: "\t") + "\n"
        try writeOutput(text, to: output.output)
    }
}
