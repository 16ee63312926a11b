import CYaml
import CascadeCore
import Foundation
import Yams

/// A problem in an input file (experiment, panel, line, hypothesis, scorecard, PEtab problem),
/// located by file, line, column and field path:
///
///     models/experiments/plan.yaml:12:11: protocol[2].at: cannot read 'ten' as a time (write e.g. 30 s, 30 min, 2 h, 3 d)
public struct InputError: Error, Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var column: Int?
    /// The field path, e.g. `protocol[2].at`.
    public var field: String
    public var message: String

    public init(file: String, line: Int? = nil, column: Int? = nil, field: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.message = message
    }

    public var description: String {
        let loc = [file, line.map(String.init), column.map(String.init)].compactMap { $0 }.joined(separator: ":")
        return field.isEmpty ? "\(loc): \(message)" : "\(loc): \(field): \(message)"
    }
}

/// The one reader for YAML input files: typed access to a YAML node that knows its file, line,
/// column and field path, so every error it raises is an `InputError` located in the file.
///
///     let root = try YAMLValue.load(url)
///     try root.allowOnly(["model", "times"])            // a misspelt field is an error
///     let model = try root.required("model").string()
///     let times = try root.required("times").list().map { try $0.duration() }
///
/// Every YAML file Cascade reads goes through this type (experiments, panels, lines,
/// hypotheses, plate specifications, scorecards, PEtab problem files).
public struct YAMLValue {
    /// The underlying node (prefer the typed accessors, which give located errors).
    public let node: Node
    public let file: String
    public let path: String

    /// Parses a YAML file. Malformed YAML gives an `InputError` with the parser's line and column.
    public static func load(_ url: URL) throws -> YAMLValue {
        let text: String
        do { text = try InputFile.text(url) } catch {
            throw InputError(file: url.path, field: "", message: (error as? InputFileError)?.message ?? "cannot read the file")
        }
        return try parse(text, file: url.path)
    }

