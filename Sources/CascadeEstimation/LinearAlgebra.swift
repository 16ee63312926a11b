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
        for i in 0 ..< n {
            var s = 0.0
            for j in 0 ..< n { s += a[i * n + j] * x[j] }
            y[i] = s
        }
        return y
    }

    /// xᵀ A x.
    public static func quadratic(_ a: [Double], _ x: [Double]) -> Double { dot(x, times(a, x)) }

    /// Jᵀ r for J with `rows` × `columns`.
    public static func transposeTimes(_ j: [Double], _ r: [Double], rows: Int, columns: Int) -> [Double] {
        var g = [Double](repeating: 0, count: columns)
        for i in 0 ..< rows where r[i] != 0 {
            for k in 0 ..< columns { g[k] += j[i * columns + k] * r[i] }
        }
        return g
    }

    /// JᵀJ for J with `rows` × `columns`.
    public static func gram(_ j: [Double], rows: Int, columns: Int) -> [Double] {
        var h = [Double](repeating: 0, count: columns * columns)
        for i in 0 ..< rows {
            let base = i * columns
            for a in 0 ..< columns {
                let ja = j[base + a]
                if ja == 0 { continue }
                for b in a ..< columns { h[a * columns + b] += ja * j[base + b] }
            }
        }
        for a in 0 ..< columns { for b in 0 ..< a { h[a * columns + b] = h[b * columns + a] } }
        return h
    }

    /// Eigenvalues and eigenvectors of a symmetric matrix by cyclic Jacobi rotations (accurate
    /// to rounding for small matrices). Returns eigenvalues ascending and the eigenvectors as the
    /// columns of a row-major matrix.
    public static func symmetricEigen(_ matrix: [Double], n: Int) -> (values: [Double], vectors: [Double]) {
        var a = matrix
        // Symmetrise against rounding in the caller.
        for i in 0 ..< n { for j in 0 ..< i { let m = 0.5 * (a[i * n + j] + a[j * n + i]); a[i * n + j] = m; a[j * n + i] = m } }
        var v = [Double](repeating: 0, count: n * n)
        for i in 0 ..< n { v[i * n + i] = 1 }
        var total = 0.0
        for x in a { total += x * x }
        let threshold = max(total, .leastNormalMagnitude) * 1e-32
        for _ in 0 ..< 100 {
            var off = 0.0
            for i in 0 ..< n { for j in (i + 1) ..< max(i + 1, n) { off += a[i * n + j] * a[i * n + j] } }
            if off <= threshold { break }
            for p in 0 ..< n {
                for q in (p + 1) ..< max(p + 1, n) {
                    let apq = a[p * n + q]
                    if apq == 0 { continue }
                    let app = a[p * n + p], aqq = a[q * n + q]
                    let theta = (aqq - app) / (2 * apq)
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0 ..< n {
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0 ..< n {
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0 ..< n {
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let order = (0 ..< n).sorted { a[$0 * n + $0] < a[$1 * n + $1] }
        let values = order.map { a[$0 * n + $0] }
        var vectors = [Double](repeating: 0, count: n * n)
        for (newColumn, old) in order.enumerated() { for k in 0 ..< n { vectors[k * n + newColumn] = v[k * n + old] } }
        return (values, vectors)
    }
}

extension LinearAlgebra {
    /// Eigenvalues of a general real square matrix (rows): Householder reduction to upper
    /// Hessenberg form, then the Francis double-shift QR iteration (the EISPACK hqr scheme).
    /// Complex eigenvalues come in conjugate pairs. Returns nil when the iteration does not
    /// converge (30 iterations for one eigenvalue).
    public static func eigenvalues(_ matrix: [[Double]]) -> [(re: Double, im: Double)]? {
        let n = matrix.count
        guard n > 0 else { return [] }
        var a = matrix
        // Householder reduction to Hessenberg form.
        if n > 2 {
            for k in 0 ..< (n - 2) {
                var norm = 0.0
                for i in (k + 1) ..< n { norm += a[i][k] * a[i][k] }
                norm = norm.squareRoot()
                if norm == 0 { continue }
                let alpha = a[k + 1][k] > 0 ? -norm : norm
                var v = [Double](repeating: 0, count: n)
                for i in (k + 1) ..< n { v[i] = a[i][k] }
                v[k + 1] -= alpha
                var vnorm = 0.0
                for i in (k + 1) ..< n { vnorm += v[i] * v[i] }
                if vnorm == 0 { continue }
                // A ← (I − 2vvᵀ/vᵀv) A (I − 2vvᵀ/vᵀv)
                for j in 0 ..< n {
                    var s = 0.0
                    for i in (k + 1) ..< n { s += v[i] * a[i][j] }
                    s *= 2 / vnorm
                    for i in (k + 1) ..< n { a[i][j] -= s * v[i] }
                }
                for i in 0 ..< n {
                    var s = 0.0
                    for j in (k + 1) ..< n { s += a[i][j] * v[j] }
                    s *= 2 / vnorm
                    for j in (k + 1) ..< n { a[i][j] -= s * v[j] }
                }
            }
        }
        func sign(_ x: Double, _ y: Double) -> Double { y >= 0 ? abs(x) : -abs(x) }
        var wr = [Double](repeating: 0, count: n), wi = [Double](repeating: 0, count: n)
        var anorm = 0.0
        for i in 0 ..< n { for j in max(i - 1, 0) ..< n { anorm += abs(a[i][j]) } }
        var nn = n - 1
        var t = 0.0
        var p = 0.0, q = 0.0, r = 0.0, s = 0.0, w = 0.0, x = 0.0, y = 0.0, z = 0.0
        while nn >= 0 {
            var its = 0
            var l = 0
            repeat {
                l = 0
                var ll = nn
                while ll >= 1 {
                    s = abs(a[ll - 1][ll - 1]) + abs(a[ll][ll])
                    if s == 0 { s = anorm }
                    if abs(a[ll][ll - 1]) + s == s { a[ll][ll - 1] = 0; l = ll; break }
                    ll -= 1
                }
                x = a[nn][nn]
                if l == nn {
                    wr[nn] = x + t; wi[nn] = 0
                    nn -= 1
                } else {
                    y = a[nn - 1][nn - 1]
                    w = a[nn][nn - 1] * a[nn - 1][nn]
                    if l == nn - 1 {
                        p = 0.5 * (y - x)
                        q = p * p + w
                        z = abs(q).squareRoot()
                        x += t
                        if q >= 0 {
                            z = p + sign(z, p)
                            wr[nn - 1] = x + z; wr[nn] = x + z
                            if z != 0 { wr[nn] = x - w / z }
                            wi[nn - 1] = 0; wi[nn] = 0
                        } else {
                            wr[nn - 1] = x + p; wr[nn] = x + p
                            wi[nn - 1] = -z; wi[nn] = z
                        }
                        nn -= 2
                    } else {
                        if its == 30 { return nil }
                        if its == 10 || its == 20 {
                            t += x
                            for i in 0 ... nn { a[i][i] -= x }
                            s = abs(a[nn][nn - 1]) + abs(a[nn - 1][nn - 2])
                            x = 0.75 * s; y = x
                            w = -0.4375 * s * s
                        }
                        its += 1
                        var m = nn - 2
                        while m >= l {
                            z = a[m][m]
                            r = x - z
                            s = y - z
                            p = (r * s - w) / a[m + 1][m] + a[m][m + 1]
                            q = a[m + 1][m + 1] - z - r - s
                            r = a[m + 2][m + 1]
                            s = abs(p) + abs(q) + abs(r)
                            p /= s; q /= s; r /= s
                            if m == l { break }
                            let u = abs(a[m][m - 1]) * (abs(q) + abs(r))
                            let v = abs(p) * (abs(a[m - 1][m - 1]) + abs(z) + abs(a[m + 1][m + 1]))
                            if u + v == v { break }
                            m -= 1
                        }
                        if m + 2 <= nn {
                            for i in (m + 2) ... nn {
                                a[i][i - 2] = 0
                                if i != m + 2 { a[i][i - 3] = 0 }
                            }
                        }
                        var k = m
                        while k <= nn - 1 {
                            if k != m {
                                p = a[k][k - 1]
                                q = a[k + 1][k - 1]
                                r = 0
                                if k != nn - 1 { r = a[k + 2][k - 1] }
                                x = abs(p) + abs(q) + abs(r)
                                if x != 0 { p /= x; q /= x; r /= x }
                            }
                            s = sign((p * p + q * q + r * r).squareRoot(), p)
                            if s != 0 {
                                if k == m {
                                    if l != m { a[k][k - 1] = -a[k][k - 1] }
                                } else {
                                    a[k][k - 1] = -s * x
                                }
                                p += s
                                x = p / s; y = q / s; z = r / s
                                q /= p; r /= p
                                for j in k ... nn {
                                    p = a[k][j] + q * a[k + 1][j]
                                    if k != nn - 1 {
                                        p += r * a[k + 2][j]
                                        a[k + 2][j] -= p * z
                                    }
                                    a[k + 1][j] -= p * y
                                    a[k][j] -= p * x
                                }
                                let mmin = nn < k + 3 ? nn : k + 3
                                for i in l ... mmin {
                                    p = x * a[i][k] + y * a[i][k + 1]
                                    if k != nn - 1 {
                                        p += z * a[i][k + 2]
                                        a[i][k + 2] -= p * r
                                    }
                                    a[i][k + 1] -= p * q
                                    a[i][k] -= p
                                }
                            }
                            k += 1
                        }
                    }
                }
            } while nn >= 0 && l < nn - 1
        }
        return (0 ..< n).map { (wr[$0], wi[$0]) }.sorted { $0.re != $1.re ? $0.re > $1.re : $0.im > $1.im }
    }
}
