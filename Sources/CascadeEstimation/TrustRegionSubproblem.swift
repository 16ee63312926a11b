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
}
