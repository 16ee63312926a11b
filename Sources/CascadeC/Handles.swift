import CascadeCore
import CascadeEstimation
import CascadeExperiments
import CascadeFormats
import CascadePEtab
import CascadeSolver
import Foundation

// The state behind the C ABI's opaque handles, and the conversions every entry point shares:
// C strings in and out, errors as codes and messages.

/// Status codes of every entry point that can fail (`cascade.h`).
enum Status: Int32 {
    case ok = 0
    /// Bad input (a model, experiment or problem file, an unknown id) or a failed simulation:
    /// the command line's exit code 1.
    case failure = 1
    /// A bad argument (a negative step count, a missing pointer): the command line's exit code 2.
    case usage = 2
}

/// A failure whose message is the command line's.
struct CallError: Error, CustomStringConvertible {
    var status: Status
    var description: String
    var file: String?
    var line: Int?
    var column: Int?

    init(_ message: String, status: Status = .failure, file: String? = nil, line: Int? = nil, column: Int? = nil) {
        self.status = status
        description = message
        self.file = file
        self.line = line
        self.column = column
    }

    /// A bad argument (exit code 2 on the command line).
    static func usage(_ message: String) -> CallError { CallError(message, status: .usage) }

    /// The error as the command line prints it (`describe` in the cascade executable), with
    /// the file, line and column when the error carries them.
    init(_ error: Error) {
        switch error {
        case let e as CallError:
            self = e
        case let e as SourceErrors:
            let first = e.errors.first?.location
            self.init(e.description, file: first?.path, line: first?.line, column: first?.column)
        case let e as SourceError:
            self.init(e.description, file: e.location.path, line: e.location.line, column: e.location.column)
        case let e as SBMLError:
            self.init(e.description, file: e.path, line: e.line, column: e.column)
        case let e as PEtabError:
            self.init(e.description, file: e.file, line: e.line)
        case let e as InputError:
            self.init(e.description, file: e.file, line: e.line, column: e.column)
        case let e as ModelFileError:
            self.init(e.description, file: e.path)
        case let e as ModelErrors:
            self.init(e.errors.map { "model: \($0.description)" }.joined(separator: "\n"))
        case let e as ParallelRunner.JobFailure:
            self.init(e.underlying)
        case let e as CustomStringConvertible:
            self.init(e.description)
        default:
            self.init("\(error)")
        }
    }

    /// `{"message", "file", "line", "column"}` (absent parts are null).
    var json: String {
        func text(_ s: String?) -> String { s.map { "\"" + jsonEscape($0) + "\"" } ?? "null" }
        func int(_ i: Int?) -> String { i.map(String.init) ?? "null" }
        return "{\"message\": \(text(description)), \"file\": \(text(file)), \"line\": \(int(line)), \"column\": \(int(column))}"
    }
}

/// A model loaded through the C ABI: the model, compiled once, and simulators kept for reuse.
///
/// A `Simulator` owns CVODE memory and is never shared between threads: a call takes one from
/// the pool (or makes one) and gives it back when it returns, so calls from several threads run
/// side by side, each on its own simulator, and one thread's repeated calls pay the set-up once.
final class ModelHandle: @unchecked Sendable {
    let model: Model
    let compiled: CompiledModel
    /// How messages name the model: its path, or `<text>` for a model given as text.
    let name: String
    private let lock = NSLock()
    private var idle: [SolverOptions: [Simulator]] = [:]

    init(model: Model, compiled: CompiledModel, name: String) {
        self.model = model
        self.compiled = compiled
        self.name = name
    }

    /// Runs `body` with a simulator for `options` that no other call is using.
    func withSimulator<T>(_ options: SolverOptions, _ body: (Simulator) throws -> T) throws -> T {
        lock.lock()
        let reused = idle[options]?.popLast()
        lock.unlock()
        let sim = try reused ?? Simulator(compiled, options: options)
        defer {
            lock.lock()
            idle[options, default: []].append(sim)
            lock.unlock()
        }
        return try body(sim)
    }

    private var columnCache: [String: [OutputColumn]] = [:]

    /// The output columns for the C arguments `variables` and `amounts` (comma-separated ids or
    /// null), resolved once per distinct pair.
    func columns(_ variables: UnsafePointer<CChar>?, _ amounts: UnsafePointer<CChar>?) throws -> [OutputColumn] {
        let key = (string(variables).map { "v" + $0 } ?? "*") + "\u{0}" + (string(amounts) ?? "")
        lock.lock()
        let cached = columnCache[key]
        lock.unlock()
        if let cached { return cached }
        let resolved = try columns(variables: idList(variables), amounts: idList(amounts) ?? [])
        lock.lock()
        columnCache[key] = resolved
        lock.unlock()
        return resolved
    }

    /// The output columns `cascade simulate --variables V --amounts A` reports, with its messages.
    func columns(variables: [String]?, amounts: [String]) throws -> [OutputColumn] {
        let ids = variables ?? model.species.map(\.id)
        let amountIds = Set(amounts)
        for id in amounts where model.species(id) == nil {
            throw CallError("--amounts: '\(id)' is not a species of \(name)" + Spelling.didYouMean(id, among: model.species.map(\.id)))
        }
        var columns: [OutputColumn] = []
        for id in ids {
            let column = model.species(id) != nil ? OutputColumn(id, amountIds.contains(id) ? .amount : .concentration) : OutputColumn(id)
            guard compiled.hasOutput(column) else {
                throw CallError("--variables: unknown id '\(id)' in \(name)" + Spelling.didYouMean(id, among: knownOutputIds))
            }
            columns.append(column)
        }
        for id in amountIds.sorted() where !ids.contains(id) { columns.append(OutputColumn(id, .amount)) }
        return columns
    }

