import ArgumentParser
import CascadeCore
import CascadeExperiments
import CascadeSolver
import Foundation

// The option groups every command shares, declared once: worker threads, solver settings,
// the output file and format, and times with units.

/// `--threads N`: worker threads, all cores when omitted.
struct ThreadsOption: ParsableArguments {
    @Option(help: ArgumentHelp("Worker threads; all cores when omitted.", valueName: "n"))
    var threads: Int?

    /// The threads to use: the option, or every active core.
    var count: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }
}

/// Default solver settings of a command (its tolerances differ with what it is used for).
protocol SolverDefaults {
    static var rtol: Double { get }
    static var atol: Double { get }
    static var maxSteps: Int { get }
}

/// Simulations of the project's models: the library's defaults.
enum ModelSolverDefaults: SolverDefaults {
    static let rtol = 1e-6
    static let atol = 1e-12
    static let maxSteps = 100_000
}

/// PEtab benchmark problems: tighter, as the reference tools use for them.
enum PEtabSolverDefaults: SolverDefaults {
    static let rtol = 1e-8
    static let atol = 1e-14
    static let maxSteps = 1_000_000
}

/// The SBML Test Suite: tight enough for its comparison tolerances.
enum SuiteSolverDefaults: SolverDefaults {
    static let rtol = 1e-10
    static let atol = 1e-14
    static let maxSteps = 500_000
}

/// `cascade likelihood`: the tolerances its objective and gradient were checked at.
enum LikelihoodSolverDefaults: SolverDefaults {
    static let rtol = 1e-8
    static let atol = 1e-12
    static let maxSteps = 1_000_000
}

/// `--rtol`, `--atol`, `--max-steps`, `--solver`, with the defaults of `D`.
struct SolverFlags<D: SolverDefaults>: ParsableArguments {
    @Option(parsing: .unconditional, help: "Relative tolerance of the integrator.") var rtol: Double = D.rtol
    @Option(parsing: .unconditional, help: "Absolute tolerance of the integrator, in amounts.") var atol: Double = D.atol
    @Option(name: .customLong("max-steps"), parsing: .unconditional, help: "The most internal steps the integrator takes between two outputs.")
    var maxSteps: Int = D.maxSteps
    @Option(help: "Linear solver: automatic picks sparse (KLU) for large sparse models, dense otherwise.")
    var solver: LinearSolverChoice = .automatic

    func validate() throws {
        guard rtol > 0, rtol.isFinite else { throw ValidationError("--rtol must be a positive number, got \(rtol)") }
        guard atol > 0, atol.isFinite else { throw ValidationError("--atol must be a positive number, got \(atol)") }
        guard maxSteps > 0 else { throw ValidationError("--max-steps must be at least 1, got \(maxSteps)") }
    }

    func options() -> SolverOptions {
        var o = SolverOptions(relativeTolerance: rtol, absoluteTolerance: atol, maxSteps: maxSteps)
        o.linearSolver = solver.value
        return o
    }
}

/// A choice among named values (`--format`, `--solver`): the raw values are what the user types.
/// A value outside the list is refused with one sentence that lists the accepted ones.
protocol Choice: CaseIterable, ExpressibleByArgument, RawRepresentable, CustomStringConvertible where RawValue == String {}

extension Choice {
    init?(argument: String) { self.init(rawValue: argument) }
    var description: String { rawValue }
    static var allValueStrings: [String] { allCases.map(\.rawValue) }
    /// "csv, tsv or json".
    static var list: String {
        let all = allValueStrings
        return all.count < 2 ? all.joined() : all.dropLast().joined(separator: ", ") + " or " + all.last!
    }
}

enum LinearSolverChoice: String, Choice {
    case automatic, dense, sparse
    var value: SolverOptions.LinearSolver { SolverOptions.LinearSolver(rawValue: rawValue)! }
}

/// A `--format`: the choices and the one used when the option is omitted.
protocol OutputFormat: Choice {
    static var standard: Self { get }
}

/// Formats of `cascade simulate`.
enum TrajectoryFormat: String, OutputFormat {
    case csv, tsv, json
    static let standard = csv
}

/// Formats of the screens (`knockouts`, `cohort`): a table for people, JSON and CSV for programs.
enum ReportFormat: String, OutputFormat {
    case table, json, csv
    static let standard = table
}

/// Formats of `cascade likelihood`.
enum LikelihoodFormat: String, OutputFormat {
    case text, json
    static let standard = text
}

/// Formats of `cascade scorecard`.
enum ScorecardFormat: String, OutputFormat {
    case table, json
    static let standard = table
}

/// `--output FILE`: written atomically, or standard output.
struct OutputOption: ParsableArguments {
    @Option(help: ArgumentHelp("Write to FILE (atomically) instead of standard output.", valueName: "file"))
    var output: String?

    func write(_ text: String) throws { try writeOutput(text, to: output) }
}

/// `--output FILE` and `--format F`.
struct FormattedOutput<F: OutputFormat>: ParsableArguments {
    @Option(help: ArgumentHelp("Write to FILE (atomically) instead of standard output.", valueName: "file"))
    var output: String?
    @Option(help: "Output format.") var format: F = F.standard

    func write(_ text: String) throws { try writeOutput(text, to: output) }
}

/// A time typed on the command line: a number of seconds or a number with a unit, as in
/// experiment files (`90`, `90 s`, `30 min`, `2 h`, `3 d`, `-5 d`, `24h`).
struct TimeValue: ExpressibleByArgument, CustomStringConvertible {
    var seconds: Double
    /// As typed, for messages.
    var text: String

    init(seconds: Double) {
        self.seconds = seconds
        text = formatNumber(seconds)
    }

    init?(argument: String) {
        guard let s = Units.seconds(argument) else { return nil }
        seconds = s
        text = argument.trimmingCharacters(in: .whitespaces)
    }

    var description: String { text }
    var defaultValueDescription: String { description }

    /// The parse used by time options, so a bad value gets one sentence naming the units.
    static func parse(_ text: String) throws -> TimeValue {
        guard let t = TimeValue(argument: text) else { throw TimeValueError(text: text) }
        return t
    }

    struct TimeValueError: Error, CustomStringConvertible {
        var text: String
        var description: String { "not a time; write seconds or a number with a unit (90, 30 min, 2 h, 3 d)" }
    }
}
