import CascadeEstimation
import Foundation
import XCTest

/// A quadratic with its minimum at (−1, 2) that cannot be evaluated where x₀ > 0 (NaN, as a
/// failed simulation): half of the box [−4, 4]² is unusable. With `gradientOnly`, only the
/// gradient fails there (as when a model's sensitivities cannot be integrated but its states can).
final class HalfUsableQuadratic: Objective {
    let dimension = 2
    let gradientOnly: Bool
    init(gradientOnly: Bool = false) { self.gradientOnly = gradientOnly }
    func evaluate(_ x: [Double], derivatives: Bool) -> Evaluation {
        guard x[0] <= 0 || (gradientOnly && !derivatives) else { return .failed }
        let d = [x[0] + 1, x[1] - 2]
        let value = 0.5 * (d[0] * d[0] + d[1] * d[1])
        guard derivatives else { return Evaluation(value: value) }
        return Evaluation(value: value, gradient: d, hessian: [1, 0, 0, 1])
    }
}

final class MultiStartResampleTests: XCTestCase {
    let lower = [-4.0, -4.0], upper = [4.0, 4.0]
    let count = 12, seed: UInt64 = 3

    func run(indices: [Int], threads: Int, attempts: Int, gradientOnly: Bool = false) throws -> [StartResult] {
        let points = LatinHypercube.sample(count: count, lower: lower, upper: upper, seed: seed)
        return try MultiStart.run(
            points: points, indices: indices, lower: lower, upper: upper, threads: threads,
            optimizer: TrustRegionOptimizer(), resampleAttempts: attempts, seed: seed,
            makeObjective: { HalfUsableQuadratic(gradientOnly: gradientOnly) }, finished: { _ in }
        ).sorted { $0.index < $1.index }
    }

    func testUnusableStartsAreMovedIntoTheUsableRegion() throws {
        let points = LatinHypercube.sample(count: count, lower: lower, upper: upper, seed: seed)
        let unusable = points.indices.filter { points[$0][0] > 0 }
        XCTAssertFalse(unusable.isEmpty)
        // Without resampling, those starts fail where they began.
        let plain = try run(indices: Array(0 ..< count), threads: 2, attempts: 0)
        for r in plain { XCTAssertEqual(r.value.isFinite, !unusable.contains(r.index), "start \(r.index)") }
        // With it, every start reaches the minimum; only the unusable ones were moved.
        let results = try run(indices: Array(0 ..< count), threads: 2, attempts: 20)
        for r in results {
            XCTAssertEqual(r.value, 0, accuracy: 1e-10, "start \(r.index)")
            XCTAssertEqual(r.x[0], -1, accuracy: 1e-5)
            XCTAssertEqual(r.x[1], 2, accuracy: 1e-5)
            XCTAssertEqual(r.resamples ?? -1 > 0, unusable.contains(r.index), "start \(r.index)")
        }
        // Likewise where only the gradient fails.
        let gradientOnly = try run(indices: Array(0 ..< count), threads: 2, attempts: 20, gradientOnly: true)
        XCTAssertEqual(gradientOnly.map(\.resamples), results.map(\.resamples))
        for r in gradientOnly { XCTAssertEqual(r.value, 0, accuracy: 1e-10, "start \(r.index)") }
        // The start moved to the first draw with x₀ ≤ 0 (inside the box); earlier draws were unusable.
        for k in unusable {
            let n = try XCTUnwrap(results[k].resamples)
            let p = MultiStart.replacement(seed: seed, start: k, attempt: n, lower: lower, upper: upper)
            XCTAssertLessThanOrEqual(p[0], 0)
            XCTAssertTrue(zip(p, zip(lower, upper)).allSatisfy { $0 >= $1.0 && $0 <= $1.1 })
            for a in 1 ..< n { XCTAssertGreaterThan(MultiStart.replacement(seed: seed, start: k, attempt: a, lower: lower, upper: upper)[0], 0) }
        }
        // In a box with no usable point, every attempt is drawn and the start stays not finite.
        let none = MultiStart.minimize(
            HalfUsableQuadratic(), from: [1, 1], index: 0, optimizer: TrustRegionOptimizer(), attempts: 5, seed: seed, lower: [0.5, 0],
            upper: [1, 1])
        XCTAssertEqual(none.resamples, 5)
        XCTAssertEqual(none.exit, .notFinite)
        XCTAssertEqual(none.evaluations, 6)
    }

    func testResampledStartsDependOnlyOnTheSeed() throws {
        let one = try run(indices: Array(0 ..< count), threads: 1, attempts: 20)
        let three = try run(indices: Array(0 ..< count), threads: 3, attempts: 20)
        let sharded = try
            (try run(indices: MultiStart.shard(count: count, index: 0, of: 3), threads: 2, attempts: 20)
            + run(indices: MultiStart.shard(count: count, index: 1, of: 3), threads: 1, attempts: 20)
            + run(indices: MultiStart.shard(count: count, index: 2, of: 3), threads: 2, attempts: 20)).sorted { $0.index < $1.index }
        for other in [three, sharded] {
            XCTAssertEqual(other.map(\.index), one.map(\.index))
            XCTAssertEqual(other.map(\.x), one.map(\.x))
            XCTAssertEqual(other.map(\.resamples), one.map(\.resamples))
        }
        // Another seed draws other replacements.
        let k = 0
        XCTAssertNotEqual(
            MultiStart.replacement(seed: seed, start: k, attempt: 1, lower: lower, upper: upper),
            MultiStart.replacement(seed: seed + 1, start: k, attempt: 1, lower: lower, upper: upper))
        XCTAssertNotEqual(
            MultiStart.replacement(seed: seed, start: k, attempt: 1, lower: lower, upper: upper),
            MultiStart.replacement(seed: seed, start: k + 1, attempt: 1, lower: lower, upper: upper))
    }

    func testResamplesAreRecordedInTheCheckpointAndSummary() throws {
        let url = try DecayProblem.write()
        let problem = try EstimationProblem(contentsOf: url)
        var moved = StartResult(index: 4, x: [-0.5, 0.3], value: 1.5, iterations: 3, evaluations: 4, seconds: 0.1, exit: .function)
        moved.resamples = 2
        var kept = moved
        kept.index = 1
        kept.resamples = 0
        let space = problem.space
        XCTAssertNil(FitFiles.resampleNote(kept))
        let text =
            FitFiles.header(space) + "\n" + FitFiles.resampleNote(moved)! + "\n" + FitFiles.row(moved, space: space) + "\n"
            + FitFiles.row(kept, space: space) + "\n"
        let back = try FitFiles.readStarts(text, space: space, file: "checkpoint")
        XCTAssertEqual(back.map(\.resamples), [2, 0])
        let summary = FitFiles.summary(
            back, space: space, seconds: 1, problem: "p", seed: 1, totalStarts: 5, shard: nil, fingerprint: "f", nominalLLH: nil)
        XCTAssertEqual(summary.resamples, ["4": 2])
        // Tables without the record (starts.tsv, older checkpoints) leave it unknown.
        let plain = try FitFiles.readStarts(FitFiles.startsTable([moved, kept], space: space), space: space, file: "starts.tsv")
        XCTAssertEqual(plain.map(\.resamples), [nil, nil])
        XCTAssertNil(
            FitFiles.summary(plain, space: space, seconds: 1, problem: "p", seed: 1, totalStarts: 5, shard: nil, fingerprint: "f", nominalLLH: nil)
                .resamples)
    }
}
