import CascadeCore
import Foundation

/// A value in a PEtab table that may be a number or the id of a parameter (in the condition
/// table, and in the measurement table's observableParameters and noiseParameters).
public enum PEtabValue: Hashable, Sendable, CustomStringConvertible {
    case number(Double)
    case parameter(String)

    /// Reads a field: a number (including `inf`, `nan`) or an id.
    public static func parse(_ text: String) -> PEtabValue? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let v = PEtabNumber.parse(t) { return .number(v) }
        guard let first = t.unicodeScalars.first, first == "_" || first.properties.isAlphabetic,
            t.unicodeScalars.allSatisfy({ $0 == "_" || $0.properties.isAlphabetic || ("0" ... "9").contains($0) })
        else { return nil }
        return .parameter(t)
    }

    /// A `;`-separated list (empty text is an empty list).
    static func parseList(_ text: String, table: PEtabTable, row: Int, column: String) throws -> [PEtabValue] {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.isEmpty { return [] }
        return try t.split(separator: ";", omittingEmptySubsequences: false).map { part in
            guard let v = parse(String(part)) else {
                throw table.error(row: row, column: column, "'\(part.trimmingCharacters(in: .whitespaces))' is neither a number nor a parameter id")
            }
            return v
        }
    }

    public var description: String {
        switch self {
        case .number(let v): return PEtabNumber.format(v)
        case .parameter(let id): return id
        }
    }
}

/// One row of the condition table: values for model parameters, species (initial values) and
/// compartments (sizes). A NaN number means "keep the model's value" (or, for a species after
/// pre-equilibration, the pre-equilibrated value).
public struct PEtabCondition: Hashable, Sendable {
    public var id: String
    public var name: String?
    /// Model id to value; ids absent here keep their model value.
    public var values: [String: PEtabValue]
    /// The table's line, for messages.
    public var line: Int?

    public init(id: String, name: String? = nil, values: [String: PEtabValue], line: Int? = nil) {
        self.id = id
        self.name = name
        self.values = values
        self.line = line
    }

    /// Reads a condition table (`conditionId`, optional `conditionName`, then one column per model id).
    public static func read(_ table: PEtabTable) throws -> [PEtabCondition] {
        try table.require(["conditionId"])
        var out: [PEtabCondition] = []
        var seen = Set<String>()
        for r in 0 ..< table.rowCount {
            let id = table[r, "conditionId"]!
            guard !id.isEmpty else { throw table.error(row: r, column: "conditionId", "the condition id is empty") }
            guard seen.insert(id).inserted else { throw table.error(row: r, column: "conditionId", "condition '\(id)' is defined twice") }
            var values: [String: PEtabValue] = [:]
            for (c, column) in table.columns.enumerated() where column != "conditionId" && column != "conditionName" {
                let field = table.rows[r][c]
                if field.isEmpty { values[column] = .number(.nan); continue }
                guard let v = PEtabValue.parse(field) else {
                    throw table.error(row: r, column: column, "'\(field)' is neither a number nor a parameter id")
                }
                values[column] = v
            }
            let name = table[r, "conditionName"].flatMap { $0.isEmpty ? nil : $0 }
            out.append(PEtabCondition(id: id, name: name, values: values, line: table.lines[r]))
        }
        return out
    }
}

/// How an observable's measurements are transformed before comparing them with simulations
/// (for the noise model; simulation tables hold untransformed values).
public enum PEtabTransformation: String, Hashable, Sendable {
    case lin, log, log10

    public func apply(_ x: Double) -> Double {
        switch self {
        case .lin: return x
        case .log: return Foundation.log(x)
        case .log10: return Foundation.log10(x)
        }
    }
}

/// One row of the observable table.
public struct PEtabObservable: Hashable, Sendable {
    public var id: String
    public var name: String?
    /// May contain placeholders `observableParameter{n}_{id}`.
    public var formula: Expr
    /// May contain placeholders `noiseParameter{n}_{id}` and the observable's own id.
    public var noiseFormula: Expr?
    public var transformation: PEtabTransformation
    public var noiseDistribution: String
    public var line: Int?

    public init(
        id: String, name: String? = nil, formula: Expr, noiseFormula: Expr? = nil,
        transformation: PEtabTransformation = .lin, noiseDistribution: String = "normal", line: Int? = nil
    ) {
        self.id = id
        self.name = name
        self.formula = formula
        self.noiseFormula = noiseFormula
        self.transformation = transformation
        self.noiseDistribution = noiseDistribution
        self.line = line
    }

