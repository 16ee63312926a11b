import ArgumentParser
import CascadeCore
import CascadeExperiments
import CascadeFormats
import Foundation

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recompute the reference trajectories and compare; non-zero exit on mismatch.",
        discussion: """
            DIR (models/references when omitted) holds references.yaml and one CSV per case, generated \
            independently with libRoadRunner by scripts/references/generate.py. Each readout column is \
            compared with |computed − reference| ≤ absolute·max|column| + relative·|reference|. \
            --update rewrites the references with Cascade's values (and says which moved and by how \
            much); rerun the script to confirm them independently. --export-sbml writes each case as \
            self-contained SBML (protocol steps as events) with a manifest, for that script.
            """)

    @Argument(help: "The references folder; models/references when omitted.") var dir: String?
    @Flag(help: "Rewrite the reference files with Cascade's values.") var update = false
    @Option(name: .customLong("set"), help: "Override a model value for every case: ID=VALUE (repeatable).") var overrides: [String] = []
    @Option(name: .customLong("export-sbml"), help: ArgumentHelp("Write each case as SBML plus manifest.json into DIR, then stop.", valueName: "dir"))
    var exportDir: String?

    func validate() throws {
        for o in overrides where parseOverride(o) == nil { throw ValidationError("--set expects ID=VALUE, got '\(o)'") }
    }

    func run() throws {
        let folder = URL(fileURLWithPath: try dir ?? Defaults.model("references"))
        let set = try ReferenceSet.load(folder)
        var values: [String: Double] = [:]
        for o in overrides { let (k, v) = parseOverride(o)!; values[k] = v }
        if let exportDir { return try export(set, to: exportDir, overrides: values) }

        var failed: [String] = []
        var worstOverall: (String, ReferenceComparison.Column)?
        var report = ""
        for c in set.cases {
            let computed = try set.simulate(c, overrides: values)
            let url = set.csvURL(c)
            let existing = FileManager.default.fileExists(atPath: url.path) ? try ReferenceTable.read(url) : nil
            let comparison = try existing.map { try set.compare(c, reference: $0, computed: computed) }
            if update {
                let header = headerLines(set, c, generator: "cascade (cascade check --update)")
                let table = ReferenceTable(header: header, columns: c.experiment.readouts, times: c.times, rows: computed)
                try writeOutput(table.csv(), to: url.path, updatingInput: true)
                if let comparison, !comparison.moved.isEmpty {
                    report += "\(c.id): rewritten; moved: " + comparison.moved.map { describe($0) }.joined(separator: "; ") + "\n"
                } else {
                    report += "\(c.id): rewritten\(existing == nil ? " (new)" : "; nothing moved beyond tolerance")\n"
                }
                continue
            }
            guard let comparison, let existing else {
                failed.append(c.id)
                report += "\(c.id): MISSING \(url.path) — generate it with scripts/references/generate.py\n"
                continue
            }
            let worst = comparison.columns.max { $0.worstRelative < $1.worstRelative }!
            if worstOverall == nil || worst.worstRelative > worstOverall!.1.worstRelative { worstOverall = (c.id, worst) }
            let generator = existing.header.first { $0.hasPrefix("generator:") } ?? "generator: unknown"
            if comparison.passed {
                report += "\(c.id): ok — worst \(describe(worst)) [\(generator)]\n"
            } else {
                failed.append(c.id)
                report += "\(c.id): MISMATCH — moved: " + comparison.moved.map { describe($0) }.joined(separator: "; ") + "\n"
            }
        }
        if let (id, w) = worstOverall, !update {
            report += "worst deviation overall: \(id) \(describe(w))\n"
        }
        FileHandle.standardOutput.write(Data(report.utf8))
        if !failed.isEmpty {
            throw Failure("check: \(failed.count) of \(set.cases.count) references do not match: \(failed.joined(separator: ", "))")
        }
        if !update { FileHandle.standardOutput.write(Data("check: \(set.cases.count) references match\n".utf8)) }
    }

    func describe(_ c: ReferenceComparison.Column) -> String {
        String(
            format: "%@ %.3g relative at t = %@ (%@ vs %@)", c.readout, c.worstRelative, formatDuration(c.worstTime),
            formatNumber(c.computed), formatNumber(c.reference))
    }

    func headerLines(_ set: ReferenceSet, _ c: ReferenceSet.Case, generator: String) -> [String] {
        let modelData = (try? Data(contentsOf: URL(fileURLWithPath: c.experiment.modelPath))) ?? Data()
        let inhibitors =
            c.inhibitors.isEmpty ? "none" : c.inhibitors.sorted { $0.key < $1.key }.map { "\($0.key)=\(formatNumber($0.value)) uM" }.joined(separator: ", ")
        return [
            "reference: \(c.id)",
            "model: \(URL(fileURLWithPath: c.experiment.modelPath).lastPathComponent) fnv1a64=\(fnv1a64(modelData))",
            "experiment: \(URL(fileURLWithPath: c.experiment.file).lastPathComponent); inhibitors: \(inhibitors); arm: \(c.arm == 1 ? "treated" : "vehicle"); start: \(formatNumber(c.start)) s",
            "solver: rtol=\(formatNumber(set.solverRelative)) atol=\(formatNumber(set.solverAbsolute))",
            "generator: \(generator)",
        ]
    }

    func export(_ set: ReferenceSet, to outDir: String, overrides: [String: Double]) throws {
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        var entries: [String] = []
        for c in set.cases {
            let m = try set.model(for: c, overrides: overrides)
            try writeOutput(SBML.write(m), to: "\(outDir)/\(c.id).xml")
            let species = c.experiment.readouts.filter { id in m.species(id) != nil }
            let header = headerLines(set, c, generator: "GENERATOR").map { "\"\(jsonEscape($0))\"" }.joined(separator: ", ")
            entries.append(
                """
                {"id": "\(c.id)", "sbml": "\(c.id).xml", "csv": "\(set.csvURL(c).path)", "start": \(formatNumber(c.start)),
                 "times": [\(c.times.map(formatNumber).joined(separator: ", "))],
                 "readouts": [\(c.experiment.readouts.map { "\"\($0)\"" }.joined(separator: ", "))],
                 "species": [\(species.map { "\"\($0)\"" }.joined(separator: ", "))],
                 "header": [\(header)],
                 "rtol": \(formatNumber(set.solverRelative)), "atol": \(formatNumber(set.solverAbsolute))}
                """)
        }
        try writeOutput("{\"cases\": [\n" + entries.joined(separator: ",\n") + "\n]}\n", to: "\(outDir)/manifest.json")
    }
}
