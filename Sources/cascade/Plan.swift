import ArgumentParser
import CascadeExperiments
import CascadeReports
import Foundation

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Plan the next plate: which conditions best tell the mechanism hypotheses apart, given assay noise.",
        discussion: """
            With no file, plans models/experiments/plan.yaml. Every hypothesis is simulated on every candidate \
            line under every candidate inhibitor condition (ketamine and vehicle arms); conditions are then \
            chosen greedily to maximise the smallest pairwise separation between hypotheses, in noise units, \
            over the plate's free wells. Each chosen condition brings its controls: vehicle and ketamine-only \
            wells for its (line, readout time) group and an inhibitor-only well set.

            Each well is read by one destructive assay (the plan's noise kinds), so candidates are (line, time, \
            condition, assay); non-destructive assays (destructive: false, a medium aliquot or an MEA recording) \
            also read the wells of the endpoints they share with. No line takes more than its share of the \
            wells (plate.balance_lines). Edge wells stay buffer unless --use-edges; the layout is randomised \
            from --seed, or blocked by replicate (--layout blocked: one block of rows per replicate).

            Output: the plate map CSV (well,row,column,role,treatment,inhibitors,concentrations_uM,replicate, \
            then <compound>_uM per compound, vehicle, assay, line, read_at_s, also_read) to --output, or standard output; the rationale to --rationale, or standard \
            output when the map goes to a file (standard error otherwise). Files are written atomically.
            """)

    @Argument(help: "The plan experiment file; models/experiments/plan.yaml when omitted.") var experiment: String?
    @Option(help: "Plate size: 96 or 384 wells; the file's when omitted.") var wells: Int?
    @Option(help: "Replicate wells per condition; the file's when omitted.") var replicates: Int?
    @Option(help: ArgumentHelp("Write the plate map CSV to FILE.", valueName: "file")) var output: String?
    @Option(help: ArgumentHelp("Write the rationale to FILE.", valueName: "file")) var rationale: String?
    @Option(help: ArgumentHelp("Also write a self-contained HTML report (the plate as a grid coloured by condition) to FILE.", valueName: "file")) var html:
        String?
    @Option(help: "Seed of the randomised layout (same seed, same plate); the file's plate.seed, else 1, when omitted.") var seed: UInt64?
    @Flag(name: .customLong("use-edges"), help: "Use the outer wells too (by default they stay buffer).") var useEdges = false
    @Option(
        help: ArgumentHelp(
            "randomised (every well shuffled from --seed) or blocked (one block of rows per replicate, shuffled within it, so a row or edge effect is separable); the file's plate.layout, else randomised, when omitted.",
            valueName: "layout")) var layout: String?
    @Option(help: ArgumentHelp("Write the schedule (time, action, compound, concentration, wells) to FILE.", valueName: "file")) var schedule: String?
    @OptionGroup(title: "Threads") var threads: ThreadsOption
    @OptionGroup(title: "Ensemble") var ensemble: EnsembleOptions

    func validate() throws {
        if let w = wells, w != 96 && w != 384 { throw ValidationError("--wells must be 96 or 384, got \(w)") }
        if let r = replicates, r < 1 { throw ValidationError("--replicates must be at least 1, got \(r)") }
        if let l = layout, PlateSpec.Layout(name: l) == nil { throw ValidationError("--layout must be randomised, blocked or rows, got '\(l)'") }
    }

    func run() throws {
        let path = try experiment ?? Defaults.model("experiments/plan.yaml")
        guard FileManager.default.fileExists(atPath: path) else { throw Failure("\(path): no such file") }
        try checkOutputs(output, html, rationale, schedule)
        let spec = try PlanSpec.load(
            URL(fileURLWithPath: path), wells: wells, replicates: replicates, seed: seed, useEdges: useEdges,
            layout: layout.flatMap(PlateSpec.Layout.init(name:)))
        let result = try Planner.plan(spec, ensemble: try ensemble.variants(for: spec.screen).members, threads: threads.count)
        let map = result.csv()
        let text = result.rationale()
        if let html {
            try writeOutput(PlanReport.html(result, title: "Plate plan", experimentFile: path), to: html)
        }
        if let schedule { try writeOutput(PlateSchedule(result).csv(), to: schedule) }
        if let rationale { try writeOutput(text, to: rationale) }
        try writeOutput(map, to: output)
        if rationale == nil {
            if output != nil {
                try writeOutput(text, to: nil)
            } else {
                FileHandle.standardError.write(Data(text.utf8))
            }
        }
    }
}