    public static func read(_ table: PEtabTable) throws -> [PEtabObservable] {
        try table.require(["observableId", "observableFormula"])
        var out: [PEtabObservable] = []
        var seen = Set<String>()
        for r in 0 ..< table.rowCount {
            let id = table[r, "observableId"]!
            guard !id.isEmpty else { throw table.error(row: r, column: "observableId", "the observable id is empty") }
            guard seen.insert(id).inserted else { throw table.error(row: r, column: "observableId", "observable '\(id)' is defined twice") }
            let text = table[r, "observableFormula"]!
            let formula = try PEtabMath.parse(text, file: table.file, line: table.lines[r], column: "observableFormula")
            var noise: Expr?
            if let n = table[r, "noiseFormula"], !n.isEmpty {
                noise = try PEtabMath.parse(n, file: table.file, line: table.lines[r], column: "noiseFormula")
            }
            var transformation = PEtabTransformation.lin
            if let t = table[r, "observableTransformation"], !t.isEmpty {
                guard let tr = PEtabTransformation(rawValue: t) else {
                    throw table.error(row: r, column: "observableTransformation", "'\(t)' is not lin, log or log10")
                }
                transformation = tr
            }
            let distribution = table[r, "noiseDistribution"].flatMap { $0.isEmpty ? nil : $0 } ?? "normal"
            guard ["normal", "laplace"].contains(distribution) else {
                throw table.error(row: r, column: "noiseDistribution", "'\(distribution)' is not normal or laplace")
            }
            out.append(
                PEtabObservable(
                    id: id, name: table[r, "observableName"].flatMap { $0.isEmpty ? nil : $0 },
                    formula: formula, noiseFormula: noise, transformation: transformation,
                    noiseDistribution: distribution, line: table.lines[r]))
        }
        return out
    }
}

/// One row of the parameter table. `nominalValue` is on the linear scale whatever `scale` says.
public struct PEtabParameter: Hashable, Sendable {
    public enum Scale: String, Hashable, Sendable { case lin, log, log10 }
    public var id: String
    public var name: String?
    public var scale: Scale
    public var lowerBound: Double?
    public var upperBound: Double?
    public var nominalValue: Double
    public var estimate: Bool
    public var line: Int?

    public init(
        id: String, name: String? = nil, scale: Scale = .lin, lowerBound: Double? = nil,
        upperBound: Double? = nil, nominalValue: Double, estimate: Bool = false, line: Int? = nil
    ) {
        self.id = id
        self.name = name
        self.scale = scale
        self.lowerBound = lowerBound
        self.upperBound = upperBound
        self.nominalValue = nominalValue
        self.estimate = estimate
        self.line = line
    }

    /// The nominal value on the parameter's scale (what an optimiser works with).
    public var scaledNominalValue: Double {
        switch scale {
        case .lin: return nominalValue
        case .log: return Foundation.log(nominalValue)
        case .log10: return Foundation.log10(nominalValue)
        }
    }

    public static func read(_ table: PEtabTable) throws -> [PEtabParameter] {
        try table.require(["parameterId", "nominalValue"])
        var out: [PEtabParameter] = []
        var seen = Set<String>()
        func number(_ r: Int, _ column: String, required: Bool) throws -> Double? {
            guard let f = table[r, column], !f.isEmpty else {
                if required { throw table.error(row: r, column: column, "the value is missing") }
                return nil
            }
            guard let v = PEtabNumber.parse(f) else { throw table.error(row: r, column: column, "'\(f)' is not a number") }
            return v
        }
        for r in 0 ..< table.rowCount {
            let id = table[r, "parameterId"]!
            guard !id.isEmpty else { throw table.error(row: r, column: "parameterId", "the parameter id is empty") }
            guard seen.insert(id).inserted else { throw table.error(row: r, column: "parameterId", "parameter '\(id)' is listed twice") }
            var scale = Scale.lin
            if let s = table[r, "parameterScale"], !s.isEmpty {
                guard let sc = Scale(rawValue: s) else { throw table.error(row: r, column: "parameterScale", "'\(s)' is not lin, log or log10") }
                scale = sc
            }
            var estimate = false
            if let e = table[r, "estimate"], !e.isEmpty {
                guard e == "0" || e == "1" else { throw table.error(row: r, column: "estimate", "'\(e)' is not 0 or 1") }
                estimate = e == "1"
            }
            let nominal = try number(r, "nominalValue", required: true)!
            out.append(
                PEtabParameter(
                    id: id, name: table[r, "parameterName"].flatMap { $0.isEmpty ? nil : $0 }, scale: scale,
                    lowerBound: try number(r, "lowerBound", required: false),
                    upperBound: try number(r, "upperBound", required: false),
                    nominalValue: nominal, estimate: estimate, line: table.lines[r]))
        }
        return out
    }
}

/// One row of a measurement table (or of a simulation table, whose value column is `simulation`).
public struct PEtabMeasurement: Hashable, Sendable {
    public var observableId: String
    public var simulationConditionId: String
    public var preequilibrationConditionId: String?
    /// `inf` for a steady-state measurement.
    public var time: Double
    /// The measured (or simulated) value; NaN when the field is empty.
    public var value: Double
    public var observableParameters: [PEtabValue]
    public var noiseParameters: [PEtabValue]
    /// The row's index in its table.
    public var row: Int

