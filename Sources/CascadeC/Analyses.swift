import CascadeCore
import CascadeEstimation
import CascadeExperiments
import CascadeFormats
import CascadePEtab
import CascadeReports
import CascadeSolver
import Foundation

// Entry points on experiment files and PEtab problems: the knockout screen, sweeps, PEtab
// simulation, the likelihood and its gradient, multi-start fits. Each runs what the command of
// the same name runs and returns what it writes.

/// Throws the command line's message unless `path` names an existing file.
func requireFile(_ path: String) throws {
    guard FileManager.default.fileExists(atPath: path) else { throw CallError("\(path): no such file") }
}

/// `cascade knockouts EXPERIMENT --format json`: `*json` receives the screen's JSON. Thresholds
/// that are NaN keep the experiment's (`--minimum-fold`, `--retained-changed`,
/// `--retained-blocked`); `threads` 0 uses every core.
@_cdecl("cascade_knockouts")
public func cascade_knockouts(
    _ experiment: UnsafePointer<CChar>?, _ minimumFold: Double, _ retainedChanged: Double, _ retainedBlocked: Double,
    _ threads: Int64, _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    call(error) {
        guard let path = string(experiment) else { throw CallError.usage("cascade_knockouts: no experiment path (null)") }
        if !minimumFold.isNaN, !(minimumFold > 1) { throw CallError.usage("--minimum-fold must be above 1") }
        let workers = try threadCount(threads)
        try requireFile(path)
        var e = try Experiment.load(URL(fileURLWithPath: path))
        if !minimumFold.isNaN { e.setUniformMinimumFold(minimumFold) }
        if !retainedChanged.isNaN { e.thresholds.retainedChanged = retainedChanged }
        if !retainedBlocked.isNaN { e.thresholds.retainedBlocked = retainedBlocked }
        guard e.thresholds.retainedBlocked < e.thresholds.retainedChanged else {
            throw CallError("--retained-blocked must be below --retained-changed")
        }
        let result = try KnockoutScreen.run(e, threads: workers)
        put(cString(result.json()), json)
    }
}

/// `cascade sweep EXPERIMENT --output FILE [--fold-changes FILE2]`: `*csv` receives FILE's text,
/// `*metadata` FILE.meta.json's, and with `fold_changes` non-zero `*fold_csv` FILE2's (else null).
/// The files are written to a temporary folder and removed. When every simulation failed the
/// call fails, as the command does.
@_cdecl("cascade_sweep")
public func cascade_sweep(
    _ experiment: UnsafePointer<CChar>?, _ threads: Int64, _ foldChanges: Int32,
    _ csv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ foldCSV: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ metadata: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    call(error) {
        guard let path = string(experiment) else { throw CallError.usage("cascade_sweep: no experiment path (null)") }
        let workers = try threadCount(threads)
        try requireFile(path)
        let e = try Experiment.load(URL(fileURLWithPath: path))
        let plan = try e.sweepPlan()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cascade-sweep-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("sweep.csv")
        let summary = try SweepRunner.run(plan, output: output, threads: workers)
        let text = try String(contentsOf: output, encoding: .utf8)
        if summary.failed > 0, summary.completed == 0 {
            throw CallError(
                String(format: "every one of the %d simulations failed (%.2f s)", summary.failed, summary.seconds)
                    + "; the first reason: " + firstFailure(text))
        }
        put(cString(text), csv)
        put(cString(metadataJSON(e.sweepMetadata(options: plan.options))), metadata)
        put(foldChanges != 0 ? cString(try SweepEffects.from(csv: text, experiment: e).csv()) : nil, foldCSV)
    }
}

/// The status of the first failed row of a sweep's CSV.
func firstFailure(_ csv: String) -> String {
    for line in csv.split(separator: "\n") {
        if let r = line.range(of: "failed: ") { return String(line[r.lowerBound...]) }
    }
    return "unknown"
}