    /// Checks that every id of `inputs` can be set, with the message of `cascade simulate --set`.
    func checkInputs<S: Sequence>(_ ids: S) throws where S.Element == String {
        for id in ids where compiled.inputPosition(id) == nil {
            throw CallError("\(name): --set: \(SimulationError.unknownInput(id))" + Spelling.didYouMean(id, among: compiled.inputIds))
        }
    }

    /// The ids a model can report (for "did you mean").
    var knownOutputIds: [String] {
        model.species.map(\.id) + model.compartments.map(\.id) + model.parameters.map(\.id) + model.reactions.map(\.id)
            + model.observables.map(\.id)
    }
}

/// Compiles `model`, its errors prefixed by `label` (the file) as the command line prints them.
func compile(_ model: Model, label: String) throws -> CompiledModel {
    do {
        return try CompiledModel(model)
    } catch let e as ModelErrors {
        throw CallError(e.errors.map { "\(label): \($0.description)" }.joined(separator: "\n"))
    } catch let e as CompileError {
        throw CallError("\(label): \(e.description)")
    } catch let e as SimulationError {
        throw CallError("\(label): \(e.description)")
    }
}

/// A PEtab problem loaded for repeated likelihood evaluations.
final class ProblemHandle: @unchecked Sendable {
    let objective: PEtabObjective
    init(_ objective: PEtabObjective) { self.objective = objective }
}

/// Solver settings from the C arguments, checked as the command line's `--rtol`, `--atol` and
/// `--max-steps` are.
func solverOptions(rtol: Double, atol: Double, maxSteps: Int64) throws -> SolverOptions {
    guard rtol > 0, rtol.isFinite else { throw CallError.usage("rtol must be a positive number, got \(rtol)") }
    guard atol > 0, atol.isFinite else { throw CallError.usage("atol must be a positive number, got \(atol)") }
    guard maxSteps > 0 else { throw CallError.usage("max_steps must be at least 1, got \(maxSteps)") }
    return SolverOptions(relativeTolerance: rtol, absoluteTolerance: atol, maxSteps: Int(maxSteps))
}

/// Worker threads from a C argument: 0 means every active core.
func threadCount(_ threads: Int64) throws -> Int {
    guard threads >= 0 else { throw CallError.usage("threads must be at least 1 (or 0 for every core), got \(threads)") }
    return threads == 0 ? ProcessInfo.processInfo.activeProcessorCount : Int(threads)
}

/// The output times: the `n` given ones (checked), or the `steps + 1` evenly spaced times of
/// `cascade simulate` from `start` to `end`.
func outputTimes(start: Double, end: Double, steps: Int64, given n: Int64 = 0, _ times: UnsafePointer<Double>? = nil) throws -> [Double] {
    guard start.isFinite else { throw CallError.usage("start must be a finite number") }
    if n > 0 {
        guard let times else { throw CallError.usage("times missing (null)") }
        let t = Array(UnsafeBufferPointer(start: times, count: Int(n)))
        for (i, x) in t.enumerated() {
            guard x.isFinite else { throw CallError.usage("times[\(i)] is not a finite number") }
            guard x >= start else { throw CallError.usage("times[\(i)] (\(formatNumber(x))) is before start (\(formatNumber(start)))") }
            guard i == 0 || x > t[i - 1] else {
                throw CallError.usage("times must increase: times[\(i)] (\(formatNumber(x))) follows \(formatNumber(t[i - 1]))")
            }
        }
        return t
    }
    guard end.isFinite else { throw CallError.usage("end must be a finite number") }
    guard end > start else { throw CallError.usage("end (\(formatNumber(end))) must be after start (\(formatNumber(start)))") }
    guard steps >= 1 else { throw CallError.usage("steps must be at least 1, got \(steps)") }
    guard steps < Int64(Int32.max) else { throw CallError.usage("steps \(steps) is too large") }
    let n = Int(steps)
    return (0 ... n).map { start + (end - start) * Double($0) / Double(n) }
}

/// A C string, or nil for a null pointer.
func string(_ p: UnsafePointer<CChar>?) -> String? { p.map { String(cString: $0) } }

/// The ids of a comma-separated list (as `--variables`), empty entries left out.
func idList(_ p: UnsafePointer<CChar>?) -> [String]? {
    string(p).map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
}

/// A copy of `s` in memory the caller frees with `cascade_free` (malloc'd).
func cString(_ s: String) -> UnsafeMutablePointer<CChar> {
    let bytes = Array(s.utf8CString)
    let p = malloc(bytes.count)!.bindMemory(to: CChar.self, capacity: bytes.count)
    p.initialize(from: bytes, count: bytes.count)
    return p
}

/// Stores `value` at `out` when the caller gave a place for it.
func put<T>(_ value: T, _ out: UnsafeMutablePointer<T>?) { out?.pointee = value }

/// Runs one entry point: its status, and on failure the error as JSON in `*error`.
func call(_ errorOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ body: () throws -> Void) -> Int32 {
    errorOut?.pointee = nil
    do {
        try body()
        return Status.ok.rawValue
    } catch {
        let e = CallError(error)
        errorOut?.pointee = cString(e.json)
        return e.status.rawValue
    }
}
