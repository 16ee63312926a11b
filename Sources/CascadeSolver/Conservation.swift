import CascadeCore

/// Finds conservation laws: integer vectors c with cᵀN = 0, where N is the stoichiometry matrix of
/// the species changed only by reactions. Exact integer elimination (no rounding).
enum ConservationAnalysis {
    static func laws(model: Model, stateIds: [String], stateKinds: [StateKind], rateRules: [String: Expr]) -> [ConservationLaw] {
        var rows: [String] = []
        for (k, id) in stateIds.enumerated() {
            if case .speciesAmount = stateKinds[k], rateRules[id] == nil { rows.append(id) }
        }
        guard !rows.isEmpty else { return [] }
        if model.conversionFactor != nil { return [] }
        let rowIndex = Dictionary(uniqueKeysWithValues: rows.enumerated().map { ($1, $0) })
        let m = rows.count
        var n: [[Int]] = Array(repeating: [], count: m)
        for r in model.reactions {
            var column = [Int](repeating: 0, count: m)
            for (refs, sign) in [(r.reactants, -1), (r.products, 1)] {
                for sr in refs {
                    guard let i = rowIndex[sr.species] else { continue }
                    if sr.id != nil && !sr.constant { return [] }
                    guard sr.stoichiometry == sr.stoichiometry.rounded(), abs(sr.stoichiometry) < 1e6 else { return [] }
                    column[i] += sign * Int(sr.stoichiometry)
                }
            }
            for i in 0 ..< m { n[i].append(column[i]) }
        }
        for id in rows where model.species(id)?.conversionFactor != nil { return [] }
        // Augmented [N | I], row-reduce N's part with integer row operations.
        let cols = model.reactions.count
        var a: [[Int]] = (0 ..< m).map { i in n[i] + (0 ..< m).map { $0 == i ? 1 : 0 } }
        var pivotRow = 0
        for c in 0 ..< cols where pivotRow < m {
            guard let p = (pivotRow ..< m).first(where: { a[$0][c] != 0 }) else { continue }
            a.swapAt(pivotRow, p)
            for r in 0 ..< m where r != pivotRow && a[r][c] != 0 {
                let f = a[r][c], g = a[pivotRow][c]
                for k in 0 ..< a[r].count { a[r][k] = a[r][k] * g - a[pivotRow][k] * f }
                let d = a[r].reduce(0) { gcd($0, $1) }
                if d > 1 { a[r] = a[r].map { $0 / d } }
            }
            pivotRow += 1
        }
        var laws: [ConservationLaw] = []
        for r in pivotRow ..< m {
            var coeffs = Array(a[r][cols...])
            if let firstNonZero = coeffs.first(where: { $0 != 0 }), firstNonZero < 0 { coeffs = coeffs.map { -$0 } }
            let d = coeffs.reduce(0) { gcd($0, $1) }
            if d > 1 { coeffs = coeffs.map { $0 / d } }
            let terms = coeffs.enumerated().filter { $0.element != 0 }.map { (species: rows[$0.offset], coefficient: $0.element) }
            if !terms.isEmpty { laws.append(ConservationLaw(terms: terms)) }
        }
        return laws
    }

    static func gcd(_ a: Int, _ b: Int) -> Int {
        var x = abs(a), y = abs(b)
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }
}
