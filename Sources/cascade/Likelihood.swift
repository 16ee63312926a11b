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
    @OptionGroup(title: "Output") var output: FormattedOutput<LikelihoodFormat>
    @OptionGroup(title: "Solver") var solver: SolverFlags<LikelihoodSolverDefaults>
    @OptionGroup(title: "Threads") var threads: ThreadsOption

    func validate() throws {
        guard step > 0, step.isFinite else { throw ValidationError("--step must be positive") }
        if let c = checkCount, c < 1 { throw ValidationError("--check-count must be positive") }
    }

    func run() throws {
        let url = URL(fileURLWithPath: problem)
        guard FileManager.default.fileExists(atPath: url.path) else { throw Failure("\(problem): no such file") }
        let options = solver.options()
        let objective = try PEtabObjective(contentsOf: url, options: options)
        var theta = objective.nominalParameters
        if let path = parameters {
            guard FileManager.default.fileExists(atPath: path) else { throw Failure("\(path): no such file") }
            theta = try objective.parameters(fromTable: URL(fileURLWithPath: path))
        }
        let e = try objective.evaluate(parameters: theta, gradient: gradient || checkGradient, threads: threads.count)
        if checkGradient, let g = e.gradient {
            let np = objective.parameterIds.count
            let count = min(np, checkCount ?? np)
            let checked = count == 0 ? [] : (0 ..< count).map { $0 * np / count }
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
            text = "{" + parts.joined(separator: ", ") + "}\n"
        } else {
            text = "llh\t\(fmt(e.llh))\nchi2\t\(fmt(e.chi2))\nmeasurements\t\(objective.measurementCount)\n"
            if let g = e.gradient {
                text += "\nparameter\tscale\tvalue\tgradient\n"
                for (i, id) in objective.parameterIds.enumerated() {
                    text += "\(id)\t\(objective.scales[i].rawValue)\t\(fmt(theta[i]))\t\(fmt(g[i]))\n"
                }
            }
        }
        try output.write(text)
    }

    private func fmt(_ x: Double) -> String { String(format: "%.12g", x) }
    private func json(_ x: Double) -> String { x.isFinite ? String(format: "%.17g", x) : "null" }
    private func escape(_ s: String) -> String { s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") }
}
