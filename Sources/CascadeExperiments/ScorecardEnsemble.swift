import CascadeCore
import CascadeSolver
import Foundation

// MARK: - The scorecard over a calibrated ensemble

extension Scorecard {
    /// In how many members of an ensemble a finding or a check holds.
    public struct EnsembleShare: Hashable, Sendable {
        /// Members that simulated (the denominator; failed members are left out).
        public var members: Int
        /// Members in which the finding is reproduced (the check passes).
        public var reproduced: Int

        public init(members: Int, reproduced: Int) {
            self.members = members
            self.reproduced = reproduced
        }

        /// reproduced / members; nil when no member simulated.
        public var share: Double? { members == 0 ? nil : Double(reproduced) / Double(members) }
    }

    /// The scorecard run for every member of an ensemble: the run's figures, and for each member
    /// that simulated, which findings it reproduces.
    public struct EnsembleRun: Sendable {
        /// Members, distinct sets, failed members with the first failure (left out of the
        /// shares), simulations, seconds and files, as for the knockout screen.
        public var summary: EnsembleAgreement
        /// For each member that simulated (in member order): the ids of the findings it reproduces.
        public var reproducedBy: [(member: Int, findings: Set<String>)]
    }

    /// Runs the scorecard on the model (the nominal results, as `run`) and for every member
    /// (model parameter values, e.g. from `CalibrationMapping.variants`), and sets each addressed
    /// finding's and check's `ensemble` share. Members with the same values are simulated once
    /// and counted as often as they appear; a member whose simulation fails in any arm is reported
    /// in `failed` with the reason and left out of every share; a failure of the nominal model
    /// throws, as `run` does. All simulations (arms × (distinct members + the nominal set)) run in
    /// one parallel pool on models compiled once.
    public func runEnsemble(
        on model: Model, members: [[String: Double]], ensembleFile: String = "", mappingFile: String = "",
        threads: Int = ProcessInfo.processInfo.activeProcessorCount
    ) throws -> (results: [FindingResult], run: EnsembleRun) {
        let started = Date()
        let (distinct, slot) = Ensemble.distinct(members)
        let needs = needs()
        var compiled: CompiledProtocols = [:]
        let sets = try ([[:]] + distinct).map { try jobs(on: model, values: $0, needs: needs, compiled: &compiled) }
        let simulated = simulate(sets, compiled: compiled, threads: threads)
        var results = judge(try series(sets[0], simulated[0]).get())

        // Each distinct set's judgement, or the reason it failed.
        let own: [Result<[FindingResult], ProtocolError>] = (1 ..< sets.count).map { v in series(sets[v], simulated[v]).map(judge) }
        var failed: [(Int, String)] = []
        var reproducedBy: [(Int, Set<String>)] = []
        var counted: [[FindingResult]] = []
        for (m, v) in slot.enumerated() {
            switch own[v] {
            case .failure(let e): failed.append((m, e.description))
            case .success(let r):
                counted.append(r)
                reproducedBy.append((m, Set(r.filter(\.reproduced).map(\.id))))
            }
        }
        for (f, r) in results.enumerated() where r.addressed {
            results[f].ensemble = EnsembleShare(members: counted.count, reproduced: counted.filter { $0[f].reproduced }.count)
            for k in r.checks.indices {
                results[f].checks[k].ensemble = EnsembleShare(members: counted.count, reproduced: counted.filter { $0[f].checks[k].passed }.count)
            }
        }
        let summary = EnsembleAgreement(
            members: members.count, distinct: distinct.count, failed: failed, simulations: sets.dropFirst().reduce(0) { $0 + $1.count },
            seconds: Date().timeIntervalSince(started), ensembleFile: ensembleFile, mappingFile: mappingFile)
        return (results, EnsembleRun(summary: summary, reproducedBy: reproducedBy))
    }

    /// The ensemble's view of a set's counted findings: over the members that simulated, the
    /// mean, least and most counted findings reproduced, and the counted findings reproduced in
    /// at least `level` of the members.
    public static func ensembleTally(_ results: [FindingResult], _ run: EnsembleRun, set: String, level: Double = 0.8) -> (
        counted: Int, mean: Double, least: Int, most: Int, robust: [String]
    ) {
        let counted = results.filter { $0.set == set && $0.counted }
        let ids = Set(counted.map(\.id))
        let per = run.reproducedBy.map { $0.findings.intersection(ids).count }
        let mean = per.isEmpty ? Double.nan : Double(per.reduce(0, +)) / Double(per.count)
        let robust = counted.filter { ($0.ensemble?.share ?? 0) >= level }.map(\.id)
        return (counted.count, mean, per.min() ?? 0, per.max() ?? 0, robust)
    }
}
