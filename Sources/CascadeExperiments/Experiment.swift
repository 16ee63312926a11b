import CascadeCore
import CascadeFormats
import Foundation

/// An experiment: a model, an inhibitor panel, a protocol, readouts at times, and a screen.
public struct Experiment: Sendable {
    public var file: String
    public var model: Model
    public var modelPath: String
    public var panel: InhibitorPanel
    /// Parameter values of the cell line (a named parameter set), if any.
    public var line: (id: String, values: [String: Double])?
    /// Values set for this experiment (e.g. `in_vivo: 1`), applied after the line's.
    public var parameters: [String: Double] = [:]
    public var treatments: [Treatment]
    public var protocolSteps: PlateProtocol
    public var readouts: [String]
    public var readoutTimes: [Double]
    public var screen: Screen
    public var thresholds: CallThresholds
    /// The assays reading each readout (noise and detection floor), for calls and their confidence.
    public var assays = AssayPanel()
    /// Time allowed before the protocol for the untreated culture to settle (seconds).
    public var settle: Double
    /// The call rules: thresholds and assays.
    public var callRules: CallRules { CallRules(thresholds: thresholds, assays: assays) }

    /// One threshold for every readout (`--minimum-fold`): the experiment's `minimum_fold`, and
    /// no assay's own.
    public mutating func setUniformMinimumFold(_ fold: Double) {
        thresholds.minimumFold = fold
        assays = assays.uniformThreshold()
    }
    /// A sweep over parameters, treatment and inhibitor concentrations, and lines, if given.
    public var sweep: SweepSpec?

    /// Axes of a sweep: every combination of their values is simulated.
    public struct SweepSpec: Sendable {
        public enum Target: Hashable, Sendable {
            /// A model parameter (or species initial value, or compartment size).
            case parameter(String)
            /// A treatment's concentration (µM) at its first addition; later additions scale with it.
            case treatment(String)
            /// An inhibitor's concentration (µM) from the pre-incubation on.
            case inhibitor(String)
        }
        public var axes: [(name: String, target: Target, values: [Double])]
        /// Cell lines to sweep over (each a model variant); empty means the experiment's line.
        public var lines: [CellLine]
        /// Which arms to simulate: vehicle (0) and/or treated (1).
        public var arms: [Double]
    }

    /// Which inhibitor combinations to screen and at what concentrations.
    public struct Screen: Hashable, Sendable {
        /// Inhibitors screened one at a time.
        public var singles: [String]
        /// Inhibitors whose combinations (2 ... `maxCombination` at a time) are screened.
        public var combine: [String]
        public var maxCombination: Int
        /// Concentration grids per inhibitor (µM); inhibitors not listed use their typical one.
        public var doses: [String: [Double]]
        /// Conditions written out, each with its own inhibitors and protocol steps.
        public var conditions: [Condition] = []
        /// A dose axis for the treatment: concentrations (µM) of each treatment's first addition,
        /// each a condition without inhibitors (`ketamine@0.1uM`).
        public var treatmentDoses: [String: [Double]] = [:]

        public init(singles: [String], combine: [String] = [], maxCombination: Int = 1, doses: [String: [Double]] = [:]) {
            self.singles = singles
            self.combine = combine
            self.maxCombination = maxCombination
            self.doses = doses
        }
    }

    /// Loads an experiment file. Paths in it are relative to the file.
    ///
    ///     model: ketamine.ant
    ///     panel: inhibitors.yaml
    ///     line: lines/control.yaml          # optional
    ///     protocol:
    ///       - {at: -30 min, preincubate: inhibitors}
    ///       - {at: 0 min, add: ketamine, concentration: 1 uM}
    ///       - {at: 1 h, wash: [ketamine]}
    ///     readouts: [p_eEF2, BDNF, p_S6K]
    ///     times: [30 min, 2 h, 24 h, 72 h]
    ///     screen:
    ///       singles: [NBQX, rapamycin]
    ///       combinations: {of: [NBQX, rapamycin], up_to: 2}
    ///       doses: {NBQX: [1 uM, 10 uM]}
    ///     calls: {minimum_fold: 1.25, retained_changed: 0.75, retained_blocked: 0.25}
    /// Memory one sweep point takes while the sweep runs (its task: labels and inputs, about
    /// 0.5 kB; the rest for its rows on their way to the file): the bound for the grid's size.
    static let bytesPerSweepPoint = 1024

