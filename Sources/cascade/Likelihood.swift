import ArgumentParser
import CascadeFormats
import CascadePEtab
import CascadeSolver
import Foundation

struct Likelihood: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "likelihood",
        abstract: "The PEtab log-likelihood of a problem at its nominal parameters (or a table's), with its gradient.",
        discussion: """
            PROBLEM is a PEtab version 1 problem file (YAML). The log-likelihood is the PEtab specification's: \
            normal or Laplace noise on the observable's lin, log or log10 scale, including the density's \
            transformation term. With --parameters, the estimated parameters take the nominalValue column \
            (linear scale) of TABLE, a PEtab parameter table; parameters it does not list keep the problem's \
            values. --gradient adds ∂llh/∂θ for each estimated parameter θ on its parameterScale, from forward \
            sensitivities (CVODES).

            JSON: {"llh": x, "chi2": x, "gradient": {"<parameterId>": x}}.

            Example:
              cascade likelihood Boehm_JProteomeRes2014/Boehm_JProteomeRes2014.yaml \\
                --gradient --format json
            """)

    @Argument(help: "The PEtab problem file (.yaml).") var problem: String
    @Option(help: ArgumentHelp("A PEtab parameter table whose nominalValue column gives the parameter values.", valueName: "file"))
    var parameters: String?
    @Flag(help: "Also compute the gradient with respect to the estimated parameters.") var gradient = false
    @Flag(
        name: .customLong("check-gradient"),
        help: "Compare the gradient with central differences (step --step) and print both with the largest relative error.")
    var checkGradient = false
    @Option(help: "Step of --check-gradient's central differences, on the parameters' scales.") var step: Double = 1e-4
    @Option(
        name: .customLong("check-count"),
        help: "With --check-gradient, check only this many parameters, evenly spread (for large problems).")
    var checkCount: Int?
    @Option(
        name: .customLong("check-seed"),
        help: "With --check-count, check a random choice of parameters drawn with this seed instead of evenly spread ones.")
    var checkSeed: UInt64?
    @Option(
        name: .customLong("check-directions"),
        help: ArgumentHelp(
            "With --check-gradient, compare ∇llh·v with central differences along K random directions v (entries ±1, seeded by --check-seed, default 0) instead of per parameter: two simulations per direction, for problems with many parameters.",
            valueName: "K"))
    var checkDirections: Int?
    @Flag(
        name: .customLong("check-relative"),
        help:
            "With --check-directions, move each lin-scale parameter by the step times its value (log-scale ones by the step on their scale): for lin-scale parameters far from 1, such as scaling factors of 1e-11, which an absolute step of 1e-4 would change a million-fold."
    )
    var checkRelative = false
    @Option(
        help: ArgumentHelp(
            "Evaluate N more times after the first (the model already compiled, simulators warm) and report the median seconds per evaluation, as scripts/bench does.",
            valueName: "N"))
    var `repeat`: Int = 0
    @Flag(
        name: .customLong("stock-kernels"),
        help: "Use SUNDIALS' stock vector, matrix and linear-solver operations instead of Cascade's optimised ones (for comparisons).")
    var stockKernels = false
    @OptionGroup(title: "Output") var output: FormattedOutput<LikelihoodFormat>
    @OptionGroup(title: "Solver") var solver: SolverFlags<LikelihoodSolverDefaults>
    @OptionGroup(title: "Threads") var threads: ThreadsOption

    func validate() throws {
        guard step > 0, step.isFinite else { throw ValidationError("--step must be positive") }
        if let c = checkCount, c < 1 { throw ValidationError("--check-count must be positive") }
        guard self.repeat >= 0 else { throw ValidationError("--repeat must not be negative") }
        if let k = checkDirections, k < 1 { throw ValidationError("--check-directions must be positive") }
        if checkDirections != nil && checkCount != nil { throw ValidationError("--check-directions and --check-count exclude each other") }
        if checkRelative && checkDirections == nil { throw ValidationError("--check-relative needs --check-directions") }
        if (checkDirections != nil || checkCount != nil || checkSeed != nil) && !checkGradient {
            throw ValidationError("--check-count, --check-seed and --check-directions need --check-gradient")
        }
    }

    func run() throws {
        let url = URL(fileURLWithPath: problem)
        guard FileManager.default.fileExists(atPath: url.path) else { throw Failure("\(problem): no such file") }
        var options = solver.options()
        if stockKernels { options.kernels = .stock }
        let objective = try PEtabObjective(contentsOf: url, options: options)
        var theta = objective.nominalParameters
        if let path = parameters {
            guard FileManager.default.fileExists(atPath: path) else { throw Failure("\(path): no such file") }
            theta = try objective.parameters(fromTable: URL(fileURLWithPath: path))
        }
        let e = try objective.evaluate(parameters: theta, gradient: gradient || checkGradient, threads: threads.count)
        var median: Double?
        var medianCPU: Double?
        if self.repeat > 0 {
            let clock = ContinuousClock()
            var samples: [Double] = []
            var cpuSamples: [Double] = []
            for _ in 0 ..< self.repeat {
                let cpu = Self.processCPUSeconds()
                let start = clock.now
                _ = try objective.evaluate(parameters: theta, gradient: gradient, threads: threads.count)
                let d = (clock.now - start).components
                samples.append(Double(d.seconds) + Double(d.attoseconds) * 1e-18)
                cpuSamples.append(Self.processCPUSeconds() - cpu)
            }
            samples.sort()
            cpuSamples.sort()
            median = samples[samples.count / 2]
            medianCPU = cpuSamples[cpuSamples.count / 2]
        }
        if checkGradient, let g = e.gradient, let k = checkDirections {
            var directions = PEtabObjective.randomDirections(count: k, dimension: g.count, seed: checkSeed ?? 0)
            if checkRelative { directions = objective.relativeDirections(directions, parameters: theta) }
            var text = "direction\tsensitivities\tcentral_differences\trelative_error\n"
            var worst = 0.0, at = 0
            for (d, v) in directions.enumerated() {
                let fd = try objective.directionalDifference(parameters: theta, direction: v, step: step, threads: threads.count)
                let error = PEtabObjective.directionalError(gradient: g, direction: v, difference: fd)
                if error > worst || error.isNaN { worst = error; at = d }
                let dot = zip(g, v).reduce(0) { $0 + $1.0 * $1.1 }
                text += "\(d)\t\(fmt(dot))\t\(fmt(fd))\t\(String(format: "%.3g", error))\n"
            }
            text += "max relative error\t\(String(format: "%.3g", worst))\t(direction \(at))\n"
            try output.write(text)
            return
        }
        if checkGradient, let g = e.gradient {
            let np = objective.parameterIds.count
            let count = min(np, checkCount ?? np)
            let checked =
                if let seed = checkSeed { PEtabObjective.randomSubset(count: count, of: np, seed: seed) } else {
                    count == 0 ? [] : (0 ..< count).map { $0 * np / count }
                }
            let fd = try objective.finiteDifferenceGradient(parameters: theta, step: step, only: checked, threads: threads.count)
            let (worst, at) = PEtabObjective.gradientError(checked.map { g[$0] }, checked.map { fd[$0] })
            var text = "parameter\tsensitivities\tcentral_differences\n"
            for i in checked { text += "\(objective.parameterIds[i])\t\(fmt(g[i]))\t\(fmt(fd[i]))\n" }
            text += "max relative error\t\(String(format: "%.3g", worst))\t(\(checked.isEmpty ? "-" : objective.parameterIds[checked[at]]))\n"
            try output.write(text)
            return
        }
        var text = ""
        if output.format == .json {
            var parts = ["\"llh\": \(json(e.llh))", "\"chi2\": \(json(e.chi2))"]
            if let g = e.gradient {
                let entries = zip(objective.parameterIds, g).map { "\"\(escape($0))\": \(json($1))" }
                parts.append("\"gradient\": {" + entries.joined(separator: ", ") + "}")
            }
            if let median { parts.append("\"median_s\": \(json(median))") }
            if let medianCPU { parts.append("\"median_cpu_s\": \(json(medianCPU))") }
            text = "{" + parts.joined(separator: ", ") + "}\n"
        } else {
            text = "llh\t\(fmt(e.llh))\nchi2\t\(fmt(e.chi2))\nmeasurements\t\(objective.measurementCount)\n"
            if let median { text += "median seconds per evaluation\t\(String(format: "%.6g", median))\n" }
            if let medianCPU { text += "median CPU seconds per evaluation\t\(String(format: "%.6g", medianCPU))\n" }
            if let g = e.gradient {
                text += "\nparameter\tscale\tvalue\tgradient\n"
                for (i, id) in objective.parameterIds.enumerated() {
                    text += "\(id)\t\(objective.scales[i].rawValue)\t\(fmt(theta[i]))\t\(fmt(g[i]))\n"
                }
            }
        }
        try output.write(text)
    }

    /// CPU time of the whole process (every thread), for timings on a machine shared with other
    /// work, where wall time also counts the time spent waiting for a core.
    private static func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    private func fmt(_ x: Double) -> String { String(format: "%.12g", x) }
    private func json(_ x: Double) -> String { x.isFinite ? String(format: "%.17g", x) : "null" }
    private func escape(_ s: String) -> String { s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") }
}
