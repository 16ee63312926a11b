import CascadeCore
import Foundation

/// A PEtab (format version 1) problem: an SBML model, its experimental conditions, observables,
/// parameters and measurements.
///
///     let problem = try PEtabProblem(contentsOf: URL(fileURLWithPath: "Boehm.yaml"))
///     let plan = try PEtabSimulationPlan(problem)       // CascadePEtab: what to simulate, at nominal values
///
/// Reading checks what can be checked without simulating: required columns, numbers, ids that
/// must exist (conditions, observables, model targets of condition columns, placeholders).
/// Errors name the file, line and column: `InputError` for the problem file (YAML),
/// `PEtabError` for the tables, `SBMLError` for the model.
public struct PEtabProblem: Sendable {
    /// The problem file, when read from one.
    public var url: URL?
    /// The SBML model as read (before the parameter and condition tables are applied; see
    /// `simulationModel()`).
    public var model: Model
    public var conditions: [PEtabCondition]
    public var observables: [PEtabObservable]
    public var parameters: [PEtabParameter]
    public var measurements: PEtabMeasurementTable
    /// File names for messages.
    public var conditionFile = "conditions"
    public var observableFile = "observables"
    public var parameterFile = "parameters"

    public init(
        model: Model, conditions: [PEtabCondition], observables: [PEtabObservable],
        parameters: [PEtabParameter], measurements: PEtabMeasurementTable
    ) {
        self.model = model
        self.conditions = conditions
        self.observables = observables
        self.parameters = parameters
        self.measurements = measurements
    }

    public func condition(_ id: String) -> PEtabCondition? { conditions.first { $0.id == id } }
    public func observable(_ id: String) -> PEtabObservable? { observables.first { $0.id == id } }
    public func parameter(_ id: String) -> PEtabParameter? { parameters.first { $0.id == id } }

    /// Reads the problem YAML and every file it names (paths relative to the YAML's folder).
    /// Visualization and mapping files are not read. Exactly one entry under `problems` with one
    /// SBML file is supported; several condition, observable or measurement files are joined.
    public init(contentsOf url: URL) throws {
        let label = url.lastPathComponent
        let text: String
        do { text = try InputFile.text(url) } catch {
            throw PEtabError(file: label, (error as? InputFileError)?.message ?? "cannot read the problem file")
        }
        // The problem file through the YAML reader: errors give the line and column.
        let root = try YAMLValue.parse(text, file: label)
        guard root.isMapping else { throw root.error("the problem file must be a YAML mapping") }
        let version = try root.required("format_version")
        let v = try version.string()
        guard v == "1" || v.hasPrefix("1.") else {
            throw version.error("\(v) is not supported (PEtab version 1 only)")
        }
        func files(_ value: YAMLValue?) throws -> [YAMLValue] {
            guard let value else { return [] }
            guard value.isScalar || value.isList else { throw value.error("expected a file name or a list of them") }
            return try value.listOrSingle().map { f in
                guard f.isScalar else { throw f.error("expected a file name") }
                return f
            }
        }
        let folder = url.deletingLastPathComponent()
        func resolve(_ node: YAMLValue) throws -> URL {
            let name = try node.string()
            let u = name.hasPrefix("/") ? URL(fileURLWithPath: name) : folder.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: u.path) else {
                throw node.error("\(name) does not exist")
            }
            return u
        }
        let parameterFiles = try files(root["parameter_file"])
        guard !parameterFiles.isEmpty else { throw root.error("'parameter_file' is missing") }
        let problemsNode = try root.required("problems")
        let problems = try problemsNode.list()
        guard problems.count == 1, problems[0].isMapping else {
            throw problemsNode.error("list exactly one problem (found \(problems.count))")
        }
        let problem = problems[0]
        func required(_ key: String) throws -> [URL] {
            let names = try files(problem[key])
            guard !names.isEmpty else { throw problem.error("'\(key)' is missing from the problem") }
            return try names.map(resolve)
        }
        var modelFiles = try files(problem["sbml_files"])
        if modelFiles.isEmpty { modelFiles = try files(problem["model_files"]) }
        guard modelFiles.count == 1 else {
            throw (problem["sbml_files"] ?? problem).error("name exactly one SBML file in 'sbml_files' (found \(modelFiles.count))")
        }
        let modelURL = try resolve(modelFiles[0])
        let model = try SBML.read(contentsOf: modelURL)

