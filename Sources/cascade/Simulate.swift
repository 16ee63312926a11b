import ArgumentParser
import CascadeCore
import CascadeFormats
import CascadeReports
import CascadeSolver
import Foundation

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate a model and write its trajectory.",
        discussion: """
            MODEL is a text model (.ant) or SBML (.xml). Writes STEPS + 1 evenly spaced rows from START to \
            END, with the header `time,<ids>`. Species are reported as concentrations unless listed in \
            --amounts. Times are seconds, or a number with a unit: 90 s, 30 min, 2 h, 3 d.

            Example:
              cascade simulate models/ketamine.ant --end 2h --steps 120 --variables BDNF
            """)

    @Argument(help: "The model file (.ant or .xml).") var model: String
    @Option(parsing: .unconditional, help: ArgumentHelp("End time, e.g. 3600, 24h or '2 d'.", valueName: "time"), transform: TimeValue.parse)
    var end: TimeValue
    @Option(parsing: .unconditional, help: "Number of output intervals; the output has steps + 1 rows.") var steps: Int = 100
    @Option(parsing: .unconditional, help: ArgumentHelp("Start time, e.g. -30 min.", valueName: "time"), transform: TimeValue.parse)
    var start = TimeValue(seconds: 0)
    @OptionGroup(title: "Solver") var solver: SolverFlags<ModelSolverDefaults>
    @Option(name: .customLong("set"), help: ArgumentHelp("Override a value, as ID=VALUE; repeat for more.", valueName: "id=value"))
    var overrides: [String] = []
    @Option(help: ArgumentHelp("Comma-separated ids to report; every species when omitted.", valueName: "ids")) var variables: String?
    @Option(help: ArgumentHelp("Comma-separated species to report as amounts.", valueName: "ids")) var amounts: String?
    @OptionGroup(title: "Output") var output: FormattedOutput<TrajectoryFormat>

    func validate() throws {
        guard end.seconds > start.seconds else { throw ValidationError("--end (\(end)) must be after --start (\(start))") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1, got \(steps)") }
        for o in overrides where parseOverride(o) == nil {
            throw ValidationError("--set expects ID=VALUE with a number, got '\(o)'")
        }
    }

    func run() throws {
        try checkOutputs(output.output)
        let m = try ModelFile.load(path: model)
        let compiled = try compile(m, path: model)
        var inputs: [String: Double] = [:]
        for o in overrides {
            let (id, v) = parseOverride(o)!
            guard compiled.inputPosition(id) != nil else {
                throw Failure("\(model): --set: \(SimulationError.unknownInput(id))" + Spelling.didYouMean(id, among: compiled.inputIds))
            }
            inputs[id] = v
        }
        let ids = variables.map(splitIds) ?? m.species.map(\.id)
        let amountIds = Set(amounts.map(splitIds) ?? [])
        for id in amountIds where m.species(id) == nil {
            throw Failure("--amounts: '\(id)' is not a species of \(model)" + Spelling.didYouMean(id, among: m.species.map(\.id)))
        }
        var columns: [OutputColumn] = []
        for id in ids {
            if m.species(id) != nil {
                columns.append(OutputColumn(id, amountIds.contains(id) ? .amount : .concentration))
            } else {
                columns.append(OutputColumn(id))
            }
            if !compiled.hasOutput(columns.last!) {
                throw Failure("--variables: unknown id '\(id)' in \(model)" + Spelling.didYouMean(id, among: knownOutputIds(m)))
            }
        }
        for id in amountIds.sorted() where !ids.contains(id) { columns.append(OutputColumn(id, .amount)) }
        // The trajectory (8 bytes a value) and its text (up to about 24 bytes a value) are held
        // in memory: check rows × columns before allocating.
        guard steps < Int.max else { throw Failure("--steps \(steps) is too large") }
        if let problem = MemoryBudget.problem(
            [steps + 1, columns.count + 1], bytesEach: 32,
            what: "--steps \(steps): the output's rows × columns")
        {
            throw Failure(problem)
        }
        let (start, end) = (self.start.seconds, self.end.seconds)
        let times = (0 ... steps).map { start + (end - start) * Double($0) / Double(steps) }
        let sim = try Simulator(compiled, options: solver.options())
        let traj: Trajectory
        do {
            traj = try sim.simulate(times: times, outputs: columns, inputs: inputs, start: start)
        } catch let e as SimulationError {
            throw Failure("\(model): \(e.description)")
        }
        try output.write(TrajectoryText.render(traj, format: output.format.rawValue, header: ["time"] + columns.map(\.id)))
        // Reported, never corrected: the numbers stay what the model says.
        for n in traj.negativeSpecies(m, options: solver.options()) {
            FileHandle.standardError.write(Data("cascade: warning: \(model): \(n)\n".utf8))
        }
    }
}

func parseOverride(_ s: String) -> (String, Double)? {
    let parts = s.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
    guard parts.count == 2, !parts[0].isEmpty, let v = Double(parts[1]) else { return nil }
    return (parts[0], v)
}

func splitIds(_ s: String) -> [String] {
    s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

/// The ids a model can report (for "did you mean"): its species, compartments, parameters,
/// reactions and observables.
func knownOutputIds(_ m: Model) -> [String] {
    m.species.map(\.id) + m.compartments.map(\.id) + m.parameters.map(\.id) + m.reactions.map(\.id) + m.observables.map(\.id)
}
