import ArgumentParser
import CascadeCore
import CascadeSolver
import Foundation

/// Shared solver options.
struct SolverFlags: ParsableArguments {
    // `.unconditional`: `--atol -1` takes -1 as the value (and is refused as not positive)
    // instead of reporting "Missing value" because -1 looks like an option.
    @Option(parsing: .unconditional, help: "Relative tolerance.") var rtol: Double = 1e-6
    @Option(parsing: .unconditional, help: "Absolute tolerance (amounts).") var atol: Double = 1e-12
    @Option(name: .customLong("max-steps"), parsing: .unconditional, help: "Most internal steps between outputs.") var maxSteps: Int = 100_000
    @Option(help: "Linear solver: automatic, dense or sparse (KLU).") var solver: String = "automatic"

    func options() throws -> SolverOptions {
        guard rtol > 0, rtol.isFinite else { throw ValidationError("--rtol must be positive") }
        guard atol > 0, atol.isFinite else { throw ValidationError("--atol must be positive") }
        guard maxSteps > 0 else { throw ValidationError("--max-steps must be positive") }
        var o = SolverOptions(relativeTolerance: rtol, absoluteTolerance: atol, maxSteps: maxSteps)
        guard let ls = SolverOptions.LinearSolver(rawValue: solver) else {
            throw ValidationError("--solver must be automatic, dense or sparse")
        }
        o.linearSolver = ls
        return o
    }
}

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate a model and write its trajectory.",
        discussion: """
            MODEL is a text model (.ant) or SBML (.xml). Writes N+1 evenly spaced rows from START to END,
            header `time,<ids>`. Species are reported as concentrations unless listed in --amounts.
            Example: cascade simulate models/example.ant --end 3600 --steps 60 --set k1=0.2
            """)

    @Argument(help: "The model file (.ant or .xml).") var model: String
    @Option(parsing: .unconditional, help: "End time.") var end: Double
    @Option(parsing: .unconditional, help: "Number of output intervals (rows = steps + 1).") var steps: Int = 100
    @Option(parsing: .unconditional, help: "Start time.") var start: Double = 0
    @OptionGroup var solver: SolverFlags
    @Option(name: .customLong("set"), help: "Override a value: ID=VALUE (repeatable).") var overrides: [String] = []
    @Option(help: "Comma-separated ids to report (default: every species).") var variables: String?
    @Option(help: "Comma-separated species to report as amounts.") var amounts: String?
    @Option(help: "Write to FILE (atomically) instead of standard output.") var output: String?
    @Option(help: "csv, tsv or json.") var format: String = "csv"

    func validate() throws {
        guard end.isFinite, start.isFinite else { throw ValidationError("--start and --end must be finite numbers") }
        guard end > start else { throw ValidationError("--end (\(end)) must be after --start (\(start))") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        guard ["csv", "tsv", "json"].contains(format) else { throw ValidationError("--format must be csv, tsv or json") }
        for o in overrides where parseOverride(o) == nil {
            throw ValidationError("--set expects ID=VALUE with a number, got '\(o)'")
        }
    }

    func run() throws {
        try checkOutputs(output)
        let m = try loadModel(model)
        let compiled = try compile(m, path: model)
        var inputs: [String: Double] = [:]
        for o in overrides {
            let (id, v) = parseOverride(o)!
            inputs[id] = v
        }
        let ids = variables.map(splitIds) ?? m.species.map(\.id)
        let amountIds = Set(amounts.map(splitIds) ?? [])
        for id in amountIds where m.species(id) == nil {
            throw Failure("--amounts: '\(id)' is not a species of \(model)")
        }
        var columns: [OutputColumn] = []
        for id in ids {
            if m.species(id) != nil {
                columns.append(OutputColumn(id, amountIds.contains(id) ? .amount : .concentration))
            } else {
                columns.append(OutputColumn(id))
            }
            if !compiled.hasOutput(columns.last!) {
                throw Failure("--variables: unknown id '\(id)' in \(model)")
            }
        }
        for id in amountIds.sorted() where !ids.contains(id) { columns.append(OutputColumn(id, .amount)) }
        // The trajectory (8 bytes a value) and its text (up to about 24 bytes a value) are held
        // in memory: check rows × columns before allocating.
        guard steps < Int.max else { throw Failure("--steps \(steps) is too large") }
        if let problem = MemoryBudget.problem([steps + 1, columns.count + 1], bytesEach: 32,
                                              what: "--steps \(steps): the output's rows × columns") {
            throw Failure(problem)
        }
        let times = (0 ... steps).map { start + (end - start) * Double($0) / Double(steps) }
        let sim = try Simulator(compiled, options: try solver.options())
        let traj: Trajectory
        do {
            traj = try sim.simulate(times: times, outputs: columns, inputs: inputs, start: start)
        } catch let e as SimulationError {
            throw Failure("\(model): \(e.description)")
        }
        try writeOutput(render(traj, format: format, header: ["time"] + columns.map(\.id)), to: output)
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
