import CascadeCore
import CascadeFormats
import CascadeSolver
import Foundation

// Entry points on models: load, describe, simulate, simulate many parameter sets on all cores.
// Declared for C in cascade.h beside this file.

/// The library's version (`cascade --version`), for `cascade_free`.
@_cdecl("cascade_version")
public func cascade_version() -> UnsafeMutablePointer<CChar> {
    cString(CascadeVersion.string)
}

/// A time as the command line's time options read it (`90`, `90 s`, `30 min`, `2 h`, `3 d`):
/// 0 and the seconds in `*seconds`, or 2 with the command line's message in `*error`.
@_cdecl("cascade_time_seconds")
public func cascade_time_seconds(
    _ text: UnsafePointer<CChar>?, _ seconds: UnsafeMutablePointer<Double>?,
    _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    call(error) {
        let t = string(text) ?? ""
        guard let s = Units.seconds(t) else {
            throw CallError.usage("'\(t)': not a time; write seconds or a number with a unit (90, 30 min, 2 h, 3 d)")
        }
        put(s, seconds)
    }
}

/// Frees a string or an array that an entry point returned.
@_cdecl("cascade_free")
public func cascade_free(_ p: UnsafeMutableRawPointer?) {
    free(p)
}

/// Loads a model from a file (`path`, .ant or .xml, as `cascade simulate` reads it) or from
/// text (`text`: SBML when it starts with `<`, Antimony otherwise; `name` names it in
/// messages), validates and compiles it. `*model` receives a handle for `cascade_model_free`.
@_cdecl("cascade_model_load")
public func cascade_model_load(
    _ path: UnsafePointer<CChar>?, _ text: UnsafePointer<CChar>?, _ name: UnsafePointer<CChar>?,
    _ model: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
    _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    call(error) {
        guard let model else { throw CallError.usage("cascade_model_load: no place for the model handle") }
        model.pointee = nil
        let m: Model
        let label: String
        if let path = string(path) {
            m = try ModelFile.load(path: path)
            label = path
        } else if let text = string(text) {
            label = string(name) ?? "<text>"
            if text.drop(while: \.isWhitespace).hasPrefix("<") {
                m = try SBML.read(string: text, path: label)
            } else {
                m = try Antimony.parse(text, path: label)
            }
            do { try m.validate() } catch let e as ModelErrors {
                throw ModelFileError(path: label, problems: e.errors.map(\.description))
            }
        } else {
            throw CallError.usage("cascade_model_load: give a path or a text")
        }
        let compiled = try compile(m, label: label)
        model.pointee = Unmanaged.passRetained(ModelHandle(model: m, compiled: compiled, name: label)).toOpaque()
    }
}

/// Releases a model handle (null is ignored).
@_cdecl("cascade_model_free")
public func cascade_model_free(_ model: UnsafeMutableRawPointer?) {
    guard let model else { return }
    Unmanaged<ModelHandle>.fromOpaque(model).release()
}

func handle(_ p: UnsafeMutableRawPointer?) throws -> ModelHandle {
    guard let p else { throw CallError.usage("no model handle (null)") }
    return Unmanaged<ModelHandle>.fromOpaque(p).takeUnretainedValue()
}

/// A JSON description of the model (what `cascade info` prints): id, name, compartments,
/// species, parameters, reactions, rules, events, the settable inputs, the state count,
/// conserved moieties and warnings.
@_cdecl("cascade_model_info")
public func cascade_model_info(
    _ model: UnsafeMutableRawPointer?, _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    call(error) {
        let h = try handle(model)
        put(cString(ModelInfo.json(h)), json)
    }
}

