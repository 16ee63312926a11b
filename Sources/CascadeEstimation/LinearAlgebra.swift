import Foundation

/// Dense linear algebra for the small matrices of an optimiser (tens to a few hundred
/// coordinates). Matrices are row-major `[Double]`.
public enum LinearAlgebra {
    public static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in a.indices { s += a[i] * b[i] }
        return s
    }

    public static func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }

    public static func maxAbs(_ a: [Double]) -> Double { a.reduce(0) { max($0, abs($1)) } }

    /// A x for a square n × n matrix.
    public static func times(_ a: [Double], _ x: [Double]) -> [Double] {
        let n = x.count
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var s = 0.0
            for j in 0..<n { s += a[i * n + j] * x[j] }
            y[i] = s
        }
        return y
    }

    /// xᵀ A x.
    public static func quadratic(_ a: [Double], _ x: [Double]) -> Double { dot(x, times(a, x)) }

    /// Jᵀ r for J with `rows` × `columns`.
    public static func transposeTimes(_ j: [Double], _ r: [Double], rows: Int, columns: Int) -> [Double] {
        var g = [Double](repeating: 0, count: columns)
        for i in 0..<rows where r[i] != 0 {
            for k in 0..<columns { g[k] += j[i * columns + k] * r[i] }
        }
        return g
    }

    /// JᵀJ for J with `rows` × `columns`.
    public static func gram(_ j: [Double], rows: Int, columns: Int) -> [Double] {
        var h = [Double](repeating: 0, count: columns * columns)
        for i in 0..<rows {
            let base = i * columns
            for a in 0..<columns {
                let ja = j[base + a]
                if ja == 0 { continue }
                for b in a..<columns { h[a * columns + b] += ja * j[base + b] }
            }
        }
        for a in 0..<columns { for b in 0..<a { h[a * columns + b] = h[b * columns + a] } }
        return h
    }

    /// Eigenvalues and eigenvectors of a symmetric matrix by cyclic Jacobi rotations (accurate
    /// to rounding for small matrices). Returns eigenvalues ascending and the eigenvectors as the
    /// columns of a row-major matrix.
    public static func symmetricEigen(_ matrix: [Double], n: Int) -> (values: [Double], vectors: [Double]) {
        var a = matrix
        // Symmetrise against rounding in the caller.
        for i in 0..<n { for j in 0..<i { let m = 0.5 * (a[i * n + j] + a[j * n + i]); a[i * n + j] = m; a[j * n + i] = m } }
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        var total = 0.0
        for x in a { total += x * x }
        let threshold = max(total, .leastNormalMagnitude) * 1e-32
        for _ in 0..<100 {
            var off = 0.0
            for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { off += a[i * n + j] * a[i * n + j] } }
            if off <= threshold { break }
            for p in 0..<n {
                for q in (p + 1)..<max(p + 1, n) {
                    let apq = a[p * n + q]
                    if apq == 0 { continue }
                    let app = a[p * n + p], aqq = a[q * n + q]
                    let theta = (aqq - app) / (2 * apq)
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let order = (0..<n).sorted { a[$0 * n + $0] < a[$1 * n + $1] }
        let values = order.map { a[$0 * n + $0] }
        var vectors = [Double](repeating: 0, count: n * n)
        for (newColumn, old) in order.enumerated() { for k in 0..<n { vectors[k * n + newColumn] = v[k * n + old] } }
        return (values, vectors)
    }
}
