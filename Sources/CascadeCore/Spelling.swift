/// "Did you mean" suggestions for ids typed by a person: the model's ids, readouts, inhibitors,
/// keys of input files.
///
/// The distance is Damerau–Levenshtein (optimal string alignment): one insertion, deletion,
/// substitution or swap of two neighbouring characters counts 1, so `ANA-12` is 1 from `ANA12`
/// and `BNDF` is 1 from `BDNF`. Case differences count half, so `bdnf` finds `BDNF` before
/// `BDNFx`. A candidate is suggested only when it is close relative to the length of what was
/// typed (at most a third of its characters wrong, and at least one allowed), so a long unrelated
/// id never appears as a suggestion; of those, only the nearest (and any tied with them).
public enum Spelling {
    /// The edit distance between two strings, in units of one edit (case-only edits count 0.5).
    public static func distance(_ a: String, _ b: String) -> Double {
        let s = Array(a), t = Array(b)
        if s.isEmpty { return Double(t.count) }
        if t.isEmpty { return Double(s.count) }
        func cost(_ x: Character, _ y: Character) -> Double {
            if x == y { return 0 }
            return x.lowercased() == y.lowercased() ? 0.5 : 1
        }
        // Three rows are enough for the swap of neighbours.
        var previous2 = [Double](repeating: 0, count: t.count + 1)
        var previous = (0 ... t.count).map(Double.init)
        var current = [Double](repeating: 0, count: t.count + 1)
        for i in 1 ... s.count {
            current[0] = Double(i)
            for j in 1 ... t.count {
                var d = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost(s[i - 1], t[j - 1]))
                if i > 1, j > 1, s[i - 1] == t[j - 2], s[i - 2] == t[j - 1] {
                    d = min(d, previous2[j - 2] + 1)
                }
                current[j] = d
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[t.count]
    }

    /// The candidates nearest to `typed` (all at the smallest distance, in the candidates' order),
    /// at most `limit` of them; empty when none is close enough or `typed` is itself a candidate.
    public static func suggestions<S: Sequence>(for typed: String, among candidates: S, limit: Int = 3) -> [String]
    where S.Element == String {
        let allowed = max(1, Double(typed.count) / 3)
        var scored: [(String, Double)] = []
        var seen = Set<String>()
        for c in candidates where seen.insert(c).inserted {
            if c == typed { return [] }
            // The length difference alone bounds the distance from below.
            guard Double(abs(c.count - typed.count)) <= allowed else { continue }
            let d = distance(typed, c)
            if d <= allowed { scored.append((c, d)) }
        }
        guard let best = scored.map(\.1).min() else { return [] }
        return scored.filter { $0.1 == best }.prefix(limit).map(\.0)
    }

    /// `" (did you mean 'ANA12'?)"`, `" (did you mean 'a' or 'b'?)"`, or `""` when nothing is
    /// close: ready to append to an "unknown id" message.
    public static func didYouMean<S: Sequence>(_ typed: String, among candidates: S) -> String where S.Element == String {
        let s = suggestions(for: typed, among: candidates)
        guard !s.isEmpty else { return "" }
        let quoted = s.map { "'\($0)'" }
        let list = quoted.count == 1 ? quoted[0] : quoted.dropLast().joined(separator: ", ") + " or " + quoted.last!
        return " (did you mean \(list)?)"
    }
}
