import CascadeCore
import CascadeFormats
import Foundation

/// What a plate was planned from: the experiment (model, panel, protocol, settle), the lines the
/// plate may name, and the assays with their well-to-well CVs.
public struct PlateSource: Sendable {
    public var file: String
    /// The experiment, without a line.
    public var experiment: Experiment
    public var lines: [CellLine]
    public var assays: [Assay]
    /// The assay of readouts no assay lists (an experiment's fallback); nil: such readouts are errors.
    public var fallback: Assay?

    public init(file: String, experiment: Experiment, lines: [CellLine], assays: [Assay], fallback: Assay?) {
        self.file = file
        self.experiment = experiment
        self.lines = lines
        self.assays = assays
        self.fallback = fallback
    }

    /// A plan file's experiment, candidate lines and noise kinds.
    public init(plan spec: PlanSpec) {
        var e = spec.experiment
        e.line = nil
        self.init(
            file: spec.file, experiment: e, lines: spec.lines,
            assays: spec.noise.kinds.map { Assay(name: $0.name, cv: $0.cv, floor: 0, readouts: $0.readouts, source: $0.source) },
            fallback: nil)
    }

    /// An experiment file: its line (if any) and its `assays:` (readouts not listed: CV 0.2).
    public init(experiment e: Experiment) {
        var bare = e
        bare.line = nil
        let lines = e.line.map { [CellLine(id: $0.id, description: "", values: $0.values)] } ?? []
        self.init(file: e.file, experiment: bare, lines: lines, assays: e.assays.assays, fallback: e.assays.fallback)
    }

    func assay(of readout: String) -> Assay? { assays.first { $0.readouts.contains(readout) } ?? fallback }
}

/// A plate map and its readings as a PEtab version 1 problem, so `cascade likelihood`, `fit`
/// and `profile` calibrate a line from its plates.
///
/// **Model and protocol.** The model is the experiment's screening model (see
/// `PlateProtocol.screeningModel`) with the line's values: the protocol's additions, washes and
/// inhibitor pre-incubations are SBML events, and what each well received is the inputs
/// `treatment_on`, `<inhibitor>_dose` (µM) and `<treatment>_scale` (see `TreatmentInputs`), set
/// per condition in the condition table. So the PEtab conditions are exactly the runs `cascade
/// plan` and `cascade knockouts` simulate. PEtab simulations start at time 0, so model time is
/// shifted: time 0 is `settle` before the protocol's first step (the untreated culture settles
/// first, as in the planner), and a well read at `read_at_s` after the treatment is a measurement
/// at `read_at_s + settle − first step`.
///
/// **Observables.** One per readout, `obs_<readout>`, log-normal: `observableTransformation` log
/// and σ = √ln(1 + CV²) of the assay that reads it (the planner's noise model). Plate readings are
/// relative (band intensities, fluorescence), so by default each readout has a scale,
/// `scale_<readout>` (an observable parameter, log10, estimated): y = scale · readout. Its
/// nominal value is set by the caller (the geometric mean of reading over prediction is its
/// maximum-likelihood value at the nominal parameters) and its bounds are that × / ÷ `scaleRange`.
/// With `Scaling.none` the readings are taken in model units.
///
/// **Parameters.** The constants to estimate (default: those the line sets), log10, bounds
/// nominal × / ÷ `boundFactor` unless given.
public struct PlatePEtab: Sendable {
    public enum Scaling: String, Sendable, CaseIterable { case fitted, none }

    public struct Options: Sendable {
        /// Parameter ids to estimate; nil: the line's.
        public var estimate: [String]?
        /// Bounds by parameter id (linear scale); log10 scale when the lower bound is positive.
        public var bounds: [String: (lower: Double, upper: Double)] = [:]
        public var boundFactor = 10.0
        public var scaling = Scaling.fitted
        public var scaleRange = 1000.0
        /// The plate's line to use; nil: the plate's only line.
        public var line: String?
        /// Values set over the line's (e.g. starting values of the estimated parameters).
        public var values: [String: Double] = [:]
        public init() {}
    }

