import CascadeCore
import Foundation

/// A mechanism hypothesis: a named set of parameter values (switches and route weights) over the
/// one model, e.g. models/hypotheses/direct_gated.yaml:
///
///     id: direct_gated
///     description: The direct route alone, with the opioid gate.
///     parameters:
///       route_direct: {value: 1, note: "..."}
///       route_disinhibition: {value: 0}
///       opioid_gate: 1
public struct Hypothesis: Hashable, Sendable {
    public var id: String
    public var description: String
    public var values: [String: Double]
    /// Parameter ids in file order.
    public var order: [String]
    public var file: String

    public init(id: String, description: String = "", values: [String: Double], order: [String]? = nil, file: String = "") {
        self.id = id
        self.description = description
        self.values = values
        self.order = order ?? values.keys.sorted()
        self.file = file
    }

    /// Loads a hypothesis file; every parameter must be one a simulation can set (`settable`),
    /// else the error names the file, line and field.
    public static func load(_ url: URL, settable: (String) -> Bool) throws -> Hypothesis {
        let root = try YAMLValue.load(url)
        try root.allowOnly(["id", "description", "parameters", "sources", "rationale"])
        let id = try root.required("id").string()
        var values: [String: Double] = [:]
        var order: [String] = []
        let params = try root.required("parameters")
        for (p, v) in try params.entries() {
            guard settable(p) else {
                throw v.error("hypothesis '\(id)' sets unknown parameter '\(p)': not a constant parameter of the model that a simulation can set")
            }
            if case .mapping = v.node {
                try v.allowOnly(["value", "note", "source", "confidence"])
                values[p] = try v.required("value").double()
            } else {
                values[p] = try v.double()
            }
            order.append(p)
        }
        guard !values.isEmpty else { throw params.error("a hypothesis sets at least one parameter") }
        return Hypothesis(
            id: id, description: try root["description"]?.string().trimmingCharacters(in: .whitespacesAndNewlines) ?? "",
            values: values, order: order, file: url.path)
    }

    /// `route_direct=1, route_disinhibition=0, ...`
    public var summary: String { order.map { "\($0)=\(formatNumber(values[$0]!))" }.joined(separator: ", ") }
}