    public static func load(_ url: URL) throws -> Experiment {
        let root = try YAMLValue.load(url)
        try root.allowOnly([
            "model", "panel", "line", "protocol", "readouts", "times", "screen", "calls", "settle", "description", "sweep", "parameters", "assays",
        ])
        let base = url.deletingLastPathComponent()
        func resolve(_ v: YAMLValue) throws -> URL {
            let p = try v.string()
            let u = p.hasPrefix("/") ? URL(fileURLWithPath: p) : base.appendingPathComponent(p)
            guard FileManager.default.fileExists(atPath: u.path) else { throw v.error("no such file: \(u.path)") }
            return u
        }
        let modelNode = try root.required("model")
        let modelURL = try resolve(modelNode)
        let model = try ModelFile.load(modelURL)
        let panelNode = try root.required("panel")
        let panel = try InhibitorPanel.load(try resolve(panelNode))
        try panel.check(against: model)

        var line: (String, [String: Double])?
        if let l = root["line"] {
            let parsed = try CellLine.load(try resolve(l))
            for id in parsed.values.keys where model.parameter(id) == nil && model.species(id) == nil && model.compartment(id) == nil {
                throw l.error("line '\(parsed.id)' sets '\(id)', which is not in model '\(model.id)'")
            }
            line = (parsed.id, parsed.values)
        }

        var parameters: [String: Double] = [:]
        for (id, v) in try root["parameters"]?.entries() ?? [] {
            guard model.parameter(id) != nil || model.species(id) != nil || model.compartment(id) != nil else {
                throw v.error("'\(id)' is not a parameter, species or compartment of model '\(model.id)'")
            }
            parameters[id] = try v.double()
        }

        // Protocol.
        var protocolReader = ProtocolReader(model: model, panel: panel)
        let steps = try protocolReader.read(try root.required("protocol"))
        let treatments = protocolReader.treatments
        guard !treatments.isEmpty else { throw root.error("the protocol adds no treatment") }

        // Readouts and times.
        let readoutNode = try root.required("readouts")
        let readouts = try readoutNode.list().map { try $0.string() }
        let known = Set(
            model.species.map(\.id) + model.parameters.map(\.id) + model.compartments.map(\.id)
                + model.reactions.map(\.id) + model.observables.map(\.id))
        for (i, r) in readouts.enumerated() where !known.contains(r) {
            throw (try readoutNode.list()[i]).error("unknown readout '\(r)' in model '\(model.id)'")
        }
        // A readout listed twice would be two columns of one name (and twice the same call).
        var seenReadouts: [String: Int] = [:]
        for (i, r) in readouts.enumerated() {
            if let first = seenReadouts[r] {
                throw (try readoutNode.list()[i]).error("readout '\(r)' is listed twice (also at position \(first + 1))")
            }
            seenReadouts[r] = i
        }
        let timesNode = try root.required("times")
        let times = try timesNode.list().map { try $0.duration() }
        guard !times.isEmpty else { throw timesNode.error("give at least one readout time") }
        for i in 1 ..< max(1, times.count) where times[i] <= times[i - 1] {
            throw timesNode.error("readout times must increase")
        }

        // Screen.
        var screen = Screen(singles: [])
        if let sc = root["screen"] {
            try sc.allowOnly(["singles", "combinations", "doses", "conditions", "treatment_doses"])
            if let s = sc["singles"] {
                screen.singles = try s.list().map { try $0.string() }
            }
            if let c = sc["combinations"] {
                try c.allowOnly(["of", "up_to"])
                screen.combine = try c.required("of").list().map { try $0.string() }
                screen.maxCombination = try c.required("up_to").int()
                guard screen.maxCombination >= 1 else { throw try c.required("up_to").error("must be at least 1") }
            }
            if let d = sc["doses"] {
                for (id, grid) in try d.entries() {
                    screen.doses[id] = try grid.listOrSingle().map { try $0.concentration() }
                }
            }
            if let td = sc["treatment_doses"] {
                for (id, grid) in try td.entries() {
                    guard treatments.contains(where: { $0.id == id }) else {
                        throw td.error(
                            "'\(id)' is not a treatment the protocol adds (\(treatments.map(\.id).joined(separator: ", ")))\(didYouMean(id, treatments.map(\.id)))"
                        )
                    }
                    let doses = try grid.listOrSingle().map { try $0.concentration() }
                    guard !doses.isEmpty, doses.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw grid.error("treatment doses must be positive") }
                    screen.treatmentDoses[id] = doses
                }
            }
            for id in screen.singles + screen.combine + Array(screen.doses.keys) where panel[id] == nil {
                throw sc.error("unknown inhibitor '\(id)' (not in \(panel.file))\(didYouMean(id, panel.inhibitors.map(\.id)))")
            }
            if let cs = sc["conditions"] {
                for node in try cs.list() {
                    let c = try Condition.load(node, panel: panel, reader: protocolReader)
                    if screen.conditions.contains(where: { $0.id == c.id }) || c.id == "none" {
                        throw node.error("two screen conditions have the id '\(c.id)'")
                    }
                    screen.conditions.append(c)
                }
            }
        }
        var thresholds = CallThresholds()
        if let c = root["calls"] {
            try c.allowOnly(["minimum_fold", "retained_changed", "retained_blocked", "replicates"])
            if let v = c["replicates"] {
                thresholds.replicates = try v.int()
                guard thresholds.replicates >= 1 else { throw v.error("replicates must be at least 1") }
            }
            if let v = c["minimum_fold"] { thresholds.minimumFold = try v.double() }
            if let v = c["retained_changed"] { thresholds.retainedChanged = try v.double() }
            if let v = c["retained_blocked"] { thresholds.retainedBlocked = try v.double() }
            guard thresholds.minimumFold > 1 else { throw c.error("minimum_fold must be above 1") }
            guard thresholds.retainedBlocked < thresholds.retainedChanged else {
                throw c.error("retained_blocked must be below retained_changed")
            }
        }
        let settle = try root["settle"]?.duration() ?? 5 * 86400
        let assays = try root["assays"].map { try AssayPanel.load($0, readouts: readouts) } ?? AssayPanel()