    public struct Condition: Hashable, Sendable {
        public var id: String
        public var name: String
        public var inputs: TreatmentInputs
    }

    public struct Measurement: Hashable, Sendable {
        public var readout: String
        public var condition: Int
        /// PEtab time (seconds from the start of the settling).
        public var time: Double
        public var value: Double
        public var well: String
        public var replicate: Int?
    }

    public struct EstimatedParameter: Hashable, Sendable {
        public var id: String
        public var nominal: Double
        public var lower: Double
        public var upper: Double
        public var log: Bool
    }

    /// The screening model with the line's values and the time-shifted protocol.
    public var model: Model
    public var lineId: String
    /// PEtab time = seconds after the treatment + offset.
    public var offset: Double
    public var drugs: [String]
    public var treatments: [Treatment]
    public var conditions: [Condition]
    /// Readouts in order of first reading, with the assay reading each.
    public var readouts: [String]
    public var assays: [String: Assay]
    public var measurements: [Measurement]
    public var estimated: [EstimatedParameter]
    public var scaling: Scaling
    public var scaleRange: Double
    /// Nominal scale of each readout (1 until set).
    public var scales: [String: Double]
    /// Readings left out because their wells belong to another line.
    public var otherLineReadings: Int
    public var sourceFile: String
    public var plateFile: String
    public var readingsFile: String

    public func observableId(_ readout: String) -> String { "obs_" + readout }
    public func scaleId(_ readout: String) -> String {
        var id = "scale_" + readout
        while model.allIds.contains(where: { $0.id == id }) { id += "_" }
        return id
    }

    // MARK: Building