/// The columns `cascade_model_simulate` reports for `variables` and `amounts` (comma-separated
/// ids; null: every species, none as amounts), with the command's messages for unknown ids:
/// `*ids` receives their ids joined by newlines, `*count` how many there are.
@_cdecl("cascade_model_columns")
public func cascade_model_columns(
    _ model: UnsafeMutableRawPointer?, _ variables: UnsafePointer<CChar>?, _ amounts: UnsafePointer<CChar>?,
    _ ids: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ count: UnsafeMutablePointer<Int64>?,
    _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    call(error) {
        let h = try handle(model)
        let columns = try h.columns(variables, amounts)
        put(cString(columns.map(\.id).joined(separator: "\n")), ids)
        put(Int64(columns.count), count)
    }
}

/// Simulates like `cascade simulate`: `steps + 1` evenly spaced rows from `start` to `end`, or,
/// when `n_times` > 0, the rows at `times` (ascending, none before `start`); the columns of
/// `cascade_model_columns` for the same `variables` and `amounts`; `n_set` overrides
/// (`set_ids[i] = set_values[i]`, as `--set`). The rows go into the caller's `out`, row-major,
/// the time first and then one value per column: `out_size` must be rows × (columns + 1).
/// `*warnings` (optional) receives the warnings the command prints on standard error, one a
/// line, or null when there are none.
@_cdecl("cascade_model_simulate")
public func cascade_model_simulate(
    _ model: UnsafeMutableRawPointer?, _ start: Double, _ end: Double, _ steps: Int64,
    _ nTimes: Int64, _ times: UnsafePointer<Double>?,
    _ variables: UnsafePointer<CChar>?, _ amounts: UnsafePointer<CChar>?,
    _ nSet: Int64, _ setIds: UnsafePointer<UnsafePointer<CChar>?>?, _ setValues: UnsafePointer<Double>?,
    _ rtol: Double, _ atol: Double, _ maxSteps: Int64,
    _ out: UnsafeMutablePointer<Double>?, _ outSize: Int64,
    _ warnings: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    call(error) {
        warnings?.pointee = nil
        let h = try handle(model)
        let options = try solverOptions(rtol: rtol, atol: atol, maxSteps: maxSteps)
        let grid = try outputTimes(start: start, end: end, steps: steps, given: nTimes, times)
        let given = try overrides(nSet, setIds, setValues)
        try h.checkInputs(given.map(\.id))
        let inputs = Dictionary(given, uniquingKeysWith: { _, last in last })
        let outputs = try h.columns(variables, amounts)
        let traj = try simulate(h, times: grid, start: start, outputs: outputs, inputs: inputs, options: options)
        try copy(traj, into: out, size: outSize)
        // The warnings need a value below zero: a pass over the values first spares the full
        // check (~50 µs on 145 × 66 values) on the usual trajectory without one.
        if warnings != nil, traj.values.contains(where: { $0 < 0 }) {
            let negative = traj.negativeSpecies(h.model, options: options)
            if !negative.isEmpty { warnings?.pointee = cString(negative.map { "\(h.name): \($0)" }.joined(separator: "\n")) }
        }
    }
}

