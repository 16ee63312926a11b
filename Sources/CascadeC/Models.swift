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
        let compiled: CompiledModel
        do {
            compiled = try CompiledModel(m)
        } catch let e as ModelErrors {
            throw CallError(e.errors.map { "\(label): \($0.description)" }.joined(separator: "\n"))
        } catch let e as CompileError {
            throw CallError("\(label): \(e.description)")
        } catch let e as SimulationError {
            throw CallError("\(label): \(e.description)")
        }
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

/// Simulates like `cascade simulate`: `steps + 1` evenly spaced rows from `start` to `end`;
/// `variables` and `amounts` are comma-separated ids (null: every species, none as amounts);
/// `n_set` overrides (`ids[i] = values[i]`, as `--set`). On success `*values` holds the rows
/// (time first, then one value per column; row-major, `*rows × (*columns + 1)` doubles),
/// `*column_ids` the column ids joined by newlines, and `*warnings` the warnings the command
/// line prints on standard error (newline-separated; null when there are none). Each of them is
/// freed with `cascade_free`.
@_cdecl("cascade_model_simulate")
public func cascade_model_simulate(
    _ model: UnsafeMutableRawPointer?, _ start: Double, _ end: Double, _ steps: Int64,
    _ variables: UnsafePointer<CChar>?, _ amounts: UnsafePointer<CChar>?,
    _ nSet: Int64, _ setIds: UnsafePointer<UnsafePointer<CChar>?>?, _ setValues: UnsafePointer<Double>?,
    _ rtol: Double, _ atol: Double, _ maxSteps: Int64,
    _ columnIds: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ values: UnsafeMutablePointer<UnsafeMutablePointer<Double>?>?,
    _ rows: UnsafeMutablePointer<Int64>?, _ columns: UnsafeMutablePointer<Int64>?,
    _ warnings: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    call(error) {
        let h = try handle(model)
        let options = try solverOptions(rtol: rtol, atol: atol, maxSteps: maxSteps)
        let times = try outputTimes(start: start, end: end, steps: steps)
        let inputs = try overrides(nSet, setIds, setValues)
        try h.checkInputs(inputs.keys.sorted())
        let outputs = try h.columns(variables: idList(variables), amounts: idList(amounts) ?? [])
        let traj = try simulate(h, times: times, outputs: outputs, inputs: inputs, options: options)
        put(cString(outputs.map(\.id).joined(separator: "\n")), columnIds)
        put(doubles(withTimes(traj)), values)
        put(Int64(traj.rowCount), rows)
        put(Int64(outputs.count), columns)
        let negative = traj.negativeSpecies(h.model, options: options)
        put(negative.isEmpty ? nil : cString(negative.map { "\(h.name): \($0)" }.joined(separator: "\n")), warnings)
    }
}