        // Sweep.
        var sweep: SweepSpec?
        if let sw = root["sweep"] {
            try sw.allowOnly(["parameters", "lines", "arms"])
            var axes: [(String, SweepSpec.Target, [Double])] = []
            for (name, v) in try sw["parameters"]?.entries() ?? [] {
                let target: SweepSpec.Target
                if treatments.contains(where: { $0.id == name }) {
                    target = .treatment(name)
                } else if panel[name] != nil {
                    target = .inhibitor(name)
                } else if model.parameter(name) != nil || model.species(name) != nil || model.compartment(name) != nil {
                    target = .parameter(name)
                } else {
                    throw v.error("'\(name)' is not a treatment, an inhibitor or a value of model '\(model.id)'")
                }
                let values: [Double]
                if v["from"] != nil {
                    try v.allowOnly(["from", "to", "count", "scale"])
                    let read: (YAMLValue) throws -> Double = { n in
                        if case .parameter = target { return try n.double() }
                        return try n.concentration()
                    }
                    let from = try read(try v.required("from")), to = try read(try v.required("to"))
                    let count = try v.required("count").int()
                    guard count >= 2 else { throw try v.required("count").error("a range needs at least 2 values") }
                    if let problem = MemoryBudget.problem([count], bytesEach: Self.bytesPerSweepPoint, what: "a sweep axis of \(count) values") {
                        throw try v.required("count").error(problem)
                    }
                    let scale = try v["scale"]?.string() ?? "linear"
                    switch scale {
                    case "linear": values = (0 ..< count).map { from + (to - from) * Double($0) / Double(count - 1) }
                    case "log":
                        guard from > 0, to > 0 else { throw v.error("a log range needs positive ends") }
                        values = (0 ..< count).map { from * pow(to / from, Double($0) / Double(count - 1)) }
                    default: throw try v.required("scale").error("scale must be linear or log")
                    }
                } else {
                    values = try v.list().map { n in
                        if case .parameter = target { return try n.double() }
                        return try n.concentration()
                    }
                }
                guard !values.isEmpty else { throw v.error("no values to sweep") }
                axes.append((name, target, values))
            }
            var lines: [CellLine] = []
            for l in try sw["lines"]?.list() ?? [] { lines.append(try CellLine.load(try resolve(l))) }
            var arms: [Double] = [1]
            if let a = sw["arms"] {
                arms = try a.list().map { n in
                    switch try n.string() {
                    case "vehicle": return 0
                    case "treated": return 1
                    case let other: throw n.error("unknown arm '\(other)' (vehicle or treated)")
                    }
                }
            }
            guard !axes.isEmpty || !lines.isEmpty else { throw sw.error("a sweep needs parameters or lines") }
            // Every combination becomes a task held in memory: check the product before the grid
            // is built (it overflows `Int` long before memory runs out).
            let sizes = axes.map(\.2.count) + [max(1, lines.count), arms.count]
            if let problem = MemoryBudget.problem(
                sizes, bytesEach: Self.bytesPerSweepPoint,
                what: "the sweep's points (values per axis × lines × arms)")
            {
                throw sw.error(problem)
            }
            sweep = SweepSpec(axes: axes, lines: lines, arms: arms)
        }
        return Experiment(
            file: url.path, model: model, modelPath: modelURL.path, panel: panel, line: line,
            parameters: parameters, treatments: treatments, protocolSteps: PlateProtocol(steps: steps),
            readouts: readouts, readoutTimes: times, screen: screen, thresholds: thresholds, assays: assays,
            settle: settle, sweep: sweep)
    }

    /// Every condition of the screen: no inhibitor first, then singles, then combinations, each
    /// at every dose of its grid. Ids list the inhibitors (`NBQX+rapamycin`), with the
    /// concentration for those screened at several (`NBQX@1uM`).
    public var conditions: [Condition] {
        var out: [Condition] = [Condition(id: "none", inhibitors: [:])]
        var seen = Set<String>()
        func doses(_ id: String) -> [Double] { screen.doses[id] ?? [panel[id]!.typical] }
        func add(_ ids: [String]) {
            var combos: [[String: Double]] = [[:]]
            for id in ids {
                combos = combos.flatMap { c in doses(id).map { d in c.merging([id: d]) { a, _ in a } } }
            }
            for c in combos {
                // With a dose grid the id names the concentration too: NBQX@1uM+rapamycin.
                let id = c.keys.sorted().map { d in
                    (screen.doses[d]?.count ?? 1) > 1 ? "\(d)@\(doseText(c[d]!))uM" : d
                }.joined(separator: "+")
                if seen.insert(id).inserted { out.append(Condition(id: id, inhibitors: c)) }
            }
        }
        for id in screen.singles { add([id]) }
        if screen.maxCombination >= 2 {
            for k in 2 ... screen.maxCombination {
                for combo in combinations(screen.combine, k) { add(combo) }
            }
        }
        for c in screen.conditions where seen.insert(c.id).inserted { out.append(c) }
        for t in treatments.map(\.id) {
            guard let nominal = treatmentConcentration(t) else { continue }
            for dose in screen.treatmentDoses[t] ?? [] where dose != nominal {
                let c = Condition(id: "\(t)@\(doseText(dose))uM", inhibitors: [:], treatments: [t: dose])
                if seen.insert(c.id).inserted { out.append(c) }
            }
        }
        return out
    }

    /// The concentration (µM) of a treatment's first addition in the protocol.
    public func treatmentConcentration(_ id: String) -> Double? {
        for s in protocolSteps.steps { if case .add(let t, let c) = s.operation, t == id { return c } }
        return nil
    }

    /// The treatment inputs' scales of a condition: its treatment concentrations over the protocol's.
    func treatmentScales(_ c: Condition) -> [String: Double] {
        var out: [String: Double] = [:]
        for (t, dose) in c.treatments { if let nominal = treatmentConcentration(t), nominal > 0 { out[t] = dose / nominal } }
        return out
    }
}

