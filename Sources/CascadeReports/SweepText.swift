import CascadeCore
import CascadeExperiments
import Foundation

extension SweepEffects {
    /// `<point columns>,time,readout,vehicle,treated,log2fc,call,confidence`, one row per point,
    /// time and readout.
    public func csv() -> String {
        var out = (pointColumns + ["time", "readout", "vehicle", "treated", "log2fc", "call", "confidence"]).map(csvField).joined(separator: ",") + "\n"
        for r in rows {
            out +=
                (r.point.map(csvField) + [
                    formatNumber(r.time), csvField(r.readout), formatNumber(r.vehicle), formatNumber(r.treated),
                    r.log2fc.map(formatNumber) ?? "", r.call.rawValue, formatNumber(r.confidence),
                ])
                .joined(separator: ",") + "\n"
        }
        return out
    }
}

/// Metadata as a flat JSON object with sorted keys.
public func metadataJSON(_ values: [String: String]) -> String {
    "{\n" + values.keys.sorted().map { "  \"\(jsonEscape($0))\": \"\(jsonEscape(values[$0]!))\"" }.joined(separator: ",\n") + "\n}\n"
}