    public init(
        observableId: String, simulationConditionId: String, preequilibrationConditionId: String? = nil,
        time: Double, value: Double, observableParameters: [PEtabValue] = [], noiseParameters: [PEtabValue] = [],
        row: Int = 0
    ) {
        self.observableId = observableId
        self.simulationConditionId = simulationConditionId
        self.preequilibrationConditionId = preequilibrationConditionId
        self.time = time
        self.value = value
        self.observableParameters = observableParameters
        self.noiseParameters = noiseParameters
        self.row = row
    }
}

/// A measurement table as read: the table itself (every column kept, for writing the
/// simulation table) and its rows.
///
///     let plate = try PEtabMeasurementTable(contentsOf: URL(fileURLWithPath: "plate1.tsv"))
///     plate.measurements[0].value
public struct PEtabMeasurementTable: Hashable, Sendable {
    public var table: PEtabTable
    /// `measurement` or `simulation`.
    public var valueColumn: String
    public var measurements: [PEtabMeasurement]

    public var count: Int { measurements.count }

    /// Reads a measurement table (`valueColumn` "measurement") or a simulation table ("simulation").
    public init(contentsOf url: URL, name: String? = nil, valueColumn: String = "measurement") throws {
        try self.init(try PEtabTable(contentsOf: url, name: name), valueColumn: valueColumn)
    }

    public init(_ table: PEtabTable, valueColumn: String = "measurement") throws {
        try table.require(["observableId", "simulationConditionId", "time", valueColumn])
        self.table = table
        self.valueColumn = valueColumn
        var rows: [PEtabMeasurement] = []
        rows.reserveCapacity(table.rowCount)
        let obs = table.columnIndex("observableId")!, sim = table.columnIndex("simulationConditionId")!
        let timeColumn = table.columnIndex("time")!, valueIndex = table.columnIndex(valueColumn)!
        let pre = table.columnIndex("preequilibrationConditionId")
        let op = table.columnIndex("observableParameters"), np = table.columnIndex("noiseParameters")
        for r in 0 ..< table.rowCount {
            let f = table.rows[r]
            guard !f[obs].isEmpty else { throw table.error(row: r, column: "observableId", "the observable id is empty") }
            guard !f[sim].isEmpty else { throw table.error(row: r, column: "simulationConditionId", "the condition id is empty") }
            guard let t = PEtabNumber.parse(f[timeColumn]), !t.isNaN, t != -.infinity else {
                throw table.error(row: r, column: "time", "'\(f[timeColumn])' is not a time (a number or inf)")
            }
            guard t >= 0 else { throw table.error(row: r, column: "time", "the time \(f[timeColumn]) is negative; PEtab simulations start at 0") }
            var value = Double.nan
            if !f[valueIndex].isEmpty {
                guard let v = PEtabNumber.parse(f[valueIndex]) else {
                    throw table.error(row: r, column: valueColumn, "'\(f[valueIndex])' is not a number")
                }
                value = v
            }
            let preId = pre.map { f[$0] }.flatMap { $0.isEmpty ? nil : $0 }
            rows.append(
                PEtabMeasurement(
                    observableId: f[obs], simulationConditionId: f[sim], preequilibrationConditionId: preId, time: t, value: value,
                    observableParameters: try op.map { try PEtabValue.parseList(f[$0], table: table, row: r, column: "observableParameters") } ?? [],
                    noiseParameters: try np.map { try PEtabValue.parseList(f[$0], table: table, row: r, column: "noiseParameters") } ?? [],
                    row: r))
        }
        measurements = rows
    }

    /// Several tables as one: the columns of all in order of first appearance, rows in order.
    public static func concatenating(_ tables: [PEtabMeasurementTable]) throws -> PEtabMeasurementTable {
        guard let first = tables.first else { throw PEtabError(file: "problem", "no measurement table") }
        if tables.count == 1 { return first }
        var columns: [String] = []
        for t in tables { for c in t.table.columns where !columns.contains(c) { columns.append(c) } }
        var rows: [[String]] = [], lines: [Int] = []
        for t in tables {
            let map = columns.map { t.table.columnIndex($0) }
            for (r, row) in t.table.rows.enumerated() {
                rows.append(map.map { $0.map { row[$0] } ?? "" })
                lines.append(t.table.lines[r])
            }
        }
        let names = tables.map(\.table.file).joined(separator: " + ")
        return try PEtabMeasurementTable(
            PEtabTable(file: names, columns: columns, rows: rows, lines: lines),
            valueColumn: first.valueColumn)
    }
}
