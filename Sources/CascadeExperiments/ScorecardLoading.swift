import CascadeCore
import Foundation
import Yams

// MARK: - Loading

extension Scorecard {
    public static func load(contentsOf url: URL) throws -> Scorecard {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ProtocolError("\(url.path): cannot read: \(error.localizedDescription)")
        }
        do {
            return try parse(text)
        } catch let e as ProtocolError {
            throw ProtocolError("\(url.path): \(e.description)")
        }
    }

    public static func parse(_ text: String) throws -> Scorecard {
        let root: Any?
        do {
            root = try Yams.load(yaml: text)
        } catch {
            throw ProtocolError("not valid YAML: \(error)")
        }
        guard let top = root as? [String: Any] else { throw ProtocolError("the scorecard must be a mapping with 'protocols' and 'findings'") }
        var card = Scorecard(protocols: [:], findings: [])
        let defaults = top["defaults"] as? [String: Any] ?? [:]
        if let w = defaults["hook_window"] {
            let r = try timeRange(w, "defaults.hook_window")
            card.hookWindow = r
        }
        if let e = defaults["equilibration"] { card.equilibration = try time(e, "defaults.equilibration") }
        if let r = defaults["rtol"] { card.relativeTolerance = try number(r, "defaults.rtol") }
        if let a = defaults["atol"] { card.absoluteTolerance = try number(a, "defaults.atol") }
        let defaultProtocol = defaults["protocol"] as? String

        guard let protocols = top["protocols"] as? [String: Any] else { throw ProtocolError("missing 'protocols' mapping") }
        for (name, body) in protocols {
            guard let b = body as? [String: Any] else { throw ProtocolError("protocol '\(name)' must be a mapping") }
            var steps: [TreatmentProtocol.Step] = []
            for (i, s) in (b["steps"] as? [Any] ?? []).enumerated() {
                guard let m = s as? [String: Any], let p = m["set"] as? String else {
                    throw ProtocolError("protocol '\(name)', step \(i + 1): expected {at: TIME, set: ID, to: VALUE}")
                }
                steps.append(.init(time: try time(m["at"] ?? 0, "protocol '\(name)', step \(i + 1), at"),
                                   parameter: p, value: try number(m["to"] as Any, "protocol '\(name)', step \(i + 1), to")))
            }
            let settings = try values(b["settings"], "protocol '\(name)', settings")
            card.protocols[name] = TreatmentProtocol(name: name, description: b["description"] as? String ?? "",
                                                     steps: steps, settings: settings)
        }

        guard let findings = top["findings"] as? [Any] else { throw ProtocolError("missing 'findings' list") }
        for (fi, f) in findings.enumerated() {
            guard let m = f as? [String: Any], let id = m["id"] as? String else {
                throw ProtocolError("finding \(fi + 1): expected a mapping with an 'id'")
            }
            var finding = Finding(id: id, claim: m["claim"] as? String ?? "", source: m["source"] as? String ?? "",
                                  addressed: m["addressed"] as? Bool ?? true, reason: m["reason"] as? String ?? "",
                                  checks: [], note: m["note"] as? String ?? "")
            if finding.addressed {
                guard let checks = m["checks"] as? [Any], !checks.isEmpty else {
                    throw ProtocolError("finding \(id): needs 'checks' (or 'addressed: false' with a 'reason')")
                }
                for (ci, c) in checks.enumerated() {
                    guard let cm = c as? [String: Any] else { throw ProtocolError("finding \(id), check \(ci + 1): expected a mapping") }
                    finding.checks.append(try check(cm, where: "finding \(id), check \(ci + 1)", defaultProtocol: defaultProtocol,
                                                    protocols: card.protocols))
                }
            } else if finding.reason.isEmpty {
                throw ProtocolError("finding \(id): 'addressed: false' needs a 'reason'")
            }
            card.findings.append(finding)
        }
        return card
    }

    static func check(_ m: [String: Any], where w: String, defaultProtocol: String?, protocols: [String: TreatmentProtocol]) throws -> Check {
        guard let readout = m["readout"] as? String else { throw ProtocolError("\(w): missing 'readout'") }
        guard let protocolName = (m["protocol"] as? String) ?? defaultProtocol else { throw ProtocolError("\(w): missing 'protocol'") }
        guard protocols[protocolName] != nil else { throw ProtocolError("\(w): unknown protocol '\(protocolName)'") }
        let hooks = try values(m["hooks"], "\(w), hooks")
        let genotype = try values(m["genotype"], "\(w), genotype")
        let hookWin = try m["hook_window"].map { try timeRange($0, "\(w), hook_window") }
        func arm(_ key: String, treated: Bool) throws -> Arm {
            var a = Arm(protocolName: protocolName, treated: treated, hooks: hooks, genotype: genotype, hookWindow: hookWin)
            guard let o = m[key] else { return a }
            guard let om = o as? [String: Any] else { throw ProtocolError("\(w), \(key): expected a mapping") }
            if let p = om["protocol"] as? String {
                guard protocols[p] != nil else { throw ProtocolError("\(w), \(key): unknown protocol '\(p)'") }
                a.protocolName = p
            }
            if let t = om["treated"] as? Bool { a.treated = t }
            if om["hooks"] != nil { a.hooks = try values(om["hooks"], "\(w), \(key).hooks") }
            if om["genotype"] != nil { a.genotype = try values(om["genotype"], "\(w), \(key).genotype") }
            return a
        }
        let test = try arm("test", treated: true)
        let control = try arm("control", treated: false)
        let t = try m["time"].map { try time($0, "\(w), time") } ?? 0
        guard let expect = m["expect"] as? String else { throw ProtocolError("\(w): missing 'expect'") }
        func window() throws -> ClosedRange<Double> {
            guard let wv = m["window"] else { throw ProtocolError("\(w): '\(expect)' needs a 'window: [FROM, TO]'") }
            return try timeRange(wv, "\(w), window")
        }
        func condition() throws -> Condition {
            guard let c = m["condition"] as? [String: Any] else { throw ProtocolError("\(w): '\(expect)' needs a 'condition' with hooks or genotype") }
            let cond = Condition(hooks: try values(c["hooks"], "\(w), condition.hooks"), genotype: try values(c["genotype"], "\(w), condition.genotype"),
                                 hookWindow: try c["hook_window"].map { try timeRange($0, "\(w), condition.hook_window") })
            if cond.hooks.isEmpty && cond.genotype.isEmpty { throw ProtocolError("\(w): the condition sets nothing") }
            return cond
        }
        let e: Expectation
        switch expect {
        case "up": e = .up(by: try m["by"].map { try number($0, "\(w), by") } ?? 0.05)
        case "down": e = .down(by: try m["by"].map { try number($0, "\(w), by") } ?? 0.05)
        case "unchanged": e = .unchanged(tolerance: try m["tolerance"].map { try number($0, "\(w), tolerance") } ?? 0.05)
        case "range":
            guard let r = m["range"] as? [Any], r.count == 2 else { throw ProtocolError("\(w): 'range' needs [LO, HI]") }
            let of = m["of"] as? String ?? "value"
            guard of == "value" || of == "change" else { throw ProtocolError("\(w): 'of' must be value or change") }
            e = .range(lo: try number(r[0], "\(w), range"), hi: try number(r[1], "\(w), range"), ofChange: of == "change")
        case "blocked": e = .blocked(try condition(), maxRetained: try m["max_retained"].map { try number($0, "\(w), max_retained") } ?? 0.3)
        case "not_blocked": e = .notBlocked(try condition(), minRetained: try m["min_retained"].map { try number($0, "\(w), min_retained") } ?? 0.5)
        case "peak_within":
            let r = try timeRange(m["within"] as Any, "\(w), within")
            e = .peakWithin(lo: r.lowerBound, hi: r.upperBound, window: try window())
        case "half_decay_within":
            let r = try timeRange(m["within"] as Any, "\(w), within")
            e = .halfDecayWithin(lo: r.lowerBound, hi: r.upperBound, window: try window())
        case "precedes":
            guard let other = m["then"] as? String else { throw ProtocolError("\(w): 'precedes' needs 'then: READOUT'") }
            e = .precedes(other: other, window: try window())
        default:
            throw ProtocolError("\(w): unknown expectation '\(expect)' (up, down, unchanged, range, blocked, not_blocked, peak_within, half_decay_within, precedes)")
        }
        return Check(what: m["what"] as? String ?? readout, readout: readout, time: t, test: test, control: control, expectation: e)
    }

    static func number(_ v: Any, _ w: String) throws -> Double {
        switch v {
        case let d as Double: return d
        case let i as Int: return Double(i)
        case let s as String: if let d = Double(s) { return d }
        default: break
        }
        throw ProtocolError("\(w): expected a number, found '\(v)'")
    }

    static func time(_ v: Any, _ w: String) throws -> Double {
        switch v {
        case let d as Double: return d
        case let i as Int: return Double(i)
        case let s as String: if let d = TreatmentProtocol.seconds(from: s) { return d }
        default: break
        }
        throw ProtocolError("\(w): expected a time such as 3600, '30 min', '2 h' or '3 d', found '\(v)'")
    }

    static func timeRange(_ v: Any, _ w: String) throws -> ClosedRange<Double> {
        guard let a = v as? [Any], a.count == 2 else { throw ProtocolError("\(w): expected [FROM, TO]") }
        let lo = try time(a[0], w), hi = try time(a[1], w)
        guard lo <= hi else { throw ProtocolError("\(w): FROM is after TO") }
        return lo ... hi
    }

    static func values(_ v: Any?, _ w: String) throws -> [String: Double] {
        guard let v else { return [:] }
        guard let m = v as? [String: Any] else { throw ProtocolError("\(w): expected a mapping ID: VALUE") }
        var out: [String: Double] = [:]
        for (k, x) in m { out[k] = try number(x, "\(w).\(k)") }
        return out
    }
}
