import Foundation

/// What an optimiser learns at one point: the value to minimise, and optionally its gradient and a
/// symmetric positive semi-definite approximation of its Hessian (Gauss-Newton / Fisher
/// information), row-major n × n.
///
/// A value that is not finite (a simulation that failed, say) marks the point as unusable: the
/// optimiser rejects the step and shrinks its trust region.
public struct Evaluation: Sendable {
    public var value: Double
    public var gradient: [Double]?
    public var hessian: [Double]?

    public init(value: Double, gradient: [Double]? = nil, hessian: [Double]? = nil) {
        self.value = value
        self.gradient = gradient
        self.hessian = hessian
    }

    /// An unusable point.
    public static let failed = Evaluation(value: .nan)
}

/// A function to minimise, on the optimiser's coordinates (the parameters' scales).
///
/// One instance is used by one thread at a time; multi-start fits make one per worker.
public protocol Objective: AnyObject {
    /// Number of coordinates.
    var dimension: Int { get }
    /// The value, and when `derivatives` is true its gradient and Hessian approximation.
    func evaluate(_ x: [Double], derivatives: Bool) -> Evaluation
}

/// A least-squares objective ½ Σ rᵢ(x)², built from residuals and their Jacobian; the Hessian
/// approximation is the Gauss-Newton matrix JᵀJ.
public final class LeastSquaresObjective: Objective {
    public let dimension: Int
    /// Residuals at x and, when asked, the Jacobian (row-major, residuals × dimension).
    public let residuals: ([Double], Bool) -> (r: [Double], jacobian: [Double]?)

    public init(dimension: Int, residuals: @escaping ([Double], Bool) -> (r: [Double], jacobian: [Double]?)) {
        self.dimension = dimension
        self.residuals = residuals
    }

    public func evaluate(_ x: [Double], derivatives: Bool) -> Evaluation {
        let (r, jac) = residuals(x, derivatives)
        var value = 0.0
        for v in r { value += v * v }
        value *= 0.5
        guard derivatives, let jac else { return Evaluation(value: value) }
        return Evaluation(
            value: value, gradient: LinearAlgebra.transposeTimes(jac, r, rows: r.count, columns: dimension),
            hessian: LinearAlgebra.gram(jac, rows: r.count, columns: dimension))
    }
}

/// An objective with some coordinates held at fixed values (profiles): the optimiser sees only
/// the free ones.
public final class FixedCoordinatesObjective: Objective {
    public let base: Objective
    public let free: [Int]
    public var full: [Double]

    /// `full` gives the values of every coordinate; those not in `free` stay as given.
    public init(_ base: Objective, free: [Int], full: [Double]) {
        self.base = base
        self.free = free
        self.full = full
    }

    public var dimension: Int { free.count }

    public func expand(_ x: [Double]) -> [Double] {
        var y = full
        for (k, i) in free.enumerated() { y[i] = x[k] }
        return y
    }

    public func evaluate(_ x: [Double], derivatives: Bool) -> Evaluation {
        let e = base.evaluate(expand(x), derivatives: derivatives)
        guard derivatives, let g = e.gradient else { return Evaluation(value: e.value) }
        let n = base.dimension
        let h = e.hessian.map { h in free.flatMap { i in free.map { j in h[i * n + j] } } }
        return Evaluation(value: e.value, gradient: free.map { g[$0] }, hessian: h)
    }
}