    public static func parse(_ text: String, file: String) throws -> YAMLValue {
        // Before composing: Yams hashes every mapping key while composing, and an alias bomb
        // used as a key (`? *a9 : 1`) would be hashed through all its 9^9 values.
        if let (line, column) = AliasBudget.exceeded(text, limit: maximumNodes) {
            throw InputError(
                file: file, line: line, column: column, field: "",
                message: "the document expands to more than \(maximumNodes) values through its aliases (*name); an alias bomb?")
        }
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw InputError(file: file, line: 1, column: 1, field: "", message: "the file is empty")
            }
            try checkStructure(node, file: file)
            return YAMLValue(node: node, file: file, path: "")
        } catch let e as InputError {
            throw e
        } catch let e as YamlError {
            switch e {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
                throw InputError(file: file, line: mark.line, column: mark.column, field: "", message: "malformed YAML: \(problem)")
            default:
                throw InputError(file: file, field: "", message: "malformed YAML: \(e)")
            }
        }
    }

    /// The most nodes a document may hold once its aliases are expanded. Aliases share their
    /// node, so composing is cheap, but everything that walks the document afterwards (comparing
    /// keys, converting values) meets each copy: nine anchors of nine aliases each ("billion
    /// laughs") are 9^9 nodes, which hung the experiment reader and took gigabytes in the PEtab
    /// reader. Real input files hold a few thousand.
    public static let maximumNodes = 1_000_000

    /// The tags a value may carry: YAML's core schema (and timestamps, which plain dates
    /// resolve to). Others (`!!python/object`, `!custom`, `!!binary`) ask for a type this reader
    /// does not build, and were silently read as text.
    static let knownTags: Set<String> = ["str", "int", "float", "bool", "null", "seq", "map", "timestamp"]
        .reduce(into: []) { $0.insert("tag:yaml.org,2002:" + $1) }

    /// Refuses, with the place, documents that expand past `maximumNodes`, mapping keys that
    /// are lists or mappings, and unknown tags. Walks the expanded document with an explicit
    /// stack and stops at the bound, so the check itself stays cheap.
    static func checkStructure(_ root: Node, file: String) throws {
        func fail(_ node: Node, _ message: String) -> InputError {
            InputError(file: file, line: node.mark?.line, column: node.mark?.column, field: "", message: message)
        }
        func describeKind(_ n: Node) -> String {
            switch n {
            case .sequence: return "a list"
            case .mapping: return "a mapping"
            default: return "a value"
            }
        }
        var stack: [Node] = [root]
        var count = 0
        while let n = stack.popLast() {
            count += 1
            if count > maximumNodes {
                throw fail(n, "the document expands to more than \(maximumNodes) values through its aliases (*name); an alias bomb?")
            }
            let tag = n.tag.rawValue
            if case .alias = n {
            } else if !knownTags.contains(tag) {
                throw fail(
                    n, "unknown YAML tag '\(tag.replacingOccurrences(of: "tag:yaml.org,2002:", with: "!!"))'; only plain values, lists and mappings are read")
            }
            switch n {
            case .scalar: break
            case .sequence(let s): stack.append(contentsOf: s.reversed())
            case .mapping(let m):
                for (k, v) in m.reversed() {
                    guard case .scalar = k else {
                        throw fail(k, "a key must be a plain value, not \(describeKind(k))")
                    }
                    stack.append(v)
                    stack.append(k)
                }
            case .alias: break
            }
        }
    }

    /// The 1-based line and column where the value starts.
    public var line: Int? { node.mark?.line }
    public var column: Int? { node.mark?.column }

    public var isMapping: Bool { if case .mapping = node { return true } else { return false } }
    public var isList: Bool { if case .sequence = node { return true } else { return false } }
    public var isScalar: Bool { if case .scalar = node { return true } else { return false } }

    public func error(_ message: String) -> InputError {
        InputError(file: file, line: node.mark?.line, column: node.mark?.column, field: path, message: message)
    }

    private func child(_ n: Node, _ key: String) -> YAMLValue {
        YAMLValue(node: n, file: file, path: path.isEmpty ? key : "\(path).\(key)")
    }

    /// The entries of a mapping, in file order.
    public func entries() throws -> [(key: String, value: YAMLValue)] {
        guard case .mapping(let m) = node else { throw error("expected a mapping of fields") }
        return m.map { (k, v) in (k.string ?? "\(k)", child(v, k.string ?? "\(k)")) }
    }

    /// Fails on any field not in `allowed` (a typo in a field name is an error, not ignored).
    public func allowOnly(_ allowed: Set<String>) throws {
        guard case .mapping(let m) = node else { throw error("expected a mapping of fields") }
        for (k, _) in m {
            let key = k.string ?? "\(k)"
            if !allowed.contains(key) {
                let v = YAMLValue(node: k, file: file, path: path.isEmpty ? key : "\(path).\(key)")
                let hint = Spelling.suggestions(for: key, among: allowed.sorted()).first.map { "did you mean '\($0)'? " } ?? ""
                throw v.error("unknown field '\(key)' (\(hint)expected one of: \(allowed.sorted().joined(separator: ", ")))")
            }
        }
    }

    public subscript(_ key: String) -> YAMLValue? {
        guard case .mapping(let m) = node, let v = m[Node(key)] else { return nil }
        if case .scalar(let s) = v, s.tag == Tag(.null) || s.string == "~" { return nil }
        return child(v, key)
    }

    public func required(_ key: String) throws -> YAMLValue {
        guard case .mapping = node else { throw error("expected a mapping of fields") }
        guard let v = self[key] else { throw error("missing field '\(key)'") }
        return v
    }

    public func list() throws -> [YAMLValue] {
        guard case .sequence(let s) = node else { throw error("expected a list") }
        return s.enumerated().map { YAMLValue(node: $1, file: file, path: "\(path)[\($0)]") }
    }

    /// A list, or a single value taken as a list of one.
    public func listOrSingle() -> [YAMLValue] {
        if case .sequence = node { return (try? list()) ?? [] }
        return [self]
    }

    /// Text, or a list of texts; a single text is taken as a list of one.
    public func strings() throws -> [String] {
        try listOrSingle().map { try $0.string() }
    }

    public func string() throws -> String {
        guard case .scalar(let s) = node else { throw error("expected a text value") }
        return s.string
    }

    public func double() throws -> Double {
        guard case .scalar(let s) = node, let v = Double(s.string.trimmingCharacters(in: .whitespaces)), v.isFinite else {
            throw error("expected a number, got '\((try? string()) ?? "a structure")'")
        }
        return v
    }

    public func int() throws -> Int {
        guard case .scalar(let s) = node, let v = Int(s.string.trimmingCharacters(in: .whitespaces)) else {
            throw error("expected a whole number, got '\((try? string()) ?? "a structure")'")
        }
        return v
    }

    public func bool() throws -> Bool {
        guard case .scalar(let s) = node else { throw error("expected true or false") }
        switch s.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("expected true or false, got '\(s.string)'")
        }
    }

    /// A duration in seconds: `30 min`, `2 h`, `3 d`, `45 s`, `1.5 hours`; a bare number is seconds.
    public func duration() throws -> Double {
        let text = try string()
        guard let v = Units.seconds(text) else {
            throw error("cannot read '\(text)' as a time (write e.g. 30 s, 30 min, 2 h, 3 d)")
        }
        guard v >= 0 else { throw error("times must not be negative, got '\(text)'") }
        return v
    }

    /// A concentration in µM: `1 uM`, `1 µM`, `100 nM`, `2 mM`; a bare number is µM.
    public func concentration() throws -> Double {
        let text = try string()
        guard let v = Units.micromolar(text) else {
            throw error("cannot read '\(text)' as a concentration (write e.g. 10 uM, 100 nM, 1 mM)")
        }
        guard v >= 0 else { throw error("concentrations must not be negative, got '\(text)'") }
        return v
    }
}

