import ArgumentParser
import CascadeCore
import CascadeExperiments
import CascadeFormats
import CascadePEtab
import CascadeSolver
import Foundation

struct PlateToPEtab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plate-to-petab",
        abstract: "Turn a plate map from `cascade plan` and its readings into a PEtab problem, to fit a line with `cascade fit`.",
        discussion: """
            PLATE is the plate map `cascade plan` writes; READINGS a CSV with columns well,readout,value (more \
            columns are ignored), one row per well and readout. The plan file (--plan, default \
            models/experiments/plan.yaml) or an experiment file (--experiment) gives the model, the inhibitor \
            panel, the protocol, the lines and the assays' CVs.

            The problem (DIR/problem.yaml, model.xml, conditions.tsv, observables.tsv, measurements.tsv, \
            parameters.tsv) holds the wells of one line (--line, needed when the plate holds several):
              model: the experiment's screening model with the line's values, exported as SBML; the \
            protocol's additions, pre-incubations and washes are SBML events whose values are the inputs \
            treatment_on, <inhibitor>_dose and <treatment>_scale, which each condition sets. Time 0 is the \
            start of the settling (the experiment's settle before the first protocol step), so a well read at \
            read_at_s is a measurement at read_at_s + settle - first step.
              conditions: one per (treatment, inhibitor concentrations) on the plate.
              observables: obs_<readout> = scale_<readout> · readout, log-normal with σ = √ln(1 + CV²) of the \
            assay reading it. Readings are relative, so each readout's scale is estimated (log10); its \
            nominal value is the geometric mean of reading over prediction at the nominal parameters (its \
            best value there) and its bounds that × / ÷ 1000. --scaling none takes readings in model units.
              parameters: --estimate IDS (default: the constants the line sets), log10, bounds nominal × / ÷ \
            --bound-factor unless --bounds ID=LOWER:UPPER (lin scale when LOWER ≤ 0). Nominal values are the \
            line's, or those of --set ID=VALUE.

            The solver options apply to the simulation that sets the scales' nominal values.

            Errors name the file, line and column: wells not on the plate or without cells, unknown \
            readouts, readouts the well's assay does not read, values that are not positive numbers, a \
            second reading of a readout in a well.

            Example:
              cascade plan --output plate.csv
              cascade plate-to-petab --plate plate.csv --readings readings.csv --line control --output fit-control
              cascade fit fit-control/problem.yaml --starts 20 --output fit-control/fit
            """)

    @Option(help: ArgumentHelp("The plate map CSV written by cascade plan.", valueName: "file")) var plate: String
    @Option(help: ArgumentHelp("The readings CSV: well,readout,value.", valueName: "file")) var readings: String
    @Option(help: ArgumentHelp("The plan file the plate was planned from (default models/experiments/plan.yaml).", valueName: "file"))
    var plan: String?
    @Option(help: ArgumentHelp("An experiment file instead of a plan (its line and assays).", valueName: "file")) var experiment: String?
    @Option(help: ArgumentHelp("The plate's line to fit; needed when the plate holds several.", valueName: "id")) var line: String?
    @Option(help: ArgumentHelp("Comma-separated parameters to estimate (default: those the line sets).", valueName: "ids")) var estimate: String?
    @Option(help: ArgumentHelp("Bounds of an estimated parameter, linear scale; repeat for more.", valueName: "id=lower:upper"))
    var bounds: [String] = []
    @Option(
        name: .customLong("set"),
        help: ArgumentHelp("Set a model value over the line's (e.g. where the estimated parameters start); repeat for more.", valueName: "id=value"))
    var overrides: [String] = []
    @Option(name: .customLong("bound-factor"), help: "Default bounds: nominal ÷ F to nominal × F.") var boundFactor: Double = 10
    @Option(help: "fitted: a scale per readout (relative readings); none: readings in model units.") var scaling: ScalingChoice = .fitted
    @Option(help: ArgumentHelp("Output directory.", valueName: "dir")) var output: String
    @OptionGroup(title: "Solver") var solver: SolverFlags<LikelihoodSolverDefaults>

    enum ScalingChoice: String, ExpressibleByArgument, CaseIterable {
        case fitted, none
    }

    func validate() throws {
        if plan != nil && experiment != nil { throw ValidationError("give --plan or --experiment, not both") }
        guard boundFactor > 1, boundFactor.isFinite else { throw ValidationError("--bound-factor must be above 1") }
    }

    func run() throws {
        let source: PlateSource
        if let experiment {
            guard FileManager.default.fileExists(atPath: experiment) else { throw Failure("\(experiment): no such file") }
            source = PlateSource(experiment: try Experiment.load(URL(fileURLWithPath: experiment)))
        } else {
            let path = try plan ?? Defaults.model("experiments/plan.yaml")
            guard FileManager.default.fileExists(atPath: path) else { throw Failure("\(path): no such file") }
            source = PlateSource(plan: try PlanSpec.load(URL(fileURLWithPath: path)))
        }
        let map = try PlateMap.read(URL(fileURLWithPath: plate), name: plate)
        let data = try PlateReadings.read(URL(fileURLWithPath: readings), name: readings)
        var options = PlatePEtab.Options()
        options.line = line
        options.boundFactor = boundFactor
        options.scaling = scaling == .fitted ? .fitted : .none
        if let estimate { options.estimate = splitIds(estimate) }
        for o in overrides {
            guard let (id, v) = parseOverride(o) else { throw Failure("--set expects ID=VALUE with a number, got '\(o)'") }
            options.values[id] = v
        }
        for b in bounds {
            guard let eq = b.firstIndex(of: "="), case let parts = b[b.index(after: eq)...].split(separator: ":"), parts.count == 2,
                let lo = Double(parts[0]), let hi = Double(parts[1])
            else { throw Failure("--bounds expects ID=LOWER:UPPER with numbers, got '\(b)'") }
            options.bounds[String(b[..<eq])] = (lo, hi)
        }
        var problem = try PlatePEtab.build(source: source, plate: map, readings: data, options: options)

        let directory = URL(fileURLWithPath: output)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw Failure("\(output): exists and is not a directory")
        }
        if problem.scaling == .fitted {
            // The scales' nominal values: each readout's geometric mean of reading over prediction
            // at the nominal parameters (scale 1), from the problem as written.
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("cascade-plate-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: scratch) }
            for f in problem.files { try f.text.write(to: scratch.appendingPathComponent(f.name), atomically: true, encoding: .utf8) }
            let petab = try ModelFile.loadPEtab(path: scratch.appendingPathComponent("problem.yaml").path)
            let simulationPlan = try PEtabSimulationPlan(petab)
            let compiled = try compile(simulationPlan.model, path: "model.xml")
            do {
                let result = try simulationPlan.simulate(compiled, options: solver.options())
                try problem.setScales(predictions: result.simulations)
            } catch let e as PEtabJobError {
                throw Failure("\(plate): simulating the plate's \(e)")
            }
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for f in problem.files { try writeOutput(f.text, to: directory.appendingPathComponent(f.name).path) }
        var text =
            "plate-to-petab: line \(problem.lineId): \(problem.measurements.count) readings of \(problem.readouts.count) readouts in \(problem.conditions.count) conditions; "
        text += "estimating \(problem.estimated.map(\.id).joined(separator: ", "))"
        if problem.scaling == .fitted { text += " and \(problem.readouts.count) scale\(problem.readouts.count == 1 ? "" : "s")" }
        if problem.otherLineReadings > 0 { text += "; \(problem.otherLineReadings) readings of other lines left out" }
        print(text + " -> \(directory.appendingPathComponent("problem.yaml").path)")
    }
}
