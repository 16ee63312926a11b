import CascadeCore
import CascadeExperiments
import CascadeSolver
import Foundation
import XCTest

/// Virtual cohorts: the seeded generator, log-normal sampling reproducible byte for byte,
/// ensemble predictions with their spread and consensus calls, and the responder ranking.
final class CohortTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("cascade-cohort-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    // MARK: Generator

    func testMemberStreamsMatchAnIndependentImplementation() {
        // Values from a separate Python transcription of SplitMix64, the hashed member seeds and
        // Box-Muller: member k's generator is SplitMix64(first output of SplitMix64(seed + k·φ)).
        var m0 = VirtualCohort.memberGenerator(seed: 20_250_501, member: 0)
        XCTAssertEqual(m0.normal(), -0.7899128919548759, accuracy: 1e-15)
        XCTAssertEqual(m0.normal(), -0.08871378736629355, accuracy: 1e-15)
        var m7 = VirtualCohort.memberGenerator(seed: 20_250_501, member: 7)
        XCTAssertEqual(m7.normal(), 0.07917106898376895, accuracy: 1e-15)
        // Sampling: nominal 2, CV 0.3, member 3's first parameter.
        let c = try? VirtualCohort.sample(spec(size: 4, seed: 20_250_501), nominal: ["a": 2.0, "b": 1.0])
        XCTAssertEqual(c?.members[3][0] ?? 0, 2.343925084998384, accuracy: 1e-12)
    }

    // MARK: Sampling

    func spec(size: Int, seed: UInt64) -> CohortSpec {
        CohortSpec(
            size: size, seed: seed,
            variations: [
                ParameterVariation(id: "a", cv: 0.3),
                ParameterVariation(id: "b", cv: 0.25, maximum: 1.2),
            ])
    }

    func testEnsemblesAreReproducibleFromTheSeedByteForByte() throws {
        let nominal = ["a": 2.0, "b": 1.0]
        let one = try VirtualCohort.sample(spec(size: 50, seed: 20_250_501), nominal: nominal)
        let two = try VirtualCohort.sample(spec(size: 50, seed: 20_250_501), nominal: nominal)
        XCTAssertEqual(Data(one.csv().utf8), Data(two.csv().utf8))
        let other = try VirtualCohort.sample(spec(size: 50, seed: 20_250_502), nominal: nominal)
        XCTAssertNotEqual(one.csv(), other.csv())
        // Member k is the same whatever the cohort size.
        let small = try VirtualCohort.sample(spec(size: 10, seed: 20_250_501), nominal: nominal)
        XCTAssertEqual(Array(one.members.prefix(10)), small.members)
        // Written values read back exactly.
        let firstRow = one.csv().split(separator: "\n")[1].split(separator: ",")
        XCTAssertEqual(Double(String(firstRow[1])), one.members[0][0])
    }

    func testLogNormalAroundTheNominalWithTheStatedCV() throws {
        let big = try VirtualCohort.sample(
            CohortSpec(
                size: 4000, seed: 1,
                variations: [
                    ParameterVariation(id: "a", cv: 0.3),
                    ParameterVariation(id: "b", cv: 0.25, maximum: 1.2),
                ]),
            nominal: ["a": 2.0, "b": 1.0])
        let a = big.members.map { $0[0] }.sorted()
        XCTAssertEqual(Ensemble.quantile(a, 0.5), 2.0, accuracy: 0.06, "median at the nominal value")
        let mean = a.reduce(0, +) / Double(a.count)
        let sd = (a.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(a.count - 1)).squareRoot()
        XCTAssertEqual(sd / mean, 0.3, accuracy: 0.02, "coefficient of variation")
        XCTAssertTrue(a.allSatisfy { $0 > 0 })
        XCTAssertLessThanOrEqual(big.members.map { $0[1] }.max()!, 1.2, "values above max are capped")
    }

    func testSamplingNeedsAPositiveNominal() {
        XCTAssertThrowsError(try VirtualCohort.sample(spec(size: 3, seed: 1), nominal: ["a": 0, "b": 1]))
    }

    // MARK: Ensemble predictions and calls

    func outcome(_ vehicle: Double, _ treated: Double) -> VariantScreen.Outcome {
        .success(ArmPair(vehicle: [[vehicle]], treated: [[treated]]))
    }

    func testPredictionsReportSpreadAndCallOnlyWhenTheShareAgrees() {
        // Ten members: nine double the readout, one leaves it unchanged.
        let members: [[VariantScreen.Outcome]] = (0 ..< 10).map { k in [outcome(1, k == 9 ? 1 : 2)] }
        let none = [Condition(id: "none", inhibitors: [:])]
        let at80 = Ensemble.predictions(members, conditions: none, readouts: ["x"], times: [0], rules: CallRules(), share: 0.8)
        XCTAssertEqual(at80.count, 1)
        XCTAssertEqual(at80[0].median, 1, accuracy: 1e-12)
        XCTAssertEqual(at80[0].low, 0.45, accuracy: 1e-12, "5th percentile, interpolated between order statistics")
        XCTAssertEqual(at80[0].high, 1, accuracy: 1e-12)
        XCTAssertEqual(at80[0].shares[.changed] ?? 0, 0.9, accuracy: 1e-12)
        XCTAssertEqual(at80[0].consensus, .changed)
        let at95 = Ensemble.predictions(members, conditions: none, readouts: ["x"], times: [0], rules: CallRules(), share: 0.95)
        XCTAssertNil(at95[0].consensus, "90% agreement is not enough for a 95% consensus")
    }

    func testRankingPutsTheParameterThatDecidesTheOutcomeFirst() throws {
        let cohort = try VirtualCohort.sample(spec(size: 30, seed: 3), nominal: ["a": 1, "b": 1])
        // Outcome rises with a; b is irrelevant.
        let outcome: [Double?] = cohort.members.map { $0[0] }
        let a = CohortAnalysis.analyse(cohort, outcome: outcome, definition: ResponderDefinition(readout: "x", time: 0, rule: .tertiles))
        XCTAssertEqual(a.groups.filter { $0 == .responder }.count, 10)
        XCTAssertEqual(a.groups.filter { $0 == .nonResponder }.count, 10)
        XCTAssertEqual(a.ranking.first?.id, "a")
        XCTAssertEqual(a.ranking.first?.auc ?? 0, 1, accuracy: 1e-12)
        XCTAssertEqual(a.ranking.first?.spearman ?? 0, 1, accuracy: 1e-12)
        XCTAssertLessThan(abs(a.ranking[1].auc - 0.5), 0.5)
    }

    // MARK: Simulated cohorts

    func cohortFile(size: Int, extra: String = "") throws -> URL {
        let text = """
            experiment: \(Self.repo.appendingPathComponent("models/experiments/knockout_screen.yaml").path)
            line: \(Self.repo.appendingPathComponent("models/lines/K-NR.yaml").path)
            hypothesis: \(Self.repo.appendingPathComponent("models/hypotheses/both_gated.yaml").path)
            settle: 1 h
            cohort:
              size: \(size)
              seed: 11
              cv: 0.3
              parameters:
                J_Ca_NMDA: {}
                mTOR_total: {cv: 0.4}
            \(extra)
            responder: {readout: p_S6K, time: 30 min, rule: tertiles}
            """
        let url = dir.appendingPathComponent("cohort.yaml")
        try Data(text.utf8).write(to: url)
        return url
    }

    func testSimulatedCohortIsTheSameBytesWhateverTheThreads() throws {
        let ce = try CohortExperiment.load(try cohortFile(size: 4))
        XCTAssertEqual(ce.line?.id, "K-NR")
        let one = try CohortRunner.run(ce, threads: 1)
        let two = try CohortRunner.run(ce, threads: 2)
        XCTAssertTrue(one.failures.isEmpty, "\(one.failures)")
        XCTAssertEqual(Data(one.membersCSV().utf8), Data(two.membersCSV().utf8))
        XCTAssertEqual(one.rankingCSV(), two.rankingCSV())
        // The cohort varies around the line's values, not the model's.
        XCTAssertEqual(one.cohort.nominal[0], 0.168, accuracy: 1e-12)
        XCTAssertEqual(one.analysis.ranking.count, 2)
        for p in one.predictions { XCTAssertLessThanOrEqual(p.low, p.median); XCTAssertLessThanOrEqual(p.median, p.high) }
        let table = one.table()
        XCTAssertTrue(table.contains("Responder definition: responders: the top third"))
        XCTAssertTrue(table.contains("Ranking statistic: |AUC − 0.5|"))
    }

    func testUnknownCohortParameterIsLocated() throws {
        let url = dir.appendingPathComponent("bad.yaml")
        let text = try String(contentsOf: try cohortFile(size: 4), encoding: .utf8)
            .replacingOccurrences(of: "    mTOR_total: {cv: 0.4}", with: "    mTOR_totl: {cv: 0.4}")
        try Data(text.utf8).write(to: url)
        XCTAssertThrowsError(try CohortExperiment.load(url)) { error in
            let e = error as? InputError
            XCTAssertEqual(e?.file, url.path)
            XCTAssertEqual(e?.line, 11)
            XCTAssertEqual(e?.field, "cohort.parameters.mTOR_totl")
            XCTAssertTrue(e?.message.contains("unknown parameter 'mTOR_totl'") ?? false, "\(error)")
        }
    }

    func testCohortOfOneIsRefused() throws {
        let url = dir.appendingPathComponent("one.yaml")
        let text = try String(contentsOf: try cohortFile(size: 1), encoding: .utf8)
        try Data(text.utf8).write(to: url)
        XCTAssertThrowsError(try CohortExperiment.load(url)) { error in
            XCTAssertEqual((error as? InputError)?.field, "cohort.size")
        }
    }
}
