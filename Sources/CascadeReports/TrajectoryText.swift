import CascadeCore
import CascadeSolver
import Foundation

/// A simulated trajectory as text.
public enum TrajectoryText {
    /// Renders a trajectory as CSV, TSV or JSON.
    public static func render(_ traj: Trajectory, format: String, header: [String]) -> String {
        switch format {
        case "json":
            var rows: [String] = []
            for r in 0 ..< traj.rowCount {
                let vals = [traj.times[r]] + (0 ..< traj.columns.count).map { traj[r, $0] }
                rows.append("[" + vals.map { v in v.isFinite ? formatNumber(v) : "null" }.joined(separator: ", ") + "]")
            }
            let cols = header.map { "\"\(jsonEscape($0))\"" }.joined(separator: ", ")
            return "{\"columns\": [\(cols)],\n \"rows\": [\n  " + rows.joined(separator: ",\n  ") + "\n]}\n"
        default:
            let sep = format == "tsv" ? "\t" : ","
            var out = header.joined(separator: sep) + "\n"
            for r in 0 ..< traj.rowCount {
                let vals = [traj.times[r]] + (0 ..< traj.columns.count).map { traj[r, $0] }
                out += vals.map(formatNumber).joined(separator: sep) + "\n"
            }
            return out
        }
    }
}