/// A screen condition: inhibitors at concentrations (µM). Its id lists them, e.g.
/// `NBQX+rapamycin`, with concentrations when a dose grid is screened.
public struct Condition: Hashable, Sendable {
    public var id: String
    public var inhibitors: [String: Double]
    /// Protocol steps of this condition alone, added to the experiment's protocol (e.g. an
    /// inhibitor added later or washed earlier than the others).
    public var steps: [PlateProtocol.Step]
    /// Treatment concentrations (µM) of this condition's treated arm, replacing the protocol's
    /// first addition (later additions scale with it); empty: the protocol's.
    public var treatments: [String: Double]

    public init(id: String, inhibitors: [String: Double], steps: [PlateProtocol.Step] = [], treatments: [String: Double] = [:]) {
        self.id = id
        self.inhibitors = inhibitors
        self.steps = steps
        self.treatments = treatments
    }

    /// A written-out screen condition:
    ///
    ///     - id: rapamycin_after_2h
    ///       inhibitors: {rapamycin: 0.1 uM}     # or a list of ids, each at its typical concentration
    ///       protocol:
    ///         - {at: 2 h, add: rapamycin}
    ///         - {at: 26 h, wash: [rapamycin]}
    static func load(_ node: YAMLValue, panel: InhibitorPanel, reader: ProtocolReader) throws -> Condition {
        try node.allowOnly(["id", "inhibitors", "protocol", "description"])
        var inhibitors: [String: Double] = [:]
        let inhNode = try node.required("inhibitors")
        func check(_ id: String, _ n: YAMLValue) throws -> Inhibitor {
            guard let drug = panel[id] else {
                throw n.error("unknown inhibitor '\(id)' (not in \(panel.file))\(didYouMean(id, panel.inhibitors.map(\.id)))")
            }
            return drug
        }
        if case .mapping = inhNode.node {
            for (id, v) in try inhNode.entries() {
                _ = try check(id, v)
                inhibitors[id] = try v.concentration()
            }
        } else {
            for n in try inhNode.listOrSingle() {
                let id = try n.string()
                inhibitors[id] = try check(id, n).typical
            }
        }
        var steps: [PlateProtocol.Step] = []
        if let p = node["protocol"] {
            var r = reader
            steps = try r.read(p, addsTreatments: false)
            for s in steps {
                if case .addInhibitor(let id, _) = s.operation, inhibitors[id] == nil {
                    throw p.error("the condition adds '\(id)', which is not among its inhibitors")
                }
            }
        }
        let id = try node["id"]?.string() ?? inhibitors.keys.sorted().joined(separator: "+")
        return Condition(id: id, inhibitors: inhibitors, steps: steps)
    }

