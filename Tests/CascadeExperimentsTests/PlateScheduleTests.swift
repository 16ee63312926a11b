import CascadeCore
import CascadeExperiments
import CascadeReports
import Foundation
import XCTest

/// The plate: seeded layout, edge wells as buffer, one column per compound, and a schedule that
/// replays to the plan's conditions.
final class PlateScheduleTests: XCTestCase {
    static let repo = CohortTests.repo

    static let plan: Result<(PlanSpec, PlanResult), Error> = Result {
        let spec = try PlanSpec.load(repo.appendingPathComponent("models/experiments/plan.yaml"))
        return (spec, try Planner.plan(spec, threads: 2))
    }

    func testSameSeedSameBytesAnotherSeedAnotherLayout() throws {
        let (spec, result) = try Self.plan.get()
        XCTAssertEqual(try Planner.plan(spec, threads: 1).csv(), result.csv())
        var other = spec
        other.plate.seed = spec.plate.seed + 1
        let moved = try Planner.plan(other, threads: 2)
        XCTAssertNotEqual(moved.csv(), result.csv())
        // The same cells, only in other wells.
        XCTAssertEqual(moved.cells, result.cells)
        XCTAssertEqual(moved.usedWells, result.usedWells)
    }

    func testEdgesAreBufferUnlessAsked() throws {
        let (_, result) = try Self.plan.get()
        for w in result.wells where w.row == "A" || w.row == "H" || w.column == 1 || w.column == 12 {
            XCTAssertEqual(w.role, .excluded, w.well)
        }
        let spec = try PlanSpec.load(Self.repo.appendingPathComponent("models/experiments/plan.yaml"), useEdges: true)
        XCTAssertFalse(spec.plate.excludeEdges)
        XCTAssertEqual(spec.plate.usableWells.count, 96)
    }

    /// One `<compound>_uM` column per compound, ketamine included, with each well's concentration.
    func testCompoundColumns() throws {
        let (_, result) = try Self.plan.get()
        let lines = result.csv().split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = lines[0]
        let compounds = result.compounds
        XCTAssertEqual(compounds.first, "ketamine")
        for c in compounds { XCTAssertTrue(header.contains("\(c)_uM"), c) }
        let k = header.firstIndex(of: "ketamine_uM")!, role = header.firstIndex(of: "role")!
        for row in lines.dropFirst() where row[role] == "test" || row[role] == "treatment_only" { XCTAssertEqual(row[k], "1.0") }
        for row in lines.dropFirst() where row[role] == "vehicle" || row[role] == "inhibitor_only" { XCTAssertEqual(row[k], "0.0") }
    }

    /// Replaying the schedule well by well gives each well the compounds and concentrations of
    /// its plan condition, at the protocol's times, and reads it at its time by its assay.
    func testScheduleReplaysToThePlannedConditions() throws {
        let (spec, result) = try Self.plan.get()
        try replay(spec, result)
    }

    func replay(_ spec: PlanSpec, _ result: PlanResult) throws {
        let schedule = PlateSchedule(result)
        var received: [String: [String: Double]] = [:], addedAt: [String: [String: Double]] = [:]
        var read: [String: (Double, String)] = [:], sampled: [String: [(Double, String)]] = [:]
        for e in schedule.entries {
            for w in e.wells {
                XCTAssertNil(read[w], "\(w) is handled after it was read")
                switch e.action {
                case "sample": sampled[w, default: []].append((e.time, e.compound))
                case "add":
                    received[w, default: [:]][e.compound] = e.concentration
                    addedAt[w, default: [:]][e.compound] = e.time
                case "add vehicle": received[w, default: [:]][e.compound] = 0
                case "read": read[w] = (e.time, e.compound)
                case "wash": break
                default: XCTFail("unknown action \(e.action)")
                }
            }
        }
        let treatmentTime = spec.experiment.protocolSteps.steps.compactMap { s -> Double? in
            if case .add = s.operation { return s.time } else { return nil }
        }.first!
        for w in result.wells where w.cell != nil {
            for c in result.compounds {
                XCTAssertEqual(received[w.well]?[c], result.concentration(of: c, in: w), "\(w.well) \(c)")
            }
            XCTAssertEqual(read[w.well]?.0, w.time, w.well)
            XCTAssertEqual(read[w.well]?.1, w.assay, w.well)
            // The non-destructive assays sample the well at its read time, before its endpoint.
            XCTAssertEqual((sampled[w.well] ?? []).map(\.1).sorted(), w.alsoRead.sorted(), w.well)
            for (t, _) in sampled[w.well] ?? [] { XCTAssertEqual(t, w.time, w.well) }
            if w.treatment == "ketamine" { XCTAssertEqual(addedAt[w.well]?["ketamine"], treatmentTime) }
            for d in w.inhibitors { XCTAssertEqual(addedAt[w.well]?[d], -1800, "pre-incubated 30 min before") }
        }
        for w in result.wells where w.cell == nil { XCTAssertNil(received[w.well]) }
        XCTAssertTrue(schedule.csv().hasPrefix("time_s,time,action,compound,concentration_uM,wells\n"))
    }