/// Simulates `n_sets` parameter sets on `threads` worker threads (0: every core) through
/// ParallelRunner, one simulator per thread. `values` holds `n_sets × n_ids` numbers, row by
/// row; a NaN keeps the model's own value of that id for that set. On success `*out` holds
/// `n_sets` blocks of `*rows × (*columns + 1)` doubles, each laid out as for
/// `cascade_model_simulate`. A failed set fails the call with the error of the lowest failing
/// set, naming it.
@_cdecl("cascade_model_simulate_batch")
public func cascade_model_simulate_batch(
    _ model: UnsafeMutableRawPointer?, _ start: Double, _ end: Double, _ steps: Int64,
    _ variables: UnsafePointer<CChar>?, _ amounts: UnsafePointer<CChar>?,
    _ nSets: Int64, _ nIds: Int64, _ ids: UnsafePointer<UnsafePointer<CChar>?>?, _ setValues: UnsafePointer<Double>?,
    _ rtol: Double, _ atol: Double, _ maxSteps: Int64, _ threads: Int64,
    _ columnIds: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<Double>?>?,
    _ rows: UnsafeMutablePointer<Int64>?, _ columns: UnsafeMutablePointer<Int64>?,
    _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    call(error) {
        let h = try handle(model)
        let options = try solverOptions(rtol: rtol, atol: atol, maxSteps: maxSteps)
        let times = try outputTimes(start: start, end: end, steps: steps)
        guard nSets >= 0, nIds >= 0 else { throw CallError.usage("negative count of parameter sets or ids") }
        guard nIds == 0 || (ids != nil && setValues != nil) else { throw CallError.usage("ids or values missing (null)") }
        var names: [String] = []
        for i in 0 ..< Int(nIds) {
            guard let p = ids![i] else { throw CallError.usage("parameter id \(i) is null") }
            names.append(String(cString: p))
        }
        try h.checkInputs(names)
        let inputIds = names
        let outputs = try h.columns(variables: idList(variables), amounts: idList(amounts) ?? [])
        let count = Int(nSets)
        let width = Int(nIds)
        let table = Array(UnsafeBufferPointer(start: setValues, count: count * width))
        let workers = try threadCount(threads)
        let compiled = h.compiled
        let results = ParallelRunner(threads: workers).run(count: count, worker: { try Simulator(compiled, options: options) }) { sim, i in
            var inputs: [String: Double] = [:]
            for (k, id) in inputIds.enumerated() where !table[i * width + k].isNaN { inputs[id] = table[i * width + k] }
            do {
                return try sim.simulate(times: times, outputs: outputs, inputs: inputs, start: times[0])
            } catch let e as SimulationError {
                throw CallError("\(h.name): parameter set \(i): \(e.description)")
            }
        }
        var all: [Double] = []
        all.reserveCapacity(count * times.count * (outputs.count + 1))
        for r in results {
            switch r {
            case .success(let traj): all += withTimes(traj)
            case .failure(let e): throw e
            }
        }
        put(cString(outputs.map(\.id).joined(separator: "\n")), columnIds)
        put(doubles(all), out)
        put(Int64(times.count), rows)
        put(Int64(outputs.count), columns)
    }
}

/// The overrides of `n` ids and values, as a dictionary (a repeated id keeps its last value, as
/// repeated `--set`).
func overrides(_ n: Int64, _ ids: UnsafePointer<UnsafePointer<CChar>?>?, _ values: UnsafePointer<Double>?) throws -> [String: Double] {
    guard n >= 0 else { throw CallError.usage("negative count of overrides") }
    guard n == 0 || (ids != nil && values != nil) else { throw CallError.usage("override ids or values missing (null)") }
    var inputs: [String: Double] = [:]
    for i in 0 ..< Int(n) {
        guard let p = ids![i] else { throw CallError.usage("override id \(i) is null") }
        inputs[String(cString: p)] = values![i]
    }
    return inputs
}

/// One simulation on a pooled simulator, its failures named as `cascade simulate` names them.
func simulate(_ h: ModelHandle, times: [Double], outputs: [OutputColumn], inputs: [String: Double], options: SolverOptions) throws
    -> Trajectory
{
    do {
        return try h.withSimulator(options) { try $0.simulate(times: times, outputs: outputs, inputs: inputs, start: times[0]) }
    } catch let e as SimulationError {
        throw CallError("\(h.name): \(e.description)")
    }
}

/// The trajectory's rows with the time in front: `rows × (columns + 1)`, row-major.
func withTimes(_ t: Trajectory) -> [Double] {
    let n = t.columns.count
    var out = [Double](repeating: 0, count: t.rowCount * (n + 1))
    t.values.withUnsafeBufferPointer { v in
        out.withUnsafeMutableBufferPointer { o in
            for r in 0 ..< t.rowCount {
                o[r * (n + 1)] = t.times[r]
                for c in 0 ..< n { o[r * (n + 1) + 1 + c] = v[r * n + c] }
            }
        }
    }
    return out
}
