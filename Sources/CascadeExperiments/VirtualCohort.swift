import CascadeCore
import CascadeFormats
import CascadeSolver
import Foundation

// MARK: - Random numbers

extension SplitMix64 {
    /// A standard normal deviate by the Box-Muller transform (cosine branch; two uniforms per
    /// deviate, none cached, so every deviate depends only on the generator's position).
    public mutating func normal() -> Double {
        let u1 = 1 - unit()  // (0, 1]: log is finite
        let u2 = unit()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }
}

// MARK: - Virtual cohorts

/// How one parameter varies across a virtual cohort: log-normal with its median at the nominal
/// value and the given coefficient of variation, ln X ~ N(ln nominal, σ²), σ² = ln(1 + CV²).
public struct ParameterVariation: Hashable, Sendable {
    public var id: String
    public var cv: Double
    /// Values above this are set to it (for fractions and weights that must stay ≤ 1).
    public var maximum: Double?
    public var source: String

    public init(id: String, cv: Double, maximum: Double? = nil, source: String = "") {
        self.id = id
        self.cv = cv
        self.maximum = maximum
        self.source = source
    }

    /// The standard deviation of ln X.
    public var sigma: Double { Foundation.log(1 + cv * cv).squareRoot() }
}

/// A virtual cohort's recipe: size, seed and the stated distribution of each varied parameter.
///
///     cohort:
///       size: 100
///       seed: 20250501
///       cv: 0.25                      # default coefficient of variation
///       parameters:
///         J_Ca_NMDA: {cv: 0.3, source: "..."}
///         mTOR_total: {}              # the default CV
///         nmda_share_int: {cv: 0.2, max: 1}
///         mor_tone: 0.4               # a bare number is the CV
///
/// The generator is the project's SplitMix64 (CascadeSolver; Steele, Lea & Flood 2014). Member k
/// draws from its own stream, seeded with the first output of SplitMix64(seed + k·0x9E3779B97F4A7C15)
/// (a hashed seed, so members' streams start at unrelated points of the cycle), one normal deviate
/// (Box-Muller) per parameter in file order: member k is the same in a cohort of any size.
public struct CohortSpec: Hashable, Sendable {
    public var size: Int
    public var seed: UInt64
    public var variations: [ParameterVariation]

    public init(size: Int, seed: UInt64, variations: [ParameterVariation]) {
        self.size = size
        self.seed = seed
        self.variations = variations
    }

    /// Reads a `cohort:` node; `settable` says whether an id is a parameter the simulations can set.
    public static func load(_ node: YAMLValue, settable: (String) -> Bool) throws -> CohortSpec {
        try node.allowOnly(["size", "seed", "cv", "parameters", "description"])
        let sizeNode = try node.required("size")
        let size = try sizeNode.int()
        guard size >= 2 else { throw sizeNode.error("a cohort needs at least 2 members, got \(size)") }
        let seedNode = try node.required("seed")
        let seedText = try seedNode.string().trimmingCharacters(in: .whitespaces)
        guard let seed = UInt64(seedText) else { throw seedNode.error("the seed must be a whole number from 0 to 2^64-1, got '\(seedText)'") }
        let defaultCV = try node["cv"]?.double() ?? 0.25
        guard defaultCV > 0 else { throw try node.required("cv").error("the coefficient of variation must be positive") }
        var variations: [ParameterVariation] = []
        for (id, v) in try node.required("parameters").entries() {
            guard settable(id) else {
                throw v.error("unknown parameter '\(id)': not a constant parameter of the model that a simulation can set")
            }
            var cv = defaultCV
            var maximum: Double?
            var source = ""
            switch v.node {
            case .mapping:
                try v.allowOnly(["cv", "max", "source", "confidence", "note"])
                if let c = v["cv"] { cv = try c.double() }
                maximum = try v["max"]?.double()
                source = try v["source"]?.string() ?? ""
            default:
                cv = try v.double()
            }
            guard cv > 0, cv.isFinite else { throw v.error("the coefficient of variation must be positive, got \(cv)") }
            if let m = maximum, !(m > 0) { throw v.error("max must be positive") }
            if variations.contains(where: { $0.id == id }) { throw v.error("'\(id)' is listed twice") }
            variations.append(ParameterVariation(id: id, cv: cv, maximum: maximum, source: source))
        }
        guard !variations.isEmpty else { throw node.error("list at least one parameter to vary") }
        return CohortSpec(size: size, seed: seed, variations: variations)
    }
}

/// Sampled parameter sets: member k's value of variation j is `members[k][j]`.
public struct VirtualCohort: Hashable, Sendable {
    public var spec: CohortSpec
    /// The nominal (median) value of each varied parameter.
    public var nominal: [Double]
    public var members: [[Double]]

    /// Samples the cohort around `nominal` (each varied parameter's value before variation).
    public static func sample(_ spec: CohortSpec, nominal: [String: Double]) throws -> VirtualCohort {
        var centre: [Double] = []
        for v in spec.variations {
            guard let x = nominal[v.id], x > 0, x.isFinite else {
                throw InputError(
                    file: "", field: "cohort.parameters.\(v.id)",
                    message: "'\(v.id)' has no positive nominal value to vary around (\(nominal[v.id].map(formatNumber) ?? "none"))")
            }
            centre.append(x)
        }
        var members: [[Double]] = []
        members.reserveCapacity(spec.size)
        for k in 0 ..< spec.size {
            var rng = memberGenerator(seed: spec.seed, member: k)
            var row: [Double] = []
            for (j, v) in spec.variations.enumerated() {
                var x = centre[j] * Foundation.exp(v.sigma * rng.normal())
                if let m = v.maximum { x = min(x, m) }
                row.append(x)
            }
            members.append(row)
        }
        return VirtualCohort(spec: spec, nominal: centre, members: members)
    }

    /// Member k's own generator: SplitMix64 seeded with the first output of
    /// SplitMix64(seed + k·0x9E3779B97F4A7C15).
    public static func memberGenerator(seed: UInt64, member k: Int) -> SplitMix64 {
        var hash = SplitMix64(seed: seed &+ UInt64(k) &* 0x9E37_79B9_7F4A_7C15)
        return SplitMix64(seed: hash.next())
    }

    /// Member k's parameter values by id.
    public func values(_ k: Int) -> [String: Double] {
        var out: [String: Double] = [:]
        for (j, v) in spec.variations.enumerated() { out[v.id] = members[k][j] }
        return out
    }
}