    public static func build(source: PlateSource, plate: PlateMap, readings: PlateReadings, options: Options = Options()) throws -> PlatePEtab {
        let e = source.experiment
        // The line.
        let plateLines = plate.wells.reduce(into: [String]()) { if !$0.contains($1.cellLine) { $0.append($1.cellLine) } }
        guard !plateLines.isEmpty else { throw InputError(file: plate.file, field: "", message: "the plate has no used wells") }
        let lineId: String
        if let l = options.line {
            guard plateLines.contains(l) else {
                throw InputError(
                    file: plate.file, field: "line",
                    message: "--line \(l): no well of the plate has line '\(l)' (lines on the plate: \(plateLines.joined(separator: ", ")))"
                        + didYouMean(l, plateLines))
            }
            lineId = l
        } else {
            guard plateLines.count == 1 else {
                throw InputError(
                    file: plate.file, field: "line",
                    message: "the plate holds \(plateLines.count) lines (\(plateLines.joined(separator: ", "))): choose one with --line")
            }
            lineId = plateLines[0]
        }
        let lineValues: [String: Double]
        if let l = source.lines.first(where: { $0.id == lineId }) {
            lineValues = l.values
        } else if lineId == "model" {
            lineValues = [:]
        } else {
            let row = plate.wells.first { $0.cellLine == lineId }!.fileLine
            throw InputError(
                file: plate.file, line: row, field: "line",
                message: "line '\(lineId)' is not a line of \(source.file) (its lines: \(source.lines.map(\.id).joined(separator: ", ")))")
        }
        var modelValues = lineValues
        for (id, v) in options.values.sorted(by: { $0.key < $1.key }) {
            guard e.model.parameter(id) != nil || e.model.species(id) != nil || e.model.compartment(id) != nil else {
                throw InputError(
                    file: "--set", field: id,
                    message: "'\(id)' is not a parameter, species or compartment of model '\(e.model.id)'" + didYouMean(id, e.model.parameters.map(\.id)))
            }
            guard v.isFinite else { throw InputError(file: "--set", field: id, message: "the value is not finite") }
            modelValues[id] = v
        }
        let wells = plate.wells.filter { $0.cellLine == lineId }

        // The protocol's first step and the time offset.
        let offset = e.settle - e.protocolSteps.firstTime
        var protocolConcentration: [String: Double] = [:]
        for s in e.protocolSteps.steps {
            if case .add(let t, let c) = s.operation, protocolConcentration[t] == nil { protocolConcentration[t] = c }
        }

        // Conditions from the wells.
        let treatmentIds = e.treatments.map(\.id)
        var drugs: [String] = []
        var conditions: [Condition] = []
        var conditionOfWell: [String: Int] = [:]
        func plateError(_ w: PlateMap.Well, _ field: String, _ message: String) -> InputError {
            InputError(file: plate.file, line: w.fileLine, field: field, message: "well \(w.id): " + message)
        }
        for w in wells {
            var scales: [String: Double] = [:]
            let arm: Double
            if w.treatment == "vehicle" {
                arm = 0
            } else {
                arm = 1
                let given = w.treatment.split(separator: "+").map { String($0) }
                for t in given where !treatmentIds.contains(t) {
                    throw plateError(
                        w, "treatment",
                        "'\(t)' is not a treatment of \(e.file)'s protocol (treatments: \(treatmentIds.joined(separator: ", ")))" + didYouMean(t, treatmentIds))
                }
                for t in treatmentIds {
                    let listed = given.contains(t)
                    if let c = w.compounds[t] {
                        if listed {
                            guard c > 0 else { throw plateError(w, "\(t)_uM", "the well is treated with \(t) but its \(t)_uM is 0") }
                            let p = protocolConcentration[t] ?? 0
                            if p > 0, abs(c / p - 1) > 1e-9 { scales[t] = c / p }
                        } else if c > 0 {
                            throw plateError(w, "\(t)_uM", "\(t)_uM is \(c) but the treatment column does not list \(t)")
                        } else {
                            scales[t] = 0
                        }
                    } else if !listed {
                        scales[t] = 0
                    }
                }
            }
            for (d, c) in w.inhibitors {
                guard e.panel[d] != nil else {
                    throw plateError(w, "inhibitors", "'\(d)' is not an inhibitor of \(e.panel.file)" + didYouMean(d, e.panel.inhibitors.map(\.id)))
                }
                if let col = w.compounds[d], abs(col - c) > 1e-9 * max(abs(c), 1) {
                    throw plateError(w, "\(d)_uM", "\(d)_uM is \(col) but concentrations_uM gives \(c)")
                }
            }
            for d in w.inhibitors.keys.sorted() where !drugs.contains(d) { drugs.append(d) }
            let inputs = TreatmentInputs(arm: arm, doses: w.inhibitors, scales: scales)
            if let k = conditions.firstIndex(where: { $0.inputs == inputs }) {
                conditionOfWell[w.id] = k
            } else {
                conditionOfWell[w.id] = conditions.count
                conditions.append(Self.condition(inputs, treatments: treatmentIds, taken: conditions.map(\.id)))
            }
        }

        // The model.
        var withLine = e
        withLine.line = (lineId, modelValues)
        let model = try PlateProtocol.settledScreeningModel(withLine, drugs: drugs).model

        // Readings.
        var measurements: [Measurement] = []
        var readouts: [String] = []
        var assays: [String: Assay] = [:]
        var otherLine = 0
        let modelIds = model.species.map(\.id) + model.parameters.map(\.id) + model.compartments.map(\.id)
        for r in readings.readings {
            guard let w = plate.well(r.well) else {
                if let line = plate.unused[r.well] {
                    throw readings.error(r, "well", "well \(r.well) has no cells on the plate (\(plate.file) line \(line) is empty or excluded)")
                }
                throw readings.error(r, "well", "well '\(r.well)' is not on the plate \(plate.file)" + didYouMean(r.well, plate.wells.map(\.id)))
            }
            guard w.cellLine == lineId else {
                otherLine += 1
                continue
            }
            guard modelIds.contains(r.readout), model.reactions.allSatisfy({ $0.id != r.readout }) else {
                throw readings.error(
                    r, "readout", "'\(r.readout)' is not a species or parameter of model '\(model.id)'" + didYouMean(r.readout, e.readouts + modelIds))
            }
            guard let assay = source.assay(of: r.readout) else {
                throw readings.error(
                    r, "readout", "no assay of \(source.file) reads '\(r.readout)' (its assays: \(source.assays.map(\.name).joined(separator: ", ")))")
            }
            if !w.assay.isEmpty, w.assay != assay.name, source.assays.contains(where: { $0.name == w.assay }) || source.fallback == nil {
                throw readings.error(
                    r, "readout",
                    "well \(w.id) is read by \(w.assay) (\(plate.file) line \(w.fileLine)), but \(r.readout) is read by \(assay.name)")
            }
            guard r.value > 0 else {
                throw readings.error(r, "value", "\(r.value) is not positive: the readings are log-normal (\(assay.name), CV \(assay.cv))")
            }
            let t = w.readAt + offset
            guard t >= 0 else {
                throw InputError(
                    file: plate.file, line: w.fileLine, field: "read_at_s",
                    message: "well \(w.id) is read at \(w.readAt) s, before the settling starts (\(-offset) s)")
            }
            if !readouts.contains(r.readout) {
                readouts.append(r.readout)
                assays[r.readout] = assay
            }
            measurements.append(
                Measurement(readout: r.readout, condition: conditionOfWell[w.id]!, time: t, value: r.value, well: w.id, replicate: w.replicate))
        }
        guard !measurements.isEmpty else {
            throw InputError(file: readings.file, field: "", message: "no reading is of a well of line '\(lineId)'")
        }
        // Conditions without readings are left out.
        let usedConditions = Set(measurements.map(\.condition)).sorted()
        var renumber: [Int: Int] = [:]
        for (k, c) in usedConditions.enumerated() { renumber[c] = k }
        conditions = usedConditions.map { conditions[$0] }
        for i in measurements.indices { measurements[i].condition = renumber[measurements[i].condition]! }

        // Estimated parameters.
        let estimateIds: [String]
        if let ids = options.estimate {
            estimateIds = ids
        } else {
            estimateIds = lineValues.keys.sorted().filter { id in model.parameters.contains { $0.id == id && $0.constant } }
            guard !estimateIds.isEmpty else {
                throw InputError(
                    file: plate.file, field: "line",
                    message: "line '\(lineId)' sets no constant parameter of model '\(model.id)': name the parameters to estimate with --estimate")
            }
        }
        let ruleTargets = Set(model.rules.compactMap(\.variable))
        let inputIds = Set(
            TreatmentInputs(
                arm: 0, doses: Dictionary(uniqueKeysWithValues: drugs.map { ($0, 0) }), scales: Dictionary(uniqueKeysWithValues: treatmentIds.map { ($0, 1) })
            ).values.keys)
        var estimated: [EstimatedParameter] = []
        for id in estimateIds {
            guard let p = model.parameters.first(where: { $0.id == id }), p.constant, !ruleTargets.contains(id), !inputIds.contains(id) else {
                let constants = model.parameters.filter { $0.constant && !ruleTargets.contains($0.id) && !inputIds.contains($0.id) }.map(\.id)
                throw InputError(
                    file: "--estimate", field: id,
                    message: "'\(id)' is not a constant parameter of model '\(model.id)' (not set by a rule, an event or the plate)" + didYouMean(id, constants)
                )
            }
            if estimated.contains(where: { $0.id == id }) { throw InputError(file: "--estimate", field: id, message: "'\(id)' is listed twice") }
            let nominal = p.value ?? .nan
            var lower: Double, upper: Double
            if let b = options.bounds[id] {
                (lower, upper) = b
            } else {
                guard nominal > 0, nominal.isFinite else {
                    throw InputError(
                        file: "--estimate", field: id, message: "'\(id)' has the value \(nominal): give its bounds with --bounds \(id)=LOWER:UPPER")
                }
                (lower, upper) = (nominal / options.boundFactor, nominal * options.boundFactor)
            }
            guard lower < upper, lower.isFinite, upper.isFinite else {
                throw InputError(file: "--bounds", field: id, message: "the lower bound \(lower) is not below the upper bound \(upper)")
            }
            guard nominal >= lower, nominal <= upper else {
                throw InputError(file: "--bounds", field: id, message: "the nominal value \(nominal) is outside the bounds [\(lower), \(upper)]")
            }
            estimated.append(EstimatedParameter(id: id, nominal: nominal, lower: lower, upper: upper, log: lower > 0))
        }
        for id in options.bounds.keys.sorted() where !estimateIds.contains(id) {
            throw InputError(file: "--bounds", field: id, message: "'\(id)' is not estimated (estimated: \(estimateIds.joined(separator: ", ")))")
        }

        return PlatePEtab(
            model: model, lineId: lineId, offset: offset, drugs: drugs, treatments: e.treatments, conditions: conditions,
            readouts: readouts, assays: assays, measurements: measurements, estimated: estimated, scaling: options.scaling,
            scaleRange: options.scaleRange, scales: Dictionary(uniqueKeysWithValues: readouts.map { ($0, 1.0) }),
            otherLineReadings: otherLine, sourceFile: source.file, plateFile: plate.file, readingsFile: readings.file)
    }