/// Quantities with units, as written in input files.
public enum Units {
    static func split(_ text: String) -> (Double, String)? {
        let t = text.trimmingCharacters(in: .whitespaces)
        var end = t.startIndex
        for i in t.indices {
            let c = t[i]
            if c.isNumber || c == "." || c == "-" || c == "+" || ((c == "e" || c == "E") && i != t.startIndex) {
                // an exponent only counts when a digit or sign follows
                if c == "e" || c == "E" {
                    let next = t.index(after: i)
                    guard next < t.endIndex, t[next].isNumber || t[next] == "-" || t[next] == "+" else { break }
                }
                end = t.index(after: i)
            } else {
                break
            }
        }
        guard let v = Double(t[..<end]), v.isFinite else { return nil }
        return (v, t[end...].trimmingCharacters(in: .whitespaces).lowercased())
    }

    /// Seconds from `30 min`, `2 h`, `3 d`, `10 s`, `250 ms`, `1 week`; a bare number is seconds.
    public static func seconds(_ text: String) -> Double? {
        guard let (v, unit) = split(text) else { return nil }
        let factors: [String: Double] = [
            "": 1, "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "ms": 1e-3,
            "min": 60, "mins": 60, "minute": 60, "minutes": 60,
            "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
            "d": 86400, "day": 86400, "days": 86400, "w": 604_800, "week": 604_800, "weeks": 604_800,
        ]
        return factors[unit].map { v * $0 }
    }

    /// Micromolar from `10 uM`, `10 µM`, `100 nM`, `1 mM`, `5 pM`, `1 M`; a bare number is µM.
    public static func micromolar(_ text: String) -> Double? {
        guard let (v, unit) = split(text) else { return nil }
        let factors: [String: Double] = [
            "": 1, "um": 1, "µm": 1, "μm": 1, "micromolar": 1, "nm": 1e-3, "nanomolar": 1e-3, "pm": 1e-6,
            "mm": 1e3, "millimolar": 1e3, "m": 1e6, "molar": 1e6,
        ]
        return factors[unit].map { v * $0 }
    }
}

/// Counts the values a YAML text expands to, aliases included, from libyaml's event stream (no
/// document is built): each anchor's size is recorded when its node ends and an alias adds it.
/// Linear in the text, whatever the aliases expand to.
enum AliasBudget {
    /// The 1-based line and column where the expansion passes `limit`, or nil (also for text
    /// libyaml cannot parse: the composer reports that with its own message).
    static func exceeded(_ text: String, limit: Int) -> (Int, Int)? {
        guard text.contains("*") else { return nil }  // no alias, no expansion
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buffer -> (Int, Int)? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var sizes: [String: Int] = [:]
            // Open collections: their anchor and the values counted in them so far.
            var open: [(anchor: String?, count: Int)] = []
            var total = 0
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                let mark = (Int(event.start_mark.line) + 1, Int(event.start_mark.column) + 1)
                var added = 0
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return nil
                case YAML_SCALAR_EVENT:
                    added = 1
                    if let a = event.data.scalar.anchor { sizes[String(cString: a)] = 1 }
                case YAML_ALIAS_EVENT:
                    added = event.data.alias.anchor.flatMap { sizes[String(cString: $0)] } ?? 1
                case YAML_SEQUENCE_START_EVENT:
                    open.append((event.data.sequence_start.anchor.map { String(cString: $0) }, 1))
                case YAML_MAPPING_START_EVENT:
                    open.append((event.data.mapping_start.anchor.map { String(cString: $0) }, 1))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    guard let closed = open.popLast() else { return nil }
                    if let a = closed.anchor { sizes[a] = closed.count }
                    if !open.isEmpty {
                        let (sum, overflow) = open[open.count - 1].count.addingReportingOverflow(closed.count)
                        open[open.count - 1].count = overflow ? Int.max : sum
                    }
                    if open.isEmpty { total = total > Int.max - closed.count ? Int.max : total + closed.count }
                default:
                    break
                }
                if added > 0 {
                    if open.isEmpty {
                        total = total > Int.max - added ? Int.max : total + added
                    } else {
                        let (sum, overflow) = open[open.count - 1].count.addingReportingOverflow(added)
                        open[open.count - 1].count = overflow ? Int.max : sum
                    }
                }
                if total > limit || (open.last.map { $0.count > limit } ?? false) { return mark }
            }
        }
    }
}
