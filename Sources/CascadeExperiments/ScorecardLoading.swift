import CascadeCore
import CascadeFormats
import Foundation

// MARK: - Loading

/// The scorecard file is read with the located YAML reader: every error names the file, line,
/// column and field (`scorecard.yaml:88:7: findings[3].checks[1].expect: unknown expectation ...`),
/// and a misspelt key is an error with a suggestion instead of being ignored.
extension Scorecard {
    static let findingKeys: Set<String> = ["id", "claim", "source", "addressed", "reason", "checks", "note", "basis", "set"]
    static let checkKeys: Set<String> = [
        "what", "readout", "protocol", "time", "expect", "by", "tolerance", "range", "of",
        "condition", "max_retained", "min_retained", "within", "window", "then", "hooks",
        "genotype", "hook_window", "test", "control", "note", "source", "drug", "strict",
    ]

    public static func load(contentsOf url: URL) throws -> Scorecard {
        try read(try YAMLValue.load(url))
    }

    public static func parse(_ text: String, file: String = "scorecard") throws -> Scorecard {
        try read(try YAMLValue.parse(text, file: file))
    }

    static func read(_ top: YAMLValue) throws -> Scorecard {
        try top.allowOnly(["defaults", "protocols", "findings", "description"])
        var card = Scorecard(protocols: [:], findings: [])
        var defaultProtocol: String?
        if let defaults = top["defaults"] {
            try defaults.allowOnly(["hook_window", "equilibration", "rtol", "atol", "protocol"])
            if let w = defaults["hook_window"] { card.hookWindow = try timeRange(w) }
            if let e = defaults["equilibration"] { card.equilibration = try time(e) }
            if let r = defaults["rtol"] { card.relativeTolerance = try r.double() }
            if let a = defaults["atol"] { card.absoluteTolerance = try a.double() }
            defaultProtocol = try defaults["protocol"]?.string()
        }
        for (name, b) in try top.required("protocols").entries() {
            try b.allowOnly(["steps", "settings", "description"])
            var steps: [TreatmentProtocol.Step] = []
            for s in try b["steps"]?.list() ?? [] {
                try s.allowOnly(["at", "set", "to"])
                steps.append(
                    .init(
                        time: try s["at"].map(time) ?? 0, parameter: try s.required("set").string(),
                        value: try s.required("to").double()))
            }
            card.protocols[name] = TreatmentProtocol(
                name: name, description: try b["description"]?.string() ?? "",
                steps: steps, settings: try values(b["settings"]))
        }
        for f in try top.required("findings").list() {
            try f.allowOnly(findingKeys)
            let id = try f.required("id").string()
            var finding = Finding(
                id: id, claim: try f["claim"]?.string() ?? "", source: try f["source"]?.string() ?? "",
                addressed: try f["addressed"]?.bool() ?? true, reason: try f["reason"]?.string() ?? "",
                checks: [], note: try f["note"]?.string() ?? "")
            if let b = f["basis"] {
                let bs = try b.string()
                guard Scorecard.bases.contains(bs) else {
                    throw b.error("finding \(id): basis must be one of \(Scorecard.bases.joined(separator: ", "))")
                }
                finding.basis = bs
            }
            if let sv = f["set"] {
                let set = try sv.string()
                guard Scorecard.sets.contains(set) else {
                    throw sv.error("finding \(id): set must be one of \(Scorecard.sets.joined(separator: ", "))\(didYouMean(set, Scorecard.sets))")
                }
                finding.set = set
            }
            if finding.addressed {
                let checks = try f.required("checks").list()
                guard !checks.isEmpty else { throw f.error("finding \(id) needs 'checks' (or 'addressed: false' with a 'reason')") }
                for c in checks {
                    finding.checks.append(try check(c, defaultProtocol: defaultProtocol, protocols: card.protocols))
                }
            } else if finding.reason.isEmpty {
                throw f.error("finding \(id): 'addressed: false' needs a 'reason'")
            }
            card.findings.append(finding)
        }
        return card
    }