        func tables(_ urls: [URL]) throws -> [PEtabTable] { try urls.map { try PEtabTable(contentsOf: $0) } }
        let conditionTables = try tables(try required("condition_files"))
        let observableTables = try tables(try required("observable_files"))
        let measurementTables = try tables(try required("measurement_files"))
        let parameterTables = try tables(try parameterFiles.map(resolve))

        self.init(
            model: model,
            conditions: try conditionTables.flatMap { try PEtabCondition.read($0) },
            observables: try observableTables.flatMap { try PEtabObservable.read($0) },
            parameters: try parameterTables.flatMap { try PEtabParameter.read($0) },
            measurements: try PEtabMeasurementTable.concatenating(measurementTables.map { try PEtabMeasurementTable($0) }))
        self.url = url
        conditionFile = conditionTables.map(\.file).joined(separator: " + ")
        observableFile = observableTables.map(\.file).joined(separator: " + ")
        parameterFile = parameterTables.map(\.file).joined(separator: " + ")
        try checkIds()
    }

    /// Checks that ids are unique across joined tables and that measurements name existing
    /// conditions and observables.
    public func checkIds() throws {
        var seen = Set<String>()
        for c in conditions where !seen.insert(c.id).inserted {
            throw PEtabError(file: conditionFile, line: c.line, column: "conditionId", "condition '\(c.id)' is defined twice")
        }
        seen = []
        for o in observables where !seen.insert(o.id).inserted {
            throw PEtabError(file: observableFile, line: o.line, column: "observableId", "observable '\(o.id)' is defined twice")
        }
        seen = []
        for p in parameters where !seen.insert(p.id).inserted {
            throw PEtabError(file: parameterFile, line: p.line, column: "parameterId", "parameter '\(p.id)' is listed twice")
        }
        try check(measurements)
    }

    /// Checks that a measurement table names only this problem's conditions and observables.
    public func check(_ table: PEtabMeasurementTable) throws {
        let conditionIds = Set(conditions.map(\.id)), observableIds = Set(observables.map(\.id))
        for m in table.measurements {
            guard observableIds.contains(m.observableId) else {
                throw table.table.error(row: m.row, column: "observableId", "unknown observable '\(m.observableId)' (not in \(observableFile))")
            }
            guard conditionIds.contains(m.simulationConditionId) else {
                throw table.table.error(
                    row: m.row, column: "simulationConditionId",
                    "unknown condition '\(m.simulationConditionId)' (not in \(conditionFile))")
            }
            if let p = m.preequilibrationConditionId, !conditionIds.contains(p) {
                throw table.table.error(row: m.row, column: "preequilibrationConditionId", "unknown condition '\(p)' (not in \(conditionFile))")
            }
        }
    }

    // MARK: The model to simulate

    /// The number a table value stands for: itself, or a parameter's nominal value (from the
    /// parameter table, else the model's declared value).
    public func resolve(_ value: PEtabValue) -> Double? {
        switch value {
        case .number(let v): return v
        case .parameter(let id):
            if let p = parameter(id) { return p.nominalValue }
            return model.parameter(id)?.value
        }
    }

    /// The model to simulate: the SBML model with the parameter table's nominal values applied,
    /// and prepared so that each condition's values can be passed as simulation inputs by id:
    ///
    /// - A model parameter in the parameter table takes its nominal value; an initial assignment
    ///   to it is removed (the table overrides the model).
    /// - A model id set by the condition table loses its initial assignment (the table wins)
    ///   when every condition gives it a value; it gets a declared value when it had none.
    /// - A species set by the condition table has its initial value declared as PEtab reads it:
    ///   an amount when it has only substance units, else a concentration.
    ///
    /// Throws for a parameter-table or condition-table id that an assignment rule sets, a
    /// condition column that is not a parameter, species or compartment, and a column whose
    /// target has an initial assignment while some condition keeps the model value (NaN).
    public func simulationModel() throws -> Model {
        var m = model
        let assignmentRuleTargets = Set(
            m.rules.compactMap { r -> String? in
                if case .assignment(let v, _) = r { return v }
                return nil
            })
        // Parameter table.
        for p in parameters {
            guard let i = m.parameters.firstIndex(where: { $0.id == p.id }) else { continue }
            if assignmentRuleTargets.contains(p.id) {
                throw PEtabError(
                    file: parameterFile, line: p.line, column: "parameterId",
                    "'\(p.id)' is set by an assignment rule in the model, so the parameter table cannot set it")
            }
            m.parameters[i].value = p.nominalValue
            m.initialAssignments.removeAll { $0.variable == p.id }
        }
        // Condition table.
        var targets: [String] = []
        for c in conditions { for k in c.values.keys.sorted() where !targets.contains(k) { targets.append(k) } }
        for id in targets {
            let given = conditions.compactMap { c -> (PEtabCondition, Double)? in
                guard let v = c.values[id] else { return nil }
                return (c, resolve(v) ?? .nan)
            }
            for (c, v) in given where v.isNaN {
                if case .parameter(let pid)? = c.values[id] {
                    throw PEtabError(
                        file: conditionFile, line: c.line, column: id,
                        "'\(pid)' is neither in the parameter table nor a model parameter with a value")
                }
            }
            let first = given.first { !$0.1.isNaN }?.1
            let keeps = given.contains { $0.1.isNaN }
            let line = conditions.first?.line.map { _ in 1 }
            if assignmentRuleTargets.contains(id) {
                throw PEtabError(
                    file: conditionFile, line: line, column: id,
                    "'\(id)' is set by an assignment rule in the model, so conditions cannot set it")
            }
            if m.initialAssignments.contains(where: { $0.variable == id }) {
                if keeps {
                    throw PEtabError(
                        file: conditionFile, line: line, column: id,
                        "'\(id)' has an initial assignment in the model and some conditions keep it (NaN); give every condition a value")
                }
                m.initialAssignments.removeAll { $0.variable == id }
            }
            if let i = m.parameters.firstIndex(where: { $0.id == id }) {
                if m.parameters[i].value == nil { m.parameters[i].value = first ?? 0 }
            } else if let i = m.compartments.firstIndex(where: { $0.id == id }) {
                if m.compartments[i].size == nil { m.compartments[i].size = first ?? 1 }
            } else if let i = m.species.firstIndex(where: { $0.id == id }) {
                let s = m.species[i]
                let size = m.compartment(s.compartment)?.size
                switch s.initial {
                case nil:
                    m.species[i].initial = s.hasOnlySubstanceUnits ? .amount(first ?? 0) : .concentration(first ?? 0)
                case .amount(let a) where !s.hasOnlySubstanceUnits:
                    if let size, size > 0 { m.species[i].initial = .concentration(a / size) }
                case .concentration(let c) where s.hasOnlySubstanceUnits:
                    if let size { m.species[i].initial = .amount(c * size) }
                default: break
                }
            } else {
                throw PEtabError(
                    file: conditionFile, line: line, column: id,
                    "'\(id)' is not a parameter, species or compartment of the model")
            }
        }
        return m
    }

    /// Ids whose initial values a condition sets and which therefore are re-initialised after
    /// pre-equilibration when the simulation condition gives them a value: species, and
    /// parameters or compartments that rate rules change.
    public func reinitialisableTargets() -> Set<String> {
        var out = Set(model.species.map(\.id))
        for r in model.rules { if case .rate(let v, _) = r { out.insert(v) } }
        return out
    }
}