/// `cascade petab PROBLEM`: `*tsv` receives the PEtab simulation table.
@_cdecl("cascade_petab_simulate")
public func cascade_petab_simulate(
    _ problem: UnsafePointer<CChar>?, _ rtol: Double, _ atol: Double, _ maxSteps: Int64, _ threads: Int64,
    _ tsv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    call(error) {
        guard let path = string(problem) else { throw CallError.usage("cascade_petab_simulate: no problem path (null)") }
        let options = try solverOptions(rtol: rtol, atol: atol, maxSteps: maxSteps)
        let workers = try threadCount(threads)
        let petab = try ModelFile.loadPEtab(path: path)
        let plan = try PEtabSimulationPlan(petab)
        let compiled = try compile(plan.model, label: path)
        let result = try plan.simulate(compiled, options: options, threads: workers)
        put(cString(result.table.text), tsv)
    }
}

/// Opens a PEtab problem for likelihood evaluations (`cascade likelihood`'s settings come from
/// the arguments). `*problem` receives a handle for `cascade_problem_free`; `*json` (optional)
/// `{"parameters": [{"id", "scale", "lower", "upper", "nominal"}], "measurements": n}`, bounds
/// and nominal values on the parameters' scales.
@_cdecl("cascade_problem_load")
public func cascade_problem_load(
    _ path: UnsafePointer<CChar>?, _ rtol: Double, _ atol: Double, _ maxSteps: Int64,
    _ problem: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    call(error) {
        guard let path = string(path) else { throw CallError.usage("cascade_problem_load: no problem path (null)") }
        guard let problem else { throw CallError.usage("cascade_problem_load: no place for the problem handle") }
        problem.pointee = nil
        let options = try solverOptions(rtol: rtol, atol: atol, maxSteps: maxSteps)
        try requireFile(path)
        let objective = try PEtabObjective(contentsOf: URL(fileURLWithPath: path), options: options)
        func number(_ v: Double) -> String { v.isFinite ? String(format: "%.17g", v) : "null" }
        let parameters = objective.parameterIds.indices.map { i in
            "{\"id\": \"\(jsonEscape(objective.parameterIds[i]))\", \"scale\": \"\(objective.scales[i].rawValue)\", "
                + "\"lower\": \(number(objective.lowerBounds[i])), \"upper\": \(number(objective.upperBounds[i])), "
                + "\"nominal\": \(number(objective.nominalParameters[i]))}"
        }
        put(cString("{\"parameters\": [" + parameters.joined(separator: ", ") + "], \"measurements\": \(objective.measurementCount)}"), json)
        problem.pointee = Unmanaged.passRetained(ProblemHandle(objective)).toOpaque()
    }
}

/// Releases a problem handle (null is ignored).
@_cdecl("cascade_problem_free")
public func cascade_problem_free(_ problem: UnsafeMutableRawPointer?) {
    guard let problem else { return }
    Unmanaged<ProblemHandle>.fromOpaque(problem).release()
}

/// The log-likelihood (and chi²) at `theta` — null: the problem's nominal values; else one
/// number per estimated parameter in the order of `cascade_problem_load`'s list, on the
/// parameters' scales, or on the linear scale when `linear` is non-zero (as a parameter
/// table's nominalValue column; NaN keeps the nominal value) — or at the nominalValue column of the parameter table `table`
/// (`cascade likelihood --parameters TABLE`). With `gradient` non-zero, `gradient_out` (one
/// number per estimated parameter) receives ∂llh/∂θ on the parameters' scales.
@_cdecl("cascade_problem_likelihood")
public func cascade_problem_likelihood(
    _ problem: UnsafeMutableRawPointer?, _ theta: UnsafePointer<Double>?, _ linear: Int32, _ table: UnsafePointer<CChar>?,
    _ gradient: Int32, _ threads: Int64,
    _ llh: UnsafeMutablePointer<Double>?, _ chi2: UnsafeMutablePointer<Double>?, _ gradientOut: UnsafeMutablePointer<Double>?,
    _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    call(error) {
        guard let problem else { throw CallError.usage("no problem handle (null)") }
        let objective = Unmanaged<ProblemHandle>.fromOpaque(problem).takeUnretainedValue().objective
        let workers = try threadCount(threads)
        let n = objective.parameterIds.count
        var x = objective.nominalParameters
        if let table = string(table) {
            try requireFile(table)
            x = try objective.parameters(fromTable: URL(fileURLWithPath: table))
        } else if let theta {
            let given = Array(UnsafeBufferPointer(start: theta, count: n))
            for i in 0 ..< n where !given[i].isNaN {
                x[i] = given[i]
                if linear != 0 {
                    if objective.scales[i] != .lin && !(x[i] > 0) {
                        throw CallError(
                            "parameter '\(objective.parameterIds[i])' is on a \(objective.scales[i].rawValue) scale, so its value must be positive (it is \(formatNumber(x[i])))"
                        )
                    }
                    x[i] = ParameterSpace.toScale(x[i], objective.scales[i])
                }
            }
        }
        let e = try objective.evaluate(parameters: x, gradient: gradient != 0, threads: workers)
        put(e.llh, llh)
        put(e.chi2, chi2)
        if let g = e.gradient, let gradientOut {
            for i in 0 ..< n { gradientOut[i] = g[i] }
        }
    }
}