    static func check(_ m: YAMLValue, defaultProtocol: String?, protocols: [String: TreatmentProtocol]) throws -> Check {
        try m.allowOnly(checkKeys)
        let readout = try m.required("readout").string()
        guard let protocolName = try m["protocol"]?.string() ?? defaultProtocol else { throw m.error("missing 'protocol'") }
        func known(_ name: String, _ node: YAMLValue) throws {
            guard protocols[name] != nil else {
                throw node.error("unknown protocol '\(name)'\(didYouMean(name, protocols.keys.sorted()))")
            }
        }
        try known(protocolName, m["protocol"] ?? m)
        let hooks = try values(m["hooks"])
        let genotype = try values(m["genotype"])
        let hookWin = try m["hook_window"].map(timeRange)
        func arm(_ key: String, treated: Bool) throws -> Arm {
            var a = Arm(protocolName: protocolName, treated: treated, hooks: hooks, genotype: genotype, hookWindow: hookWin)
            guard let om = m[key] else { return a }
            try om.allowOnly(["protocol", "treated", "hooks", "genotype"])
            if let p = om["protocol"] {
                a.protocolName = try p.string()
                try known(a.protocolName, p)
            }
            if let t = om["treated"] { a.treated = try t.bool() }
            if let h = om["hooks"] { a.hooks = try values(h) }
            if let g = om["genotype"] { a.genotype = try values(g) }
            return a
        }
        let test = try arm("test", treated: true)
        let control = try arm("control", treated: false)
        let t = try m["time"].map(time) ?? 0
        let expectNode = try m.required("expect")
        let expect = try expectNode.string()
        func window() throws -> ClosedRange<Double> {
            guard let wv = m["window"] else { throw m.error("'\(expect)' needs a 'window: [FROM, TO]'") }
            return try timeRange(wv)
        }
        func condition() throws -> Condition {
            guard let c = m["condition"] else { throw m.error("'\(expect)' needs a 'condition' with hooks or genotype") }
            try c.allowOnly(["hooks", "genotype", "hook_window"])
            let cond = Condition(
                hooks: try values(c["hooks"]), genotype: try values(c["genotype"]),
                hookWindow: try c["hook_window"].map(timeRange))
            if cond.hooks.isEmpty && cond.genotype.isEmpty { throw c.error("the condition sets nothing") }
            return cond
        }
        let e: Expectation
        var strictOrder = false
        switch expect {
        case "up": e = .up(by: try m["by"]?.double() ?? 0.05)
        case "down": e = .down(by: try m["by"]?.double() ?? 0.05)
        case "unchanged": e = .unchanged(tolerance: try m["tolerance"]?.double() ?? 0.05)
        case "range":
            let r = try m.required("range").list()
            guard r.count == 2 else { throw try m.required("range").error("'range' needs [LO, HI]") }
            let of = try m["of"]?.string() ?? "value"
            guard ["value", "change", "mean_change"].contains(of) else {
                throw try m.required("of").error("'of' must be value, change or mean_change")
            }
            if of == "mean_change" {
                e = .meanChange(lo: try r[0].double(), hi: try r[1].double(), window: try window())
            } else {
                e = .range(lo: try r[0].double(), hi: try r[1].double(), ofChange: of == "change")
            }
        case "blocked": e = .blocked(try condition(), maxRetained: try m["max_retained"]?.double() ?? 0.3)
        case "not_blocked": e = .notBlocked(try condition(), minRetained: try m["min_retained"]?.double() ?? 0.5)
        case "peak_within":
            let r = try timeRange(try m.required("within"))
            e = .peakWithin(lo: r.lowerBound, hi: r.upperBound, window: try window())
        case "half_decay_within":
            let r = try timeRange(try m.required("within"))
            e = .halfDecayWithin(lo: r.lowerBound, hi: r.upperBound, window: try window())
        case "precedes":
            e = .precedes(other: try m.required("then").string(), window: try window())
            if let st = m["strict"] { strictOrder = try st.bool() }
        default:
            let kinds = ["up", "down", "unchanged", "range", "blocked", "not_blocked", "peak_within", "half_decay_within", "precedes"]
            throw expectNode.error("unknown expectation '\(expect)' (\(kinds.joined(separator: ", ")))\(didYouMean(expect, kinds))")
        }
        return Check(
            what: try m["what"]?.string() ?? readout, readout: readout, time: t, test: test, control: control, expectation: e,
            strict: strictOrder)
    }

    /// A time: seconds, or a number with a unit (`30 min`, `2 h`, `-1 d`).
    static func time(_ v: YAMLValue) throws -> Double {
        let text = try v.string()
        guard let s = Units.seconds(text) else { throw v.error("expected a time such as 3600, '30 min', '2 h' or '3 d', found '\(text)'") }
        return s
    }

    static func timeRange(_ v: YAMLValue) throws -> ClosedRange<Double> {
        let a = try v.list()
        guard a.count == 2 else { throw v.error("expected [FROM, TO]") }
        let lo = try time(a[0]), hi = try time(a[1])
        guard lo <= hi else { throw v.error("FROM is after TO") }
        return lo ... hi
    }

    static func values(_ v: YAMLValue?) throws -> [String: Double] {
        guard let v else { return [:] }
        var out: [String: Double] = [:]
        for (k, x) in try v.entries() { out[k] = try x.double() }
        return out
    }
}