    /// A condition whose id lists its inhibitors (`NBQX+rapamycin`).
    init(inhibitors: [String: Double]) {
        self.init(id: inhibitors.keys.sorted().joined(separator: "+"), inhibitors: inhibitors)
    }

}

/// A concentration in µM for a condition id: `10`, `0.01` (no trailing `.0`).
func doseText(_ uM: Double) -> String {
    let t = formatNumber(uM)
    return t.hasSuffix(".0") ? String(t.dropLast(2)) : t
}

/// All k-element combinations, in order.
func combinations(_ items: [String], _ k: Int) -> [[String]] {
    guard k > 0, k <= items.count else { return k == 0 ? [[]] : [] }
    if k == items.count { return [items] }
    let first = items[0], rest = Array(items.dropFirst())
    return combinations(rest, k - 1).map { [first] + $0 } + combinations(rest, k)
}

/// A cell line: a named, documented parameter set.
public struct CellLine: Sendable {
    public var id: String
    public var description: String
    public var values: [String: Double]

    ///     id: K-NR
    ///     description: ...
    ///     parameters:
    ///       GluN2B_total: {value: 0.8, source: "...", confidence: assumed}
    ///       opioid_tone: 0.5
    public static func load(_ url: URL) throws -> CellLine {
        let root = try YAMLValue.load(url)
        try root.allowOnly(["id", "description", "parameters", "hypothesis", "sources"])
        var values: [String: Double] = [:]
        for (id, v) in try root.required("parameters").entries() {
            if case .mapping = v.node {
                try v.allowOnly(["value", "source", "confidence", "note"])
                values[id] = try v.required("value").double()
            } else {
                values[id] = try v.double()
            }
        }
        return CellLine(id: try root.required("id").string(), description: try root["description"]?.string() ?? "", values: values)
    }
}

extension Units {
    /// Seconds, allowing negative times (steps before the treatment).
    static func signedSeconds(_ v: YAMLValue) throws -> Double {
        let text = try v.string()
        guard let s = seconds(text) else { throw v.error("cannot read '\(text)' as a time (write e.g. -30 min, 0, 1 h)") }
        return s
    }
}
