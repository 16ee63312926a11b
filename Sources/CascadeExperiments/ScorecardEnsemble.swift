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

    /// Runs the scorecard for every member (model parameter values, e.g. from
    /// `CalibrationMapping.variants`) and sets each addressed finding's and check's `ensemble`
    /// share in `results` (the nominal run on the same model). Members with the same values are
    /// simulated once and counted as often as they appear; a member whose simulation fails in any
    /// arm is reported in `failed` with the reason and left out of every share. All simulations
    /// (arms × distinct members) run in one parallel pool.
    public func runEnsemble(
        on model: Model, results: inout [FindingResult], members: [[String: Double]], ensembleFile: String = "", mappingFile: String = "",
        threads: Int = ProcessInfo.processInfo.activeProcessorCount
    ) throws -> EnsembleRun {
        let started = Date()
        guard results.map(\.id) == findings.map(\.id) else { throw ProtocolError("the results are not this scorecard's (run it on the model first)") }
        let (distinct, slot) = Ensemble.distinct(members)
        var compiled: CompiledProtocols = [:]
        let sets = try distinct.map { try jobs(on: model, values: $0, compiled: &compiled) }
        let simulated = simulate(sets, compiled: compiled, threads: threads)

        // Each distinct set's judgement, or the reason it failed.
        var judged: [[FindingResult]?] = []
        var reasons: [String?] = []
        for (v, jobs) in sets.enumerated() {
            var series: [Arm: ScorecardSeries] = [:]
            var reason: String?
            for (i, job) in jobs.enumerated() {
                switch simulated[v][i] {
                case .success(let s): series[job.arm] = s
                case .failure(let e): reason = reason ?? "\(job.description): \(e)"
                }
            }
            judged.append(reason == nil ? judge(series) : nil)
            reasons.append(reason)
        }

        var failed: [(Int, String)] = []
        var reproducedBy: [(Int, Set<String>)] = []
        for (m, v) in slot.enumerated() {
            if let r = reasons[v] {
                failed.append((m, r))
            } else if let own = judged[v] {
                reproducedBy.append((m, Set(own.filter(\.reproduced).map(\.id))))
            }
        }
        let counted = slot.compactMap { judged[$0] }
        for (f, r) in results.enumerated() where r.addressed {
            results[f].ensemble = EnsembleShare(members: counted.count, reproduced: counted.filter { $0[f].reproduced }.count)
            for k in r.checks.indices {
                results[f].checks[k].ensemble = EnsembleShare(members: counted.count, reproduced: counted.filter { $0[f].checks[k].passed }.count)
            }
        }
        let summary = EnsembleAgreement(
            members: members.count, distinct: distinct.count, failed: failed, simulations: sets.reduce(0) { $0 + $1.count },
            seconds: Date().timeIntervalSince(started), ensembleFile: ensembleFile, mappingFile: mappingFile)
        return EnsembleRun(summary: summary, reproducedBy: reproducedBy)
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