    /// The blocked layout: the usable wells row by row cut into one block per replicate;
    /// replicate k of every cell lies in block k, so each cell has exactly one well per block
    /// (rows D-E hold replicate 2 on a 96-well plate without edges). Same seed, same bytes; the
    /// schedule still replays to the planned conditions.
    func testBlockedLayoutPutsOneReplicateOfEveryCellInEachBlock() throws {
        let (spec, random) = try Self.plan.get()
        var blocked = spec
        blocked.plate.layout = .blocked
        let result = try Planner.plan(blocked, threads: 2)
        XCTAssertEqual(result.cells, random.cells, "the layout moves wells, not the choice of conditions")
        let order = blocked.plate.usableWells.map { PlateSpec.rowName($0.row) + String($0.column + 1) }
        let block = blocked.plate.blockSize
        XCTAssertEqual(block, 20)
        var perCell: [Int: [Int]] = [:]
        for w in result.wells where w.cell != nil {
            let k = try XCTUnwrap(order.firstIndex(of: w.well)) / block
            XCTAssertEqual(k + 1, w.replicate, "\(w.well) holds replicate \(w.replicate ?? 0) in block \(k + 1)")
            perCell[w.cell!, default: []].append(k)
        }
        for (cell, blocks) in perCell { XCTAssertEqual(blocks.sorted(), [0, 1, 2], "cell \(cell)") }
        for w in result.wells where w.replicate == 2 { XCTAssertTrue(["D", "E"].contains(w.row), w.well) }
        XCTAssertEqual(try Planner.plan(blocked, threads: 1).csv(), result.csv())
        XCTAssertNotEqual(result.csv(), random.csv())
        try replay(blocked, result)
        XCTAssertEqual(PlateSpec.Layout(name: "randomised"), .random)
        XCTAssertNil(PlateSpec.Layout(name: "diagonal"))
    }

    /// No line takes more than its share of the plate (strict, the default); without the rule
    /// the default plan puts more than a share on one line; with `share` the unused shares of the
    /// lines with nothing left worth placing go to the others (never more wells than that).
    func testLinesShareThePlate() throws {
        let (spec, result) = try Self.plan.get()
        func perLine(_ r: PlanResult) -> [String: Int] {
            var n: [String: Int] = [:]
            for w in r.wells where w.cell != nil { n[w.line!, default: 0] += 1 }
            return n
        }
        let share = spec.plate.capacity / spec.lines.count
        XCTAssertEqual(spec.plate.balanceLines, .strict)
        for (line, n) in perLine(result) { XCTAssertLessThanOrEqual(n, share, line) }
        var off = spec
        off.plate.balanceLines = .off
        XCTAssertGreaterThan(perLine(try Planner.plan(off, threads: 2)).values.max()!, share, "the rule bites on the default plan")
        var shared = spec
        shared.plate.balanceLines = .share
        let s = try Planner.plan(shared, threads: 2)
        XCTAssertGreaterThanOrEqual(s.usedWells, result.usedWells)
        // A line takes more than its share only from a line that left part of its own unused.
        let shares = perLine(s)
        for (line, n) in shares where n > share {
            XCTAssertTrue(spec.lines.contains { (shares[$0.id] ?? 0) < share }, "\(line) took \(n) wells of \(shares)")
        }
    }

    /// Non-destructive assays (medium aliquots, MEA) read the wells of the destructive assays they
    /// share with: in the default plan every western or imaging well also gives BDNF, glutamate and
    /// firing rates, and no well is both lysed and fixed.
    func testNonDestructiveAssaysShareWellsWithOneEndpoint() throws {
        let (spec, result) = try Self.plan.get()
        let destructive = Set(spec.noise.kinds.filter(\.destructive).map(\.name))
        XCTAssertEqual(destructive, ["western", "imaging"])
        for w in result.wells where w.cell != nil {
            if destructive.contains(w.assay!) {
                XCTAssertEqual(Set(w.alsoRead), ["elisa", "supernatant", "mea"], w.well)
            } else {
                XCTAssertTrue(w.alsoRead.isEmpty, w.well)
            }
            XCTAssertTrue(w.alsoRead.allSatisfy { !destructive.contains($0) }, w.well)
        }
        let header = result.csv().split(separator: "\n")[0]
        XCTAssertTrue(header.hasSuffix(",also_read"))
        let western = try XCTUnwrap(spec.noise.kinds.firstIndex { $0.name == "western" })
        let elisa = try XCTUnwrap(spec.noise.kinds.firstIndex { $0.name == "elisa" })
        let imaging = try XCTUnwrap(spec.noise.kinds.firstIndex { $0.name == "imaging" })
        XCTAssertTrue(spec.noise.reads(western, alsoGives: elisa))
        XCTAssertFalse(spec.noise.reads(elisa, alsoGives: western))
        XCTAssertFalse(spec.noise.reads(western, alsoGives: imaging), "a lysed well cannot be fixed")
    }

    func testSharingAWellNamesADestructiveAssay() throws {
        let text = try String(contentsOf: Self.repo.appendingPathComponent("models/experiments/plan.yaml"), encoding: .utf8)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plan-share-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (bad, message) in [("[westren, imaging]", "did you mean 'western'"), ("[western, mea]", "'mea' is not destructive")] {
            let url = dir.appendingPathComponent("plan.yaml")
            let edited = text.replacingOccurrences(
                of: "experiment: knockout_screen.yaml", with: "experiment: \(Self.repo.path)/models/experiments/knockout_screen.yaml"
            )
            .replacingOccurrences(of: "../hypotheses", with: "\(Self.repo.path)/models/hypotheses")
            .replacingOccurrences(of: "../lines", with: "\(Self.repo.path)/models/lines")
            .replacingOccurrences(
                of: "    shares_well_with: [western, imaging]\n    readouts: [BDNF]", with: "    shares_well_with: \(bad)\n    readouts: [BDNF]")
            try edited.write(to: url, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try PlanSpec.load(url)) { error in XCTAssertTrue("\(error)".contains(message), "\(error)") }
        }
    }
}