/// `cascade fit PROBLEM`: a multi-start fit. `*json` receives `{"summary": <fit.json>,
/// "starts": <starts.tsv>, "parameters": <parameters.tsv>}`; with `output` (a folder) the
/// command's files are written there too (report.html unless `report` is zero).
@_cdecl("cascade_fit")
public func cascade_fit(
    _ problem: UnsafePointer<CChar>?, _ starts: Int64, _ seed: UInt64, _ threads: Int64, _ maxIterations: Int64,
    _ bfgs: Int32, _ hybrid: Int64, _ ftol: Double, _ gtol: Double,
    _ rtol: Double, _ atol: Double, _ maxSteps: Int64, _ output: UnsafePointer<CChar>?, _ report: Int32,
    _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    call(error) {
        guard let path = string(problem) else { throw CallError.usage("cascade_fit: no problem path (null)") }
        guard starts > 0 else { throw CallError.usage("--starts must be positive") }
        guard maxIterations > 0 else { throw CallError.usage("--max-iterations must be positive") }
        var settings = FitSettings()
        settings.starts = Int(starts)
        settings.seed = seed
        settings.threads = try threadCount(threads)
        settings.solver = try solverOptions(rtol: rtol, atol: atol, maxSteps: maxSteps)
        settings.optimizer.maxIterations = Int(maxIterations)
        settings.optimizer.bfgs = bfgs != 0
        settings.optimizer.hybridSwitch = hybrid > 0 ? Int(hybrid) : nil
        settings.optimizer.absoluteTolerance = ftol
        settings.optimizer.relativeTolerance = ftol
        settings.optimizer.gradientTolerance = gtol
        let url = URL(fileURLWithPath: path)
        try requireFile(path)
        let estimation = try EstimationProblem(contentsOf: url, options: settings.solver)
        let outcome = try Fitting.run(estimation, settings: settings)
        if let dir = string(output) {
            let directory = URL(fileURLWithPath: dir)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                throw CallError("\(dir): exists and is not a directory")
            }
            try Fitting.write(outcome, problem: estimation, to: directory)
            if report != 0 {
                let point = outcome.best?.x
                let curves = point.flatMap { try? estimation.curves($0, options: settings.solver) } ?? []
                let html = FitReport.html(
                    FitReport.Input(
                        title: "Fit of " + url.deletingPathExtension().lastPathComponent, space: estimation.space,
                        results: outcome.results, summary: outcome.summary, curves: curves, profiles: []))
                try html.write(to: directory.appendingPathComponent("report.html"), atomically: true, encoding: .utf8)
            }
        }
        let summary = try FitFiles.json(outcome.summary)
        let startsTable = FitFiles.startsTable(outcome.results, space: outcome.space)
        let parameters = FitFiles.parameterTable(estimation.problem.parameters, best: outcome.best, space: outcome.space)
        put(
            cString(
                "{\"summary\": \(summary), \"starts\": \"\(jsonEscape(startsTable))\", \"parameters\": \"\(jsonEscape(parameters))\"}"),
            json)
    }
}
