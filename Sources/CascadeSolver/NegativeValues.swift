import CascadeCore

/// A species that went far below zero in a simulation: a sign that a rate law does not vanish
/// at zero, or that a parameter or input has the wrong sign. Reported, never corrected (the
/// numbers stay what the model says).
public struct NegativeSpecies: Hashable, Sendable, CustomStringConvertible {
    public var id: String
    /// The first output time at which it was far below zero, and its value then.
    public var time: Double
    public var value: Double
    /// The largest magnitude it had in the simulation (its scale).
    public var scale: Double

    public var description: String {
        "species '\(id)' falls to \(value) at t = \(time), far below zero for its scale (largest magnitude \(scale)); "
            + "a rate law that does not vanish at zero, or a parameter or input of the wrong sign?"
    }
}

extension Trajectory {
    /// Species columns that fall below zero by more than the integration's error can explain:
    /// below −(100 · atol + 100 · rtol · scale), where scale is the column's largest magnitude.
    /// Solutions of a well-posed model stay within rtol · scale + atol of non-negative values.
    public func negativeSpecies(_ model: Model, options: SolverOptions) -> [NegativeSpecies] {
        let species = Set(model.species.map(\.id))
        var found: [NegativeSpecies] = []
        for (c, column) in columns.enumerated() where species.contains(column.id) {
            var scale = 0.0
            for r in 0 ..< rowCount where self[r, c].isFinite { scale = max(scale, abs(self[r, c])) }
            let bound = -(100 * options.absoluteTolerance + 100 * options.relativeTolerance * scale)
            if let r = (0 ..< rowCount).first(where: { self[$0, c] < bound }) {
                found.append(NegativeSpecies(id: column.id, time: times[r], value: self[r, c], scale: scale))
            }
        }
        return found
    }
}