/// Simulates `n_sets` parameter sets on `threads` worker threads (0: every core) through
/// ParallelRunner, one simulator per thread. `values` holds `n_sets × n_ids` numbers, row by
/// row; a NaN keeps the model's own value of that id for that set. `out` receives `n_sets`
/// blocks laid out as `cascade_model_simulate`'s (`out_size` = n_sets × rows × (columns + 1)).
/// A failed set fails the call with the error of the lowest failing set, naming it.
@_cdecl("cascade_model_simulate_batch")
public func cascade_model_simulate_batch(
    _ model: UnsafeMutableRawPointer?, _ start: Double, _ end: Double, _ steps: Int64,
    _ nTimes: Int64, _ times: UnsafePointer<Double>?,
    _ variables: UnsafePointer<CChar>?, _ amounts: UnsafePointer<CChar>?,
    _ nSets: Int64, _ nIds: Int64, _ ids: UnsafePointer<UnsafePointer<CChar>?>?, _ setValues: UnsafePointer<Double>?,
    _ rtol: Double, _ atol: Double, _ maxSteps: Int64, _ threads: Int64,
    _ out: UnsafeMutablePointer<Double>?, _ outSize: Int64,
    _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    call(error) {
        let h = try handle(model)
        let options = try solverOptions(rtol: rtol, atol: atol, maxSteps: maxSteps)
        let grid = try outputTimes(start: start, end: end, steps: steps, given: nTimes, times)
        guard nSets >= 0, nIds >= 0 else { throw CallError.usage("negative count of parameter sets or ids") }
        guard nIds == 0 || (ids != nil && setValues != nil) else { throw CallError.usage("ids or values missing (null)") }
        var names: [String] = []
        for i in 0 ..< Int(nIds) {
            guard let p = ids![i] else { throw CallError.usage("parameter id \(i) is null") }
            names.append(String(cString: p))
        }
        try h.checkInputs(names)
        let inputIds = names
        let outputs = try h.columns(variables, amounts)
        let count = Int(nSets)
        let width = Int(nIds)
        let block = grid.count * (outputs.count + 1)
        guard let out, outSize == Int64(count * block) else {
            throw CallError.usage("the output buffer holds \(outSize) numbers, \(count * block) are needed")
        }
        let table = Array(UnsafeBufferPointer(start: setValues, count: count * width))
        let workers = try threadCount(threads)
        let compiled = h.compiled
        let name = h.name
        let results = ParallelRunner(threads: workers).run(count: count, worker: { try Simulator(compiled, options: options) }) { sim, i in
            var inputs: [String: Double] = [:]
            for (k, id) in inputIds.enumerated() where !table[i * width + k].isNaN { inputs[id] = table[i * width + k] }
            do {
                return try sim.simulate(times: grid, outputs: outputs, inputs: inputs, start: start)
            } catch let e as SimulationError {
                throw CallError("\(name): parameter set \(i): \(e.description)")
            }
        }
        for (i, r) in results.enumerated() {
            switch r {
            case .success(let traj): try copy(traj, into: out + i * block, size: Int64(block))
            case .failure(let e): throw e
            }
        }
    }
}

/// The overrides of `n` ids and values, in the order given (a repeated id keeps its last value,
/// as repeated `--set`).
func overrides(_ n: Int64, _ ids: UnsafePointer<UnsafePointer<CChar>?>?, _ values: UnsafePointer<Double>?) throws -> [(id: String, value: Double)] {
    guard n >= 0 else { throw CallError.usage("negative count of overrides") }
    guard n == 0 || (ids != nil && values != nil) else { throw CallError.usage("override ids or values missing (null)") }
    return try (0 ..< Int(n)).map { i in
        guard let p = ids![i] else { throw CallError.usage("override id \(i) is null") }
        return (String(cString: p), values![i])
    }
}

/// One simulation on a pooled simulator, its failures named as `cascade simulate` names them.
func simulate(
    _ h: ModelHandle, times: [Double], start: Double, outputs: [OutputColumn], inputs: [String: Double], options: SolverOptions
) throws -> Trajectory {
    do {
        return try h.withSimulator(options) { try $0.simulate(times: times, outputs: outputs, inputs: inputs, start: start) }
    } catch let e as SimulationError {
        throw CallError("\(h.name): \(e.description)")
    }
}

/// Writes the trajectory's rows, the time in front (`rows × (columns + 1)`, row-major), into
/// the caller's buffer of `size` numbers.
func copy(_ t: Trajectory, into out: UnsafeMutablePointer<Double>?, size: Int64) throws {
    let n = t.columns.count
    guard let out, size == Int64(t.rowCount * (n + 1)) else {
        throw CallError.usage("the output buffer holds \(size) numbers, \(t.rowCount * (n + 1)) are needed (rows × (columns + 1))")
    }
    t.values.withUnsafeBufferPointer { v in
        for r in 0 ..< t.rowCount {
            out[r * (n + 1)] = t.times[r]
            for c in 0 ..< n { out[r * (n + 1) + 1 + c] = v[r * n + c] }
        }
    }
}
