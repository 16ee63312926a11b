import CascadeCore
import CascadeExperiments
import CascadeReports
import Foundation
import XCTest

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The plate planner: a valid plate map with every required control, the inhibitor that blocks
/// the one branch two hypotheses differ in, and located errors for bad input.
final class PlannerTests: XCTestCase {
    static let repo = CohortTests.repo
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("cascade-plan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    static func path(_ p: String) -> String { repo.appendingPathComponent(p).path }

    /// The default screen's experiment with the inhibitors held through the last readout (its
    /// 2 h 5 min inhibitor wash left out): the opioid gate acts on the spine program that
    /// ketamine's drive enters over the following hours, so only a held antagonist tests it.
    func heldExperiment() throws -> URL {
        let url = dir.appendingPathComponent("held.yaml")
        guard !FileManager.default.fileExists(atPath: url.path) else { return url }
        let text = try String(contentsOfFile: Self.path("models/experiments/knockout_screen.yaml"), encoding: .utf8)
        XCTAssertTrue(text.contains("  - {at: 125 min, wash: [inhibitors]}\n"))
        let held = text.replacingOccurrences(of: "  - {at: 125 min, wash: [inhibitors]}\n", with: "")
            .replacingOccurrences(of: "model: ../ketamine.ant", with: "model: \(Self.path("models/ketamine.ant"))")
            .replacingOccurrences(of: "panel: ../inhibitors.yaml", with: "panel: \(Self.path("models/inhibitors.yaml"))")
        try Data(held.utf8).write(to: url)
        return url
    }

    /// A small plan file (short settle: the model's initial values are its vehicle steady state).
    func planFile(
        hypotheses: [String], inhibitors: String, times: String = "[2 h, 72 h]", lines: String = "",
        plate: String = "{wells: 96, replicates: 3}", name: String = "plan.yaml"
    ) throws -> URL {
        let text = """
            experiment: \(try heldExperiment().path)
            hypotheses: [\(hypotheses.map { Self.path("models/hypotheses/\($0).yaml") }.joined(separator: ", "))]
            candidates:
              inhibitors: \(inhibitors)
              times: \(times)
            \(lines.isEmpty ? "" : "  lines: \(lines)")
            readouts: [glutamate, p_eEF2, BDNF, p_ERK, p_S6K, synaptic_proteins, spine_density]
            noise:
              western: {cv: 0.2, readouts: [p_eEF2, p_ERK, p_S6K, synaptic_proteins]}
              elisa: {cv: 0.15, readouts: [BDNF]}
              imaging: {cv: 0.15, readouts: [spine_density]}
              supernatant: {cv: 0.15, readouts: [glutamate]}
            plate: \(plate)
            settle: 1 h
            """
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    struct Row: Hashable {
        var well, row, column, role, treatment, inhibitors, concentrations, replicate, line, time: String
        var assay = ""
    }

    /// The plate map's rows: the DESIGN contract's columns first, then one `<compound>_uM`
    /// column per compound, `vehicle`, `assay`, `line`, `read_at_s`, `also_read`.
    func rows(_ csv: String) throws -> [Row] {
        var lines = csv.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines.removeLast(), "", "ends with a newline")
        let header = lines.removeFirst().split(separator: ",").map(String.init)
        XCTAssertEqual(Array(header.prefix(8)), ["well", "row", "column", "role", "treatment", "inhibitors", "concentrations_uM", "replicate"])
        XCTAssertEqual(Array(header.suffix(5)), ["vehicle", "assay", "line", "read_at_s", "also_read"])
        XCTAssertTrue(header.dropFirst(8).dropLast(5).allSatisfy { $0.hasSuffix("_uM") })
        XCTAssertTrue(header.contains("ketamine_uM"))
        return try lines.map { l in
            let f = l.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count == header.count else { throw XCTSkip("row with \(f.count) fields: \(l)") }
            return Row(
                well: f[0], row: f[1], column: f[2], role: f[3], treatment: f[4], inhibitors: f[5], concentrations: f[6],
                replicate: f[7], line: f[f.count - 3], time: f[f.count - 2], assay: f[f.count - 4])
        }
    }

    // MARK: A 96-well plan

    func testA96WellPlanWithTriplicatesHasEveryControlAndUsesEachWellOnce() throws {
        let url = try planFile(
            hypotheses: ["both_gated", "direct_gated", "disinhibition_gated"],
            inhibitors: "[NBQX, naltrexone, rapamycin, A484954]",
            lines: "[\(Self.path("models/lines/control.yaml")), \(Self.path("models/lines/K-NR.yaml"))]")
        let spec = try PlanSpec.load(url)
        let started = Date()
        let result = try Planner.plan(spec, threads: 2)
        let seconds = Date().timeIntervalSince(started)
        XCTAssertLessThan(seconds, 60)
        let map = try rows(result.csv())

        // Every well of the plate exactly once, in plate order.
        XCTAssertEqual(map.count, 96)
        XCTAssertEqual(Set(map.map(\.well)).count, 96)
        let expected = (0 ..< 8).flatMap { r in (1 ... 12).map { "\(PlateSpec.rowName(r))\($0)" } }
        XCTAssertEqual(map.map(\.well), expected)
        for r in map { XCTAssertEqual(r.well, r.row + r.column) }

        let used = map.filter { $0.role != "empty" && $0.role != "excluded" }
        XCTAssertGreaterThan(used.count, 0)
        XCTAssertEqual(used.count, result.usedWells)
        XCTAssertTrue(Set(map.map(\.role)).isSubset(of: ["vehicle", "treatment_only", "inhibitor_only", "test", "empty", "excluded"]))
        // Edge wells are buffer; every used well has one assay.
        XCTAssertTrue(map.filter { $0.row == "A" || $0.row == "H" || $0.column == "1" || $0.column == "12" }.allSatisfy { $0.role == "excluded" })
        XCTAssertTrue(used.allSatisfy { ["western", "elisa", "imaging", "supernatant"].contains($0.assay) })

        // Each kind of well (line, time, assay, role, inhibitors) has replicates 1, 2 and 3 exactly once.
        var kinds: [String: [String]] = [:]
        for r in used { kinds["\(r.line)|\(r.time)|\(r.assay)|\(r.role)|\(r.inhibitors)|\(r.concentrations)", default: []].append(r.replicate) }
        for (k, reps) in kinds { XCTAssertEqual(reps.sorted(), ["1", "2", "3"], k) }

        // Required controls: every (line, time, assay) group with wells has vehicle and ketamine-only
        // wells; every tested inhibitor set has its inhibitor-only wells in the same group.
        let groups = Set(used.map { "\($0.line)|\($0.time)|\($0.assay)" })
        for g in groups {
            let inGroup = used.filter { "\($0.line)|\($0.time)|\($0.assay)" == g }
            XCTAssertEqual(inGroup.filter { $0.role == "vehicle" && $0.treatment == "vehicle" && $0.inhibitors.isEmpty }.count, 3, g)
            XCTAssertEqual(inGroup.filter { $0.role == "treatment_only" && $0.treatment == "ketamine" && $0.inhibitors.isEmpty }.count, 3, g)
            for t in inGroup where t.role == "test" {
                XCTAssertEqual(t.treatment, "ketamine")
                XCTAssertEqual(
                    inGroup.filter {
                        $0.role == "inhibitor_only" && $0.inhibitors == t.inhibitors
                            && $0.concentrations == t.concentrations && $0.treatment == "vehicle"
                    }.count, 3, "\(g) \(t.inhibitors)")
            }
        }
        XCTAssertTrue(used.contains { $0.role == "test" }, "some inhibitor condition is chosen")
        // Predicted separations are reported for every pair.
        XCTAssertEqual(result.separations.count, 3)
        XCTAssertTrue(result.separations.allSatisfy { $0 > 0 })

        // The same plan whatever the number of threads, and on a 384-well plate with the same
        // conditions (the plate here is not full).
        let one = try Planner.plan(spec, threads: 1)
        XCTAssertEqual(one.csv(), result.csv())
        let big = try Planner.plan(try PlanSpec.load(url, wells: 384), threads: 2)
        XCTAssertEqual(try rows(big.csv()).count, 384)
        XCTAssertEqual(Set(try rows(big.csv()).map(\.well)).count, 384)

        // The report: the plate as a grid, one circle per well, self-contained.
        let html = PlanReport.html(result, title: "Plate plan", experimentFile: url.path)
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertFalse(html.contains("<script"))
        let svgs = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        XCTAssertFalse(svgs.contains("http://") || svgs.contains("https://"))
        XCTAssertEqual(html.components(separatedBy: "<circle").count - 1, 96)
        XCTAssertNoThrow(try XMLDocumentCheck.wellFormedSVGs(html))
    }

    // MARK: Two hypotheses that differ in one branch

    func testOpioidGatePairPutsNaltrexoneOnThePlateWithThePredictedSeparation() throws {
        let url = try planFile(
            hypotheses: ["both_gated", "both_ungated"], inhibitors: "[NBQX, ANA12, rapamycin, naltrexone, A484954]",
            times: "[30 min, 2 h, 24 h]")
        let result = try Planner.plan(try PlanSpec.load(url), threads: 2)
        let map = try rows(result.csv())
        XCTAssertTrue(
            map.contains { $0.role == "test" && $0.inhibitors == "naltrexone" && $0.treatment == "ketamine" },
            "naltrexone, which blocks the opioid branch, is tested with ketamine")
        XCTAssertTrue(map.contains { $0.role == "inhibitor_only" && $0.inhibitors == "naltrexone" })

        // The first chosen condition is naltrexone: nothing else tells the two apart.
        let first = try XCTUnwrap(result.steps.first { $0.reason == .greedy })
        XCTAssertEqual(Array(first.condition.inhibitors.keys), ["naltrexone"])
        XCTAssertGreaterThan(first.minAfter, first.minBefore)
        for step in result.steps { XCTAssertTrue(step.condition.inhibitors.isEmpty || step.condition.inhibitors["naltrexone"] != nil, step.condition.id) }
        // Predicted: with the gate, naltrexone removes ketamine's spine effect; without it, not.
        let spine = result.spec.readouts.firstIndex(of: "spine_density")!
        let gated = first.effects[0][spine], ungated = first.effects[1][spine]
        XCTAssertGreaterThan(ungated - gated, 0.05, "gated \(gated), ungated \(ungated)")
        // The plate spine rise of model v2 is about 8% at 24 h, so imaging (CV 0.15) separates
        // the pair by a little under half a noise unit.
        XCTAssertGreaterThan(result.separations[0], 0.3)

        let text = result.rationale()
        XCTAssertTrue(text.contains("ketamine + naltrexone 1 µM"), text)
        XCTAssertTrue(text.contains("largest gain: both_gated vs both_ungated 0.00 → "), text)
        XCTAssertTrue(text.contains("spine_density"), text)
        XCTAssertTrue(text.contains("Smallest separation: both_gated vs both_ungated"), text)
    }

    /// A plan's own `protocol` replaces its experiment's: the default screen (inhibitors washed at
    /// 2 h 5 min) with a held protocol in the plan file gives the same plate, byte for byte, as the
    /// screen edited to hold them; a protocol adding another treatment is a located error.
    func testThePlansOwnProtocolReplacesTheExperiments() throws {
        let held = try planFile(hypotheses: ["both_gated", "both_ungated"], inhibitors: "[naltrexone]", times: "[24 h]")
        let screen = try String(contentsOf: try heldExperiment(), encoding: .utf8)
        let washed = dir.appendingPathComponent("washed.yaml")
        try Data(
            screen.replacingOccurrences(
                of: "  - {at: 1 h, wash: [ketamine]}\n", with: "  - {at: 1 h, wash: [ketamine]}\n  - {at: 125 min, wash: [inhibitors]}\n"
            ).utf8
        )
        .write(to: washed)
        let protocolText = """
            protocol:
              - {at: -30 min, preincubate: inhibitors}
              - {at: 0 min, add: ketamine, concentration: 1 uM}
              - {at: 1 h, wash: [ketamine]}

            """
        let own = dir.appendingPathComponent("own.yaml")
        let text = try String(contentsOf: held, encoding: .utf8)
            .replacingOccurrences(of: "experiment: \(try heldExperiment().path)\n", with: "experiment: \(washed.path)\n" + protocolText)
        try Data(text.utf8).write(to: own)
        let a = try Planner.plan(try PlanSpec.load(held), threads: 2)
        let b = try Planner.plan(try PlanSpec.load(own), threads: 2)
        XCTAssertEqual(a.csv(), b.csv())
        XCTAssertEqual(a.separations, b.separations)
        // Without the plan's protocol the washed screen's plate differs (naltrexone is gone by the
        // time the gated spine program runs).
        let plain = dir.appendingPathComponent("plain.yaml")
        try Data(text.replacingOccurrences(of: protocolText, with: "").utf8).write(to: plain)
        XCTAssertNotEqual(try Planner.plan(try PlanSpec.load(plain), threads: 2).separations, a.separations)

        let other = dir.appendingPathComponent("other.yaml")
        try Data(
            text.replacingOccurrences(of: "add: ketamine,", with: "add: esketamine,").replacingOccurrences(of: "wash: [ketamine]", with: "wash: [esketamine]")
                .utf8
        ).write(to: other)
        expectInputError(
            { _ = try PlanSpec.load(other) }, file: other.path, line: nil, field: "protocol", contains: "they must add the same treatments")
    }

    func testIncludedConditionsArePlacedFirstWithTheirControls() throws {
        let url = try planFile(
            hypotheses: ["both_gated", "both_ungated"], inhibitors: "[naltrexone]",
            plate: """

                  wells: 96
                  replicates: 2
                  include:
                    - {time: 2 h, assay: western}
                    - {time: 72 h, inhibitors: {NBQX: 10 uM}, assay: imaging}
                """)
        let result = try Planner.plan(try PlanSpec.load(url), threads: 2)
        XCTAssertEqual(result.steps.prefix(2).map(\.reason), [.included, .included])
        XCTAssertEqual(result.steps[0].condition.id, "none")
        XCTAssertEqual(result.steps[1].condition.id, "NBQX")
        let map = try rows(result.csv())
        XCTAssertEqual(map.filter { $0.role == "test" && $0.inhibitors == "NBQX" && $0.time == "259200.0" }.count, 2)
        XCTAssertEqual(map.filter { $0.role == "inhibitor_only" && $0.inhibitors == "NBQX" }.count, 2)
        XCTAssertEqual(map.filter { $0.role == "vehicle" && $0.time == "7200.0" }.count, 2)
        XCTAssertTrue(map.contains { $0.inhibitors == "naltrexone" }, "the greedy steps still follow")
    }

    // MARK: Bad input

    func expectInputError(
        _ body: () throws -> Void, file: String, line: Int?, field: String, contains: String,
        sourceFile: StaticString = #filePath, sourceLine: UInt = #line
    ) {
        XCTAssertThrowsError(try body(), file: sourceFile, line: sourceLine) { error in
            guard let e = error as? InputError else { return XCTFail("not an InputError: \(error)", file: sourceFile, line: sourceLine) }
            XCTAssertEqual(e.file, file, file: sourceFile, line: sourceLine)
            if let line { XCTAssertEqual(e.line, line, "\(e)", file: sourceFile, line: sourceLine) }
            XCTAssertEqual(e.field, field, "\(e)", file: sourceFile, line: sourceLine)
            XCTAssertTrue(e.message.contains(contains), "\(e)", file: sourceFile, line: sourceLine)
        }
    }

    func testUnknownHypothesisParameterIsLocatedInTheHypothesisFile() throws {
        let hyp = dir.appendingPathComponent("typo.yaml")
        try Data(
            """
            id: typo
            parameters:
              route_direct: 1
              route_indirect: {value: 0}
            """.utf8
        ).write(to: hyp)
        let url = try planFile(hypotheses: ["both_gated"], inhibitors: "[naltrexone]")
        let text = try String(contentsOf: url, encoding: .utf8)
            .replacingOccurrences(of: "hypotheses: [", with: "hypotheses: [\(hyp.path), ")
        try Data(text.utf8).write(to: url)
        expectInputError(
            { _ = try PlanSpec.load(url) }, file: hyp.path, line: 4, field: "parameters.route_indirect",
            contains: "unknown parameter 'route_indirect'")
    }

    func testMoreRequiredWellsThanThePlateHasIsAnError() throws {
        let url = try planFile(
            hypotheses: ["both_gated", "both_ungated"], inhibitors: "[naltrexone]",
            plate: "{wells: 96, replicates: 50}")
        expectInputError(
            { _ = try PlanSpec.load(url) }, file: url.path, line: 13, field: "plate.replicates",
            contains:
                "(vehicle and ketamine-only controls, 50 replicates each: 100 wells) do not fit the 60 usable wells of a 96-well plate without its edge wells")
        // The same through the command-line override, which the message names.
        let ok = try planFile(hypotheses: ["both_gated", "both_ungated"], inhibitors: "[naltrexone]", name: "ok.yaml")
        XCTAssertThrowsError(try PlanSpec.load(ok, replicates: 60)) { error in
            XCTAssertTrue("\(error)".contains("--replicates 60 on the command line"), "\(error)")
        }
        // Forced conditions count too.
        let inc = try planFile(
            hypotheses: ["both_gated", "both_ungated"], inhibitors: "[naltrexone]", times: "[2 h, 24 h, 72 h]",
            plate: """

                  wells: 96
                  replicates: 6
                  exclude_edges: true
                  include:
                    - {time: 2 h, inhibitors: {naltrexone: 1 uM}, assay: western}
                    - {time: 24 h, inhibitors: {naltrexone: 1 uM}, assay: western}
                    - {time: 72 h, inhibitors: {naltrexone: 1 uM}, assay: western}
                """, name: "inc.yaml")
        expectInputError(
            { _ = try PlanSpec.load(inc) }, file: inc.path, line: nil, field: "plate.include",
            contains: "72 wells) do not fit the 60 usable wells of a 96-well plate without its edge wells")
    }

    func testBadReplicateCountAndPlateSize() throws {
        let zero = try planFile(hypotheses: ["both_gated", "both_ungated"], inhibitors: "[naltrexone]", plate: "{wells: 96, replicates: 0}")
        expectInputError(
            { _ = try PlanSpec.load(zero) }, file: zero.path, line: 13, field: "plate.replicates",
            contains: "replicates must be at least 1, got 0")
        let text = try planFile(
            hypotheses: ["both_gated", "both_ungated"], inhibitors: "[naltrexone]", plate: "{wells: 96, replicates: three}", name: "t.yaml")
        expectInputError({ _ = try PlanSpec.load(text) }, file: text.path, line: 13, field: "plate.replicates", contains: "expected a whole number")
        let wells = try planFile(hypotheses: ["both_gated", "both_ungated"], inhibitors: "[naltrexone]", plate: "{wells: 100, replicates: 3}", name: "w.yaml")
        expectInputError({ _ = try PlanSpec.load(wells) }, file: wells.path, line: 13, field: "plate.wells", contains: "96 or 384 wells, got 100")
    }

    func testUnknownCandidateInhibitorIsLocated() throws {
        let url = try planFile(hypotheses: ["both_gated", "both_ungated"], inhibitors: "[naltrexone, naloxone]")
        expectInputError(
            { _ = try PlanSpec.load(url) }, file: url.path, line: 4, field: "candidates.inhibitors[1]",
            contains: "unknown inhibitor 'naloxone'")
    }

    // MARK: The command line

    static var binary: URL {
        var dir = Bundle(for: PlannerTests.self).bundleURL
        if dir.pathExtension == "xctest" { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("cascade")
    }

    func cascade(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = Self.binary
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func testCommandLineExitCodesAndAtomicOutput() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: Self.binary.path), "cascade binary not built")
        let url = try planFile(hypotheses: ["both_gated", "both_ungated"], inhibitors: "[naltrexone]", times: "[72 h]")
        let csv = dir.appendingPathComponent("plate.csv"), html = dir.appendingPathComponent("plate.html")
        let ok = try cascade(["plan", url.path, "--output", csv.path, "--html", html.path, "--threads", "2"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertTrue(ok.stdout.contains("Criterion:"), "the rationale goes to stdout when the map goes to a file")
        XCTAssertEqual(try rows(try String(contentsOf: csv, encoding: .utf8)).count, 96)
        XCTAssertTrue(FileManager.default.fileExists(atPath: html.path))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("plate") }
        XCTAssertEqual(Set(leftovers), ["plate.csv", "plate.html"], "no temporary files left behind")

        // Usage errors: exit 2.
        XCTAssertEqual(try cascade(["plan", url.path, "--replicates", "0"]).status, 2)
        XCTAssertEqual(try cascade(["plan", url.path, "--wells", "100"]).status, 2)
        // Input errors: exit 1 with file, line and field; no output file written.
        let bad = try planFile(hypotheses: ["both_gated", "both_ungated"], inhibitors: "[naltrexone]", plate: "{wells: 96, replicates: 50}", name: "bad.yaml")
        let out = dir.appendingPathComponent("bad.csv")
        let r = try cascade(["plan", bad.path, "--output", out.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("\(bad.path):13:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("plate.replicates:"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        let missing = try cascade(["plan", dir.appendingPathComponent("nope.yaml").path])
        XCTAssertEqual(missing.status, 1)
        // Cohort usage error.
        XCTAssertEqual(try cascade(["cohort", "--size", "1"]).status, 2)
    }

    /// `candidates.dilution`: the single inhibitor that separates the hypotheses most goes on the
    /// plate at its concentration and two lower ones (each 10-fold below), at one line, time and
    /// assay, each with its inhibitor-only wells; the schedule adds each concentration to its wells.
    func testDilutionSeriesOfTheMostSeparatingInhibitor() throws {
        let url = try planFile(
            hypotheses: ["both_gated", "both_ungated"], inhibitors: "[NBQX, naltrexone]",
            times: "[2 h, 72 h]\n  dilution: {points: 3, factor: 10}")
        let spec = try PlanSpec.load(url)
        XCTAssertEqual(spec.dilution?.points, 3)
        let result = try Planner.plan(spec, threads: 2)
        let series = result.steps.filter { $0.reason == .doseResponse }
        XCTAssertFalse(series.isEmpty)
        let drugs = Set(series.flatMap { $0.condition.inhibitors.keys })
        XCTAssertEqual(drugs.count, 1)
        let drug = try XCTUnwrap(drugs.first)
        XCTAssertEqual(Set(series.map(\.line)).count, 1)
        XCTAssertEqual(Set(series.map(\.time)).count, 1)
        XCTAssertEqual(Set(series.map(\.assay)).count, 1)
        // The concentrations on the plate at that line, time and assay: top, top/10, top/100.
        let s = series[0]
        let placed = result.cells.filter { $0.line == s.line && $0.time == s.time && $0.assay == s.assay && $0.condition.inhibitors.keys.first == drug }
        let doses = Set(placed.map { $0.condition.inhibitors[drug]! }).sorted()
        XCTAssertEqual(doses.count, 3, "\(doses)")
        XCTAssertEqual(doses[1] / doses[0], 10, accuracy: 1e-9)
        XCTAssertEqual(doses[2] / doses[1], 10, accuracy: 1e-9)
        for d in doses {
            XCTAssertEqual(placed.filter { $0.condition.inhibitors[drug] == d }.map(\.role).sorted { $0.rawValue < $1.rawValue }, [.inhibitorOnly, .test])
        }
        let adds = PlateSchedule(result).entries.filter { $0.action == "add" && $0.compound == drug }.compactMap(\.concentration)
        for d in doses { XCTAssertTrue(adds.contains(d), "\(d) µM is added") }
        XCTAssertTrue(result.rationale().contains("dilution series"))
    }
}
