import CascadeCore
import Foundation

// MARK: - Loading

// The scorecard is read through the YAML reader (YAMLValue): every error names the file, line,
// column and field. Fields the reader does not know are ignored, as before.

extension Scorecard {
    public static func load(contentsOf url: URL) throws -> Scorecard {
        try parse(YAMLValue.load(url))
    }

    /// Reads a scorecard from text; `file` names it in errors.
    public static func parse(_ text: String, file: String = "<scorecard>") throws -> Scorecard {
        try parse(YAMLValue.parse(text, file: file))
    }

    static func parse(_ top: YAMLValue) throws -> Scorecard {
        guard top.isMapping else { throw top.error("the scorecard must be a mapping with 'protocols' and 'findings'") }
        var card = Scorecard(protocols: [:], findings: [])
        let defaults = top["defaults"]
        if let w = defaults?["hook_window"] { card.hookWindow = try timeRange(w) }
        if let e = defaults?["equilibration"] { card.equilibration = try time(e) }
        if let r = defaults?["rtol"] { card.relativeTolerance = try r.double() }
        if let a = defaults?["atol"] { card.absoluteTolerance = try a.double() }
        let defaultProtocol = try defaults?["protocol"]?.string()

        let protocols = try top.required("protocols")
        for (name, body) in try protocols.entries() {
            guard body.isMapping else { throw body.error("protocol '\(name)' must be a mapping") }
            var steps: [TreatmentProtocol.Step] = []
            for s in try body["steps"]?.list() ?? [] {
                guard s.isMapping, let p = s["set"] else { throw s.error("expected {at: TIME, set: ID, to: VALUE}") }
                steps.append(.init(time: try s["at"].map(time) ?? 0, parameter: try p.string(), value: try s.required("to").double()))
            }
            let settings = try values(body["settings"])
            card.protocols[name] = TreatmentProtocol(name: name, description: try body["description"]?.string() ?? "",
                                                     steps: steps, settings: settings)
        }

        for f in try top.required("findings").list() {
            guard f.isMapping, let idNode = f["id"] else { throw f.error("expected a mapping with an 'id'") }
            let id = try idNode.string()
            var finding = Finding(id: id, claim: try f["claim"]?.string() ?? "", source: try f["source"]?.string() ?? "",
                                  addressed: try f["addressed"]?.bool() ?? true, reason: try f["reason"]?.string() ?? "",
                                  checks: [], note: try f["note"]?.string() ?? "")
            if finding.addressed {
                guard let checks = try f["checks"]?.list(), !checks.isEmpty else {
                    throw f.error("finding \(id): needs 'checks' (or 'addressed: false' with a 'reason')")
                }
                for c in checks {
                    guard c.isMapping else { throw c.error("expected a mapping") }
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
        let readout = try m.required("readout").string()
        guard let protocolName = try m["protocol"]?.string() ?? defaultProtocol else { throw m.error("missing field 'protocol'") }
        guard protocols[protocolName] != nil else { throw (m["protocol"] ?? m).error("unknown protocol '\(protocolName)'") }
        let hooks = try values(m["hooks"])
        let genotype = try values(m["genotype"])
        let hookWin = try m["hook_window"].map(timeRange)
        func arm(_ key: String, treated: Bool) throws -> Arm {
            var a = Arm(protocolName: protocolName, treated: treated, hooks: hooks, genotype: genotype, hookWindow: hookWin)
            guard let o = m[key] else { return a }
            guard o.isMapping else { throw o.error("expected a mapping") }
            if let pNode = o["protocol"] {
                let p = try pNode.string()
                guard protocols[p] != nil else { throw pNode.error("unknown protocol '\(p)'") }
                a.protocolName = p
            }
            if let t = o["treated"] { a.treated = try t.bool() }
            if let h = o["hooks"] { a.hooks = try values(h) }
            if let g = o["genotype"] { a.genotype = try values(g) }
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
            guard let c = m["condition"], c.isMapping else { throw m.error("'\(expect)' needs a 'condition' with hooks or genotype") }
            let cond = Condition(hooks: try values(c["hooks"]), genotype: try values(c["genotype"]),
                                 hookWindow: try c["hook_window"].map(timeRange))
            if cond.hooks.isEmpty && cond.genotype.isEmpty { throw c.error("the condition sets nothing") }
            return cond
        }
        func number(_ key: String, default value: Double) throws -> Double { try m[key]?.double() ?? value }
        let e: Expectation
        switch expect {
        case "up": e = .up(by: try number("by", default: 0.05))
        case "down": e = .down(by: try number("by", default: 0.05))
        case "unchanged": e = .unchanged(tolerance: try number("tolerance", default: 0.05))
        case "range":
            let rNode = try m.required("range")
            let r = try rNode.list()
            guard r.count == 2 else { throw rNode.error("'range' needs [LO, HI]") }
            let of = try m["of"]?.string() ?? "value"
            guard of == "value" || of == "change" else { throw m["of"]!.error("'of' must be value or change") }
            e = .range(lo: try r[0].double(), hi: try r[1].double(), ofChange: of == "change")
        case "blocked": e = .blocked(try condition(), maxRetained: try number("max_retained", default: 0.3))
        case "not_blocked": e = .notBlocked(try condition(), minRetained: try number("min_retained", default: 0.5))
        case "peak_within":
            let r = try timeRange(try m.required("within"))
            e = .peakWithin(lo: r.lowerBound, hi: r.upperBound, window: try window())
        case "half_decay_within":
            let r = try timeRange(try m.required("within"))
            e = .halfDecayWithin(lo: r.lowerBound, hi: r.upperBound, window: try window())
        case "precedes":
            guard let other = try m["then"]?.string() else { throw m.error("'precedes' needs 'then: READOUT'") }
            e = .precedes(other: other, window: try window())
        default:
            throw expectNode.error("unknown expectation '\(expect)' (up, down, unchanged, range, blocked, not_blocked, peak_within, half_decay_within, precedes)")
        }
        return Check(what: try m["what"]?.string() ?? readout, readout: readout, time: t, test: test, control: control, expectation: e)
    }

    /// A time: seconds, or a number with a unit ('30 min', '2 h', '3 d'); negative times allowed.
    static func time(_ v: YAMLValue) throws -> Double {
        let text = try v.string()
        guard let d = TreatmentProtocol.seconds(from: text), d.isFinite else {
            throw v.error("expected a time such as 3600, '30 min', '2 h' or '3 d', found '\(text)'")
        }
        return d
    }

    static func timeRange(_ v: YAMLValue) throws -> ClosedRange<Double> {
        let a = try v.list()
        guard a.count == 2 else { throw v.error("expected [FROM, TO]") }
        let lo = try time(a[0]), hi = try time(a[1])
        guard lo <= hi else { throw v.error("FROM is after TO") }
        return lo ... hi
    }

    /// A mapping ID: VALUE (absent: empty).
    static func values(_ v: YAMLValue?) throws -> [String: Double] {
        guard let v else { return [:] }
        guard v.isMapping else { throw v.error("expected a mapping ID: VALUE") }
        var out: [String: Double] = [:]
        for (k, x) in try v.entries() { out[k] = try x.double() }
        return out
    }
}
