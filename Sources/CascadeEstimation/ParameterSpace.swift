import CascadeFormats
import Foundation

/// The estimated parameters of a PEtab problem on their scales: what an optimiser moves.
public struct ParameterSpace: Sendable, Hashable {
    public var ids: [String]
    public var scales: [PEtabParameter.Scale]
    /// Bounds and nominal values on the parameters' scales.
    public var lower: [Double]
    public var upper: [Double]
    public var nominal: [Double]

    public var dimension: Int { ids.count }

    /// The estimated parameters of `parameters`, checked: both bounds given and finite, lower
    /// below upper, positive bounds on log scales. Errors name the parameter file, line and column.
    public init(_ parameters: [PEtabParameter], file: String) throws {
        ids = []; scales = []; lower = []; upper = []; nominal = []
        for p in parameters where p.estimate {
            func fail(_ column: String, _ message: String) -> PEtabError {
                PEtabError(file: file, line: p.line, column: column, "parameter '\(p.id)': \(message)")
            }
            guard let lb = p.lowerBound, lb.isFinite else { throw fail("lowerBound", "an estimated parameter needs a finite lower bound") }
            guard let ub = p.upperBound, ub.isFinite else { throw fail("upperBound", "an estimated parameter needs a finite upper bound") }
            guard lb < ub else { throw fail("lowerBound", "lower bound \(Self.text(lb)) is not below upper bound \(Self.text(ub))") }
            if p.scale != .lin {
                guard lb > 0 else {
                    throw fail("lowerBound", "lower bound \(Self.text(lb)) is not positive, but the parameter is on a \(p.scale.rawValue) scale")
                }
            }
            ids.append(p.id)
            scales.append(p.scale)
            lower.append(Self.toScale(lb, p.scale))
            upper.append(Self.toScale(ub, p.scale))
            let v = p.nominalValue
            nominal.append(p.scale != .lin && !(v > 0) ? .nan : Self.toScale(v, p.scale))
        }
    }

    static func text(_ v: Double) -> String { String(format: "%.15g", v) }

    public static func toScale(_ v: Double, _ scale: PEtabParameter.Scale) -> Double {
        switch scale {
        case .lin: return v
        case .log: return Foundation.log(v)
        case .log10: return Foundation.log10(v)
        }
    }

    public static func fromScale(_ v: Double, _ scale: PEtabParameter.Scale) -> Double {
        switch scale {
        case .lin: return v
        case .log: return Foundation.exp(v)
        case .log10: return Foundation.pow(10, v)
        }
    }

    /// Linear values of scaled coordinates.
    public func linear(_ x: [Double]) -> [Double] { zip(x, scales).map { Self.fromScale($0, $1) } }
}
