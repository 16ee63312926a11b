import CascadeCore
import Foundation

extension PlanResult {
    /// Every compound on the plate: the treatments, then the inhibitors in the order they first
    /// appear in the chosen cells.
    public var compounds: [String] {
        var out = spec.experiment.treatments.map(\.id)
        for c in cells { for d in c.condition.inhibitors.keys.sorted() where !out.contains(d) { out.append(d) } }
        return out
    }

    /// The concentration (µM) of a compound a well receives (0 when it receives its vehicle).
    public func concentration(of compound: String, in w: PlateWell) -> Double {
        guard w.cell != nil else { return 0 }
        if let i = w.inhibitors.firstIndex(of: compound) { return w.concentrations[i] }
        if w.treatment == compound || (w.treatment != "vehicle" && w.treatment.split(separator: "+").contains(Substring(compound))) {
            return spec.experiment.protocolSteps.steps.compactMap { s -> Double? in
                if case .add(let t, let c) = s.operation, t == compound { return c } else { return nil }
            }.first ?? 0
        }
        return 0
    }

    /// The compounds whose vehicle a used well receives instead of the compound, so every used
    /// well carries the same solvents (a matched vehicle).
    public func vehicles(of w: PlateWell) -> [String] {
        guard w.cell != nil else { return [] }
        return compounds.filter { concentration(of: $0, in: w) == 0 }
    }
}

/// What a person or a liquid handler does to the plate, step by step: additions of each compound
/// (and of its vehicle to the wells that do not get it), washes, and the reads at each time by
/// each assay.
public struct PlateSchedule: Hashable, Sendable {
    public struct Entry: Hashable, Sendable {
        /// Seconds relative to the treatment (negative before it).
        public var time: Double
        /// `add`, `add vehicle`, `wash`, `sample` (a non-destructive read: supernatant aliquot,
        /// MEA recording), `read` (the destructive endpoint).
        public var action: String
        /// The compound added or washed, or the assay read.
        public var compound: String
        /// µM for additions; nil otherwise.
        public var concentration: Double?
        public var wells: [String]
    }
    public var entries: [Entry]

    /// The schedule of a plan: the experiment's protocol applied to the wells of each cell, then
    /// the reads. Entries in time order; at one time, in protocol order, reads last.
    public init(_ plan: PlanResult) {
        var entries: [Entry] = []
        let used = plan.wells.filter { $0.cell != nil }
        let protocolSteps = plan.spec.experiment.protocolSteps.steps
        let ownAdds = Set(
            protocolSteps.compactMap { s -> String? in
                if case .addInhibitor(let id, _) = s.operation { return id } else { return nil }
            })
        /// Wells not yet read (lysed or fixed) at time t.
        func alive(_ t: Double) -> [PlateWell] { used.filter { $0.time! >= t } }
        func additions(_ compound: String, at t: Double, given: Double? = nil) {
            var byConcentration: [Double: [String]] = [:]
            var vehicle: [String] = []
            for w in alive(t) {
                let c = plan.concentration(of: compound, in: w)
                if c > 0 { byConcentration[given ?? c, default: []].append(w.well) } else { vehicle.append(w.well) }
            }
            for c in byConcentration.keys.sorted() {
                entries.append(Entry(time: t, action: "add", compound: compound, concentration: c, wells: byConcentration[c]!))
            }
            if !vehicle.isEmpty { entries.append(Entry(time: t, action: "add vehicle", compound: compound, concentration: nil, wells: vehicle)) }
        }
        let inhibitors = plan.compounds.filter { plan.spec.experiment.panel[$0] != nil }
        for step in protocolSteps {
            switch step.operation {
            case .preincubate:
                for d in inhibitors where !ownAdds.contains(d) { additions(d, at: step.time) }
            case .addInhibitor(let d, let c):
                if inhibitors.contains(d) { additions(d, at: step.time, given: c) }
            case .add(let t, _):
                additions(t, at: step.time)
            case .wash(let ids):
                let washed = ids.flatMap { $0 == "inhibitors" ? inhibitors : [$0] }
                for id in washed where plan.compounds.contains(id) {
                    // Every used well is washed, so the wells without the compound are handled the same way.
                    entries.append(Entry(time: step.time, action: "wash", compound: id, concentration: nil, wells: alive(step.time).map(\.well)))
                }
            case .set:
                continue
            }
        }
        // At each read time: the non-destructive samples first (a supernatant aliquot, an MEA
        // recording), then the destructive endpoint (lysis, fixation).
        var reads: [Double: [String: [String]]] = [:], samples: [Double: [String: [String]]] = [:]
        for w in used {
            reads[w.time!, default: [:]][w.assay!, default: []].append(w.well)
            for a in w.alsoRead { samples[w.time!, default: [:]][a, default: []].append(w.well) }
        }
        for t in reads.keys.sorted() {
            for a in (samples[t] ?? [:]).keys.sorted() {
                entries.append(Entry(time: t, action: "sample", compound: a, concentration: nil, wells: samples[t]![a]!))
            }
            for a in reads[t]!.keys.sorted() {
                entries.append(Entry(time: t, action: "read", compound: a, concentration: nil, wells: reads[t]![a]!))
            }
        }
        // Stable by time: protocol order within a time, reads after the protocol's steps.
        self.entries = entries.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
    }
}
