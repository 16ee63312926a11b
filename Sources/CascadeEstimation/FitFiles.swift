import CascadeFormats
import Foundation

/// A fit's files (`cascade fit --output DIR`): starts.tsv, fit.json, parameters.tsv and the
/// checkpoint that `--resume` continues from.
public enum FitFiles {
    public static let startsFile = "starts.tsv"
    public static let summaryFile = "fit.json"
    public static let parametersFile = "parameters.tsv"
    public static let checkpointFile = "starts.partial.tsv"

    /// Two log-likelihoods this close count as the same optimum (waterfall plateaus, `at_best`).
    public static let sameOptimum = 0.1

    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        return String(format: "%.17g", v)
    }

    /// One row of starts.tsv: parameters on the linear scale.
    public static func row(_ r: StartResult, space: ParameterSpace) -> String {
        ([
            String(r.index), number(-r.value), String(r.iterations), String(r.evaluations), String(format: "%.3f", r.seconds),
            r.exit.rawValue,
        ] + r.linearValues(space).map(number)).joined(separator: "\t")
    }

    /// The checkpoint's record of a start moved to a replacement point (a comment line before the
    /// start's row, so that tables without it read the same), or nil when it was not moved.
    public static func resampleNote(_ r: StartResult) -> String? {
        guard let n = r.resamples, n > 0 else { return nil }
        return "# resampled \(r.index) \(n)"
    }

    public static func header(_ space: ParameterSpace) -> String {
        (["start", "llh", "iterations", "evaluations", "seconds", "exit"] + space.ids).joined(separator: "\t")
    }

    /// Results ordered best first (highest llh), ties and NaN by start index.
    public static func ordered(_ results: [StartResult]) -> [StartResult] {
        results.sorted { a, b in
            let va = a.value.isNaN ? Double.infinity : a.value, vb = b.value.isNaN ? Double.infinity : b.value
            return va != vb ? va < vb : a.index < b.index
        }
    }

    public static func startsTable(_ results: [StartResult], space: ParameterSpace) -> String {
        ([header(space)] + ordered(results).map { row($0, space: space) }).joined(separator: "\n") + "\n"
    }

    /// Reads starts.tsv (or the checkpoint's rows) back; `file` names it in errors.
    public static func readStarts(_ text: String, space: ParameterSpace, file: String) throws -> [StartResult] {
        var out: [StartResult] = []
        var lineNumber = 0
        var sawHeader = false
        var resamples: [Int: Int] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.hasPrefix("# resampled ") {
                let f = line.split(separator: " ")
                if f.count == 4, let k = Int(f[2]), let n = Int(f[3]) { resamples[k] = n }
                continue
            }
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            if !sawHeader {
                guard fields == header(space).split(separator: "\t").map(String.init) else {
                    throw PEtabError(
                        file: file, line: lineNumber,
                        "the columns do not match this problem's estimated parameters (expected: \(header(space).replacingOccurrences(of: "\t", with: ", ")))")
                }
                sawHeader = true
                continue
            }
            guard fields.count == 6 + space.dimension, let index = Int(fields[0]), let iterations = Int(fields[2]),
                let evaluations = Int(fields[3]), let seconds = Double(fields[4]), let exit = ExitReason(rawValue: fields[5])
            else { throw PEtabError(file: file, line: lineNumber, "malformed row") }
            var x: [Double] = [], linear: [Double] = []
            for (k, f) in fields[6...].enumerated() {
                guard let v = PEtabNumber.parse(f) else {
                    throw PEtabError(file: file, line: lineNumber, column: space.ids[k], "'\(f)' is not a number")
                }
                linear.append(v)
                x.append(ParameterSpace.toScale(v, space.scales[k]))
            }
            guard let llh = PEtabNumber.parse(fields[1]) else {
                throw PEtabError(file: file, line: lineNumber, column: "llh", "'\(fields[1])' is not a number")
            }
            var r = StartResult(
                index: index, x: x, value: -llh, iterations: iterations, evaluations: evaluations,
                seconds: seconds, exit: exit)
            r.linear = linear
            out.append(r)
        }
        if !resamples.isEmpty { for i in out.indices { out[i].resamples = resamples[out[i].index] ?? 0 } }
        return out
    }

    /// The parameter table with the best values as nominalValue (linear scale).
    public static func parameterTable(_ parameters: [PEtabParameter], best: StartResult?, space: ParameterSpace) -> String {
        var lines = ["parameterId\tparameterName\tparameterScale\tlowerBound\tupperBound\tnominalValue\testimate"]
        let position = Dictionary(uniqueKeysWithValues: space.ids.enumerated().map { ($1, $0) })
        let linear = best.map { $0.linearValues(space) }
        for p in parameters {
            var value = p.nominalValue
            if let k = position[p.id], let linear { value = linear[k] }
            lines.append(
                [
                    p.id, p.name ?? "", p.scale.rawValue, p.lowerBound.map(number) ?? "", p.upperBound.map(number) ?? "",
                    number(value), p.estimate ? "1" : "0",
                ].joined(separator: "\t"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The summary of a fit: fit.json.
    public struct Summary: Codable, Sendable, Equatable {
        public var best_llh: Double?
        public var starts: Int
        /// Starts whose optimiser stopped on a convergence criterion.
        public var converged: Int
        /// Starts within `sameOptimum` of the best llh.
        public var at_best: Int
        public var seconds: Double
        public var problem: String
        public var seed: UInt64
        /// The fit's total number of starts (all shards).
        public var total_starts: Int
        public var shard: String?
        public var fingerprint: String
        public var best_start: Int?
        /// The llh at the parameter table's nominal values (for published problems, the
        /// published optimum), when every nominal value lies within its bounds' scale.
        public var nominal_llh: Double?
        public var parameters: [String: Double]
        /// Starts moved to a replacement point because the objective was not finite at their
        /// sampled one: start index → replacement points drawn (`--resample-attempts` when none
        /// was usable). Absent when not recorded.
        public var resamples: [String: Int]?
    }

    public static func summary(
        _ results: [StartResult], space: ParameterSpace, seconds: Double, problem: String,
        seed: UInt64, totalStarts: Int, shard: String?, fingerprint: String,
        nominalLLH: Double?, resamples: [String: Int]? = nil
    ) -> Summary {
        var resamples = resamples
        if resamples == nil, results.contains(where: { $0.resamples != nil }) {
            resamples = [:]
            for r in results { if let n = r.resamples, n > 0 { resamples?[String(r.index)] = n } }
        }
        let best = ordered(results).first { $0.value.isFinite }
        let bestValue = best?.value
        let atBest = bestValue.map { b in results.filter { $0.value.isFinite && $0.value - b <= sameOptimum }.count } ?? 0
        var parameters: [String: Double] = [:]
        if let best { for (id, v) in zip(space.ids, best.linearValues(space)) { parameters[id] = v } }
        return Summary(
            best_llh: bestValue.map { -$0 }, starts: results.count, converged: results.filter { $0.exit.converged }.count,
            at_best: atBest, seconds: seconds, problem: problem, seed: seed, total_starts: totalStarts, shard: shard,
            fingerprint: fingerprint, best_start: best?.index, nominal_llh: nominalLLH, parameters: parameters,
            resamples: resamples)
    }

    public static func json(_ s: Summary) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(s), as: UTF8.self) + "\n"
    }

    /// FNV-1a over the problem's files and the fit's settings: a checkpoint or shard is only
    /// combined with one made from the same inputs.
    public static func fingerprint(problem url: URL, seed: UInt64, starts: Int, settings: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ data: Data) { for b in data { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 } }
        let folder = url.deletingLastPathComponent()
        let yaml = (try? Data(contentsOf: url)) ?? Data()
        mix(yaml)
        // The files the YAML names (any word ending in a table or model extension).
        let text = String(decoding: yaml, as: UTF8.self)
        let names = text.split(whereSeparator: { " \n\t:-[],'\"".contains($0) })
            .filter { $0.hasSuffix(".tsv") || $0.hasSuffix(".xml") || $0.hasSuffix(".sbml") }.map(String.init).sorted()
        for name in names { mix(Data(name.utf8)); mix((try? Data(contentsOf: folder.appendingPathComponent(name))) ?? Data()) }
        mix(Data("\(seed)|\(starts)|\(settings)".utf8))
        return String(format: "%016llx", h)
    }
}
