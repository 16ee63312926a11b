import CascadeFormats
import Foundation

/// Simulated observables for every row of a measurement table, with the noise formulas'
/// values, as a PEtab simulation table and as measurement–simulation pairs.
public struct PEtabSimulationResult: Sendable {
    public let measurements: PEtabMeasurementTable
    /// One per measurement row, untransformed (the observable formula's value).
    public let simulations: [Double]
    /// The noise formula's value per row (σ for normal noise, the scale b for Laplace); NaN when
    /// the observable has no noise formula.
    public let sigmas: [Double]
    let observables: [PEtabObservable]

    /// The simulation table: the measurement table's columns and rows with `simulation` in place
    /// of `measurement`.
    public var table: PEtabTable {
        var columns = measurements.table.columns
        let valueColumn = columns.firstIndex(of: measurements.valueColumn)!
        columns[valueColumn] = "simulation"
        var rows = measurements.table.rows
        for r in rows.indices { rows[r][valueColumn] = PEtabNumber.format(simulations[r]) }
        return PEtabTable(file: "simulation", columns: columns, rows: rows, lines: measurements.table.lines)
    }

    /// Each measurement with its simulation, noise and residual.
    public var pairs: [PEtabPair] {
        measurements.measurements.enumerated().map { r, m in
            PEtabPair(
                measurement: m, simulation: simulations[r], sigma: sigmas[r].isNaN ? nil : sigmas[r],
                transformation: observables[r].transformation, noiseDistribution: observables[r].noiseDistribution)
        }
    }
}

/// A measurement next to its simulation.
public struct PEtabPair: Hashable, Sendable {
    public var measurement: PEtabMeasurement
    /// The simulated observable (untransformed); nil when no simulation matched.
    public var simulation: Double?
    /// The noise formula's value, when known.
    public var sigma: Double?
    public var transformation: PEtabTransformation
    public var noiseDistribution: String

    public init(
        measurement: PEtabMeasurement, simulation: Double?, sigma: Double? = nil,
        transformation: PEtabTransformation = .lin, noiseDistribution: String = "normal"
    ) {
        self.measurement = measurement
        self.simulation = simulation
        self.sigma = sigma
        self.transformation = transformation
        self.noiseDistribution = noiseDistribution
    }

    /// measured − simulated, on the observable's transformation scale.
    public var difference: Double? {
        guard let s = simulation, !measurement.value.isNaN else { return nil }
        return transformation.apply(measurement.value) - transformation.apply(s)
    }

    /// The difference in units of σ.
    public var residual: Double? {
        guard let d = difference, let sigma, sigma > 0 else { return nil }
        return d / sigma
    }

    /// The measurement's negative log-likelihood under the noise model, on the transformation
    /// scale (normal: ½ log(2πσ²) + ½ r²; Laplace: log(2σ) + |r|), without the Jacobian term of
    /// the transformation.
    public var negativeLogLikelihood: Double? {
        guard let d = difference, let sigma, sigma > 0 else { return nil }
        if noiseDistribution == "laplace" { return Foundation.log(2 * sigma) + abs(d) / sigma }
        return 0.5 * Foundation.log(2 * Double.pi * sigma * sigma) + 0.5 * (d / sigma) * (d / sigma)
    }
}

/// Pairing measurements with simulations from separate tables (e.g. plate data and a
/// simulation table written earlier).
public enum PEtabPairing {
    /// Pairs each measurement with a simulation row for the same observable, simulation and
    /// pre-equilibration conditions and time. Rows with equal keys are paired in order; the
    /// observable parameters are part of the key when both tables give the same text for them.
    /// Measurements without a simulation get `simulation == nil`.
    public static func pair(
        measurements: PEtabMeasurementTable, simulations: PEtabMeasurementTable,
        observables: [PEtabObservable] = []
    ) -> [PEtabPair] {
        struct Key: Hashable { var obs: String; var sim: String; var pre: String?; var time: Double; var parameters: String? }
        func key(_ m: PEtabMeasurement, withParameters: Bool) -> Key {
            Key(
                obs: m.observableId, sim: m.simulationConditionId, pre: m.preequilibrationConditionId, time: m.time,
                parameters: withParameters ? m.observableParameters.map(\.description).joined(separator: ";") : nil)
        }
        var exact: [Key: [Int]] = [:], loose: [Key: [Int]] = [:]
        for (i, s) in simulations.measurements.enumerated() {
            exact[key(s, withParameters: true), default: []].append(i)
            loose[key(s, withParameters: false), default: []].append(i)
        }
        var used = Set<Int>()
        let transformations = Dictionary(observables.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [PEtabPair] = []
        for m in measurements.measurements {
            var match: Int?
            for candidates in [exact[key(m, withParameters: true)], loose[key(m, withParameters: false)]] {
                if let c = candidates?.first(where: { !used.contains($0) }) { match = c; break }
            }
            // All simulations for the key already used: rows repeat (replicates); reuse the first.
            if match == nil { match = exact[key(m, withParameters: true)]?.first ?? loose[key(m, withParameters: false)]?.first }
            if let c = match { used.insert(c) }
            let o = transformations[m.observableId]
            out.append(
                PEtabPair(
                    measurement: m, simulation: match.map { simulations.measurements[$0].value },
                    transformation: o?.transformation ?? .lin, noiseDistribution: o?.noiseDistribution ?? "normal"))
        }
        return out
    }
}