    /// A condition's id and name: `vehicle` or the treatment (with its scale), then the inhibitors
    /// with their concentrations (`ketamine__NBQX_10uM`).
    static func condition(_ inputs: TreatmentInputs, treatments: [String], taken: [String]) -> Condition {
        func number(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : formatNumber(v) }
        func token(_ s: String) -> String {
            String(s.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : ($0 == "." ? "p" : "_") })
        }
        var idParts: [String] = [], nameParts: [String] = []
        if inputs.arm == 0 {
            idParts.append("vehicle")
            nameParts.append("vehicle")
        } else {
            for t in treatments where (inputs.scales[t] ?? 1) != 0 {
                let s = inputs.scales[t] ?? 1
                idParts.append(s == 1 ? t : "\(t)_x\(number(s))")
                nameParts.append(s == 1 ? t : "\(t) × \(number(s))")
            }
        }
        for d in inputs.doses.keys.sorted() {
            idParts.append("\(d)_\(number(inputs.doses[d]!))uM")
            nameParts.append("\(d) \(number(inputs.doses[d]!)) µM")
        }
        var id = token(idParts.joined(separator: "__"))
        if let f = id.first, !(f.isLetter || f == "_") { id = "c_" + id }
        let base = id
        var k = 2
        while taken.contains(id) {
            id = "\(base)_\(k)"
            k += 1
        }
        return Condition(id: id, name: nameParts.joined(separator: " + "), inputs: inputs)
    }

    // MARK: Tables

    static func format(_ v: Double) -> String { PEtabNumber.format(v) }

    /// The log-normal σ of an assay: √ln(1 + CV²).
    public func sigma(_ readout: String) -> Double { assays[readout]!.sigma }

    public var conditionTable: String {
        var columns = ["conditionId", "conditionName", TreatmentInputs.armParameter]
        columns += drugs.map { TreatmentInputs.doseParameter($0) }
        columns += treatments.map { TreatmentInputs.scaleParameter($0.id) }
        var out = columns.joined(separator: "\t") + "\n"
        for c in conditions {
            var row = [c.id, c.name, Self.format(c.inputs.arm)]
            row += drugs.map { Self.format(c.inputs.doses[$0] ?? 0) }
            row += treatments.map { Self.format(c.inputs.scales[$0.id] ?? 1) }
            out += row.joined(separator: "\t") + "\n"
        }
        return out
    }

    public var observableTable: String {
        var out = "observableId\tobservableName\tobservableFormula\tnoiseFormula\tobservableTransformation\tnoiseDistribution\n"
        for r in readouts {
            let a = assays[r]!
            let formula = scaling == .fitted ? "observableParameter1_\(observableId(r)) * \(r)" : r
            out +=
                [
                    observableId(r), "\(r) (\(a.name), CV \(Self.format(a.cv)))", formula, Self.format(a.sigma), "log", "normal",
                ]
                .joined(separator: "\t") + "\n"
        }
        return out
    }

    public var measurementTable: String {
        var out = "observableId\tsimulationConditionId\ttime\tmeasurement\tobservableParameters\tnoiseParameters\treplicateId\twell\n"
        for m in measurements {
            out +=
                [
                    observableId(m.readout), conditions[m.condition].id, Self.format(m.time), Self.format(m.value),
                    scaling == .fitted ? scaleId(m.readout) : "", "", m.replicate.map(String.init) ?? "", m.well,
                ]
                .joined(separator: "\t") + "\n"
        }
        return out
    }

    public var parameterTable: String {
        var out = "parameterId\tparameterName\tparameterScale\tlowerBound\tupperBound\tnominalValue\testimate\n"
        for p in estimated {
            out +=
                [
                    p.id, "\(p.id) (line \(lineId))", p.log ? "log10" : "lin", Self.format(p.lower), Self.format(p.upper),
                    Self.format(p.nominal), "1",
                ]
                .joined(separator: "\t") + "\n"
        }
        if scaling == .fitted {
            for r in readouts {
                let s = scales[r] ?? 1
                out +=
                    [
                        scaleId(r), "scale of \(r) readings (reading per model unit)", "log10", Self.format(s / scaleRange),
                        Self.format(s * scaleRange), Self.format(s), "1",
                    ]
                    .joined(separator: "\t") + "\n"
            }
        }
        return out
    }

    public var problemYAML: String {
        """
        # PEtab v1 problem of plate \(plateFile) with readings \(readingsFile), line '\(lineId)', from \(sourceFile)
        # (written by cascade plate-to-petab). Model time 0 is the start of the settling: a well read
        # at read_at_s seconds after the treatment is a measurement at read_at_s + \(Self.format(offset)) s.
        format_version: 1
        parameter_file: parameters.tsv
        problems:
          - sbml_files: [model.xml]
            condition_files: [conditions.tsv]
            measurement_files: [measurements.tsv]
            observable_files: [observables.tsv]

        """
    }

    /// The problem's files by name: problem.yaml, model.xml and the four tables.
    public var files: [(name: String, text: String)] {
        [
            ("problem.yaml", problemYAML), ("model.xml", SBML.write(model)), ("conditions.tsv", conditionTable),
            ("observables.tsv", observableTable), ("measurements.tsv", measurementTable), ("parameters.tsv", parameterTable),
        ]
    }

    /// Sets each readout's scale to its maximum-likelihood value given predictions at the nominal
    /// parameters (one per measurement, in `measurements` order, with scale 1): the geometric mean
    /// of measurement over prediction (the log-normal σ is the same for every reading of a readout).
    public mutating func setScales(predictions: [Double]) throws {
        var sums: [String: (Double, Int)] = [:]
        for (m, y) in zip(measurements, predictions) {
            guard y > 0, y.isFinite else {
                throw InputError(
                    file: plateFile, field: "",
                    message: "\(m.readout) is predicted \(y) in well \(m.well) at the nominal parameters: a scale needs positive predictions")
            }
            let (s, n) = sums[m.readout] ?? (0, 0)
            sums[m.readout] = (s + Foundation.log(m.value / y), n + 1)
        }
        for (r, (s, n)) in sums { scales[r] = Foundation.exp(s / Double(n)) }
    }
}
