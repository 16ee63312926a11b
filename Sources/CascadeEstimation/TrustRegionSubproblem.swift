import Foundation

/// The trust-region subproblem: minimise gᵀs + ½ sᵀHs subject to ‖s‖ ≤ Δ, solved exactly
/// (Moré & Sorensen 1983) from an eigendecomposition of H, including H indefinite and the
/// "hard case" (g orthogonal to the eigenvectors of the smallest eigenvalue).
enum TrustRegionSubproblem {
    static func solve(gradient g: [Double], hessian h: [Double], radius: Double) -> [Double] {
        let n = g.count
        let (lambda, q) = LinearAlgebra.symmetricEigen(h, n: n)
        // Gradient in the eigenbasis.
        var a = [Double](repeating: 0, count: n)
        for i in 0 ..< n { var s = 0.0; for k in 0 ..< n { s += q[k * n + i] * g[k] }; a[i] = s }
        func step(_ mu: Double) -> [Double] {
            var s = [Double](repeating: 0, count: n)
            for i in 0 ..< n {
                let d = lambda[i] + mu
                if d <= 0 { continue }
                let c = -a[i] / d
                for k in 0 ..< n { s[k] += c * q[k * n + i] }
            }
            return s
        }
        func length(_ mu: Double) -> Double {
            var s = 0.0
            for i in 0 ..< n { let d = lambda[i] + mu; if d > 0 { s += a[i] * a[i] / (d * d) } }
            return s.squareRoot()
        }
        let scale = max(LinearAlgebra.maxAbs(lambda), 1)
        let smallest = lambda.first ?? 0
        let tiny = 1e-12 * scale
        // Interior Newton step when H is positive definite and the step fits.
        if smallest > tiny && length(0) <= radius { return step(0) }
        let low = max(0, -smallest)
        // Components along the smallest eigenvalue(s).
        let degenerate = (0 ..< n).filter { lambda[$0] <= smallest + tiny }
        let along = degenerate.reduce(0.0) { $0 + a[$1] * a[$1] }.squareRoot()
        let gnorm = LinearAlgebra.norm(g)
        if along <= 1e-10 * max(gnorm, .leastNormalMagnitude) {
            // Possibly the hard case: the step at μ = -λmin ignoring those components.
            var s0 = [Double](repeating: 0, count: n)
            var len2 = 0.0
            for i in 0 ..< n where !degenerate.contains(i) {
                let d = lambda[i] + low
                let c = -a[i] / d
                len2 += c * c
                for k in 0 ..< n { s0[k] += c * q[k * n + i] }
            }
            if len2.squareRoot() <= radius {
                let tau = (radius * radius - len2).squareRoot()
                let z = degenerate[0]
                for k in 0 ..< n { s0[k] += tau * q[k * n + z] }
                return s0
            }
        }
        // Find μ > low with ‖s(μ)‖ = Δ: Newton on 1/‖s‖ − 1/Δ, safeguarded by bisection.
        var lo = low, hi = low + gnorm / radius + scale
        while length(hi) > radius { hi *= 2 }
        var mu = (lo == 0 && smallest > tiny) ? 0 : min(hi, lo + max(tiny, 1e-8 * scale))
        for _ in 0 ..< 200 {
            let l = length(mu)
            if abs(l - radius) <= 1e-10 * radius { break }
            if l > radius { lo = mu } else { hi = mu }
            var d3 = 0.0
            for i in 0 ..< n { let d = lambda[i] + mu; if d > 0 { d3 += a[i] * a[i] / (d * d * d) } }
            // φ(μ) = 1/‖s‖ − 1/Δ, φ' = Σ aᵢ²/(λᵢ+μ)³ / ‖s‖³.
            let phi = 1 / l - 1 / radius
            let dphi = d3 / (l * l * l)
            var next = mu - phi / dphi
            if !(next > lo && next < hi) || !next.isFinite { next = 0.5 * (lo + hi) }
            if hi - lo <= 1e-15 * max(1, hi) { mu = next; break }
            mu = next
        }
        return step(mu)
    }

    /// The subproblem restricted to a two-dimensional subspace (Byrd, Schnabel & Shultz 1988; the
    /// subspace of Coleman & Li 1994, fides' default): for H positive definite the span of the
    /// Newton step and the gradient, the Newton step itself when it fits in the region; otherwise
    /// the span of the eigenvector of the most negative eigenvalue and the gradient. The 2 × 2
    /// problem is solved exactly.
    static func solveTwoDimensional(gradient g: [Double], hessian h: [Double], radius: Double) -> [Double] {
        let n = g.count
        let (lambda, q) = LinearAlgebra.symmetricEigen(h, n: n)
        let largest = max(LinearAlgebra.maxAbs(lambda), .leastNormalMagnitude)
        var first: [Double]
        if (lambda.first ?? 0) > -Double.ulpOfOne * largest {
            // Newton step −H⁺g (small eigenvalues left out, as a least-squares solution).
            first = [Double](repeating: 0, count: n)
            for i in 0 ..< n where lambda[i] > Double.ulpOfOne * largest * Double(n) {
                var a = 0.0
                for k in 0 ..< n { a += q[k * n + i] * g[k] }
                for k in 0 ..< n { first[k] -= a / lambda[i] * q[k * n + i] }
            }
            if LinearAlgebra.norm(first) < radius { return first }
        } else {
            first = (0 ..< n).map { q[$0 * n] }
        }
        // Orthonormal basis {u, w} of span{first, g}.
        let firstNorm = LinearAlgebra.norm(first)
        guard firstNorm > 0 else { return solve(gradient: g, hessian: h, radius: radius) }
        let u = first.map { $0 / firstNorm }
        let along = LinearAlgebra.dot(u, g)
        var w = (0 ..< n).map { g[$0] - along * u[$0] }
        let wNorm = LinearAlgebra.norm(w)
        var basis = [u]
        if wNorm > Double.ulpOfOne * max(LinearAlgebra.norm(g), .leastNormalMagnitude) {
            w = w.map { $0 / wNorm }
            basis.append(w)
        }
        let m = basis.count
        let hb = basis.map { LinearAlgebra.times(h, $0) }
        var reduced = [Double](repeating: 0, count: m * m)
        for i in 0 ..< m { for j in 0 ..< m { reduced[i * m + j] = LinearAlgebra.dot(basis[i], hb[j]) } }
        for i in 0 ..< m { for j in 0 ..< i { let v = 0.5 * (reduced[i * m + j] + reduced[j * m + i]); reduced[i * m + j] = v; reduced[j * m + i] = v } }
        let c = solve(gradient: basis.map { LinearAlgebra.dot($0, g) }, hessian: reduced, radius: radius)
        var step = [Double](repeating: 0, count: n)
        for i in 0 ..< m { for k in 0 ..< n { step[k] += c[i] * basis[i][k] } }
        return step
    }
}

/// The subproblem solvers, for tests.
public enum TrustRegionSubproblemAccess {
    /// The exact full-space solution.
    public static func full(_ g: [Double], _ h: [Double], _ radius: Double) -> [Double] {
        TrustRegionSubproblem.solve(gradient: g, hessian: h, radius: radius)
    }
    /// The two-dimensional subspace solution.
    public static func twoDimensional(_ g: [Double], _ h: [Double], _ radius: Double) -> [Double] {
        TrustRegionSubproblem.solveTwoDimensional(gradient: g, hessian: h, radius: radius)
    }
}
