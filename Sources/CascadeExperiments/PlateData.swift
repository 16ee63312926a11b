import CascadeCore
import CascadeFormats
import Foundation

/// A comma-separated file read with every field's line and column, so each error names them.
/// Double quotes quote a field (`""` is a quote inside one); blank lines and lines starting with
/// `#` are skipped; `\r\n` line ends are accepted.
struct LocatedCSV {
    struct Row {
        var line: Int
        var fields: [String]
        /// The 1-based character column where each field starts.
        var columns: [Int]
    }
    let file: String
    let header: [String]
    let rows: [Row]

    init(contentsOf url: URL, name: String? = nil) throws {
        let file = name ?? url.path
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw InputError(file: file, field: "", message: FileManager.default.fileExists(atPath: url.path) ? "not readable as UTF-8 text" : "no such file")
        }
        try self.init(text: text, file: file)
    }

    init(text: String, file: String) throws {
        self.file = file
        var rows: [Row] = []
        var header: [String]?
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = String(raw)
            if line.hasSuffix("\r") { line.removeLast() }
            if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("#") { continue }
            let (fields, columns) = try Self.split(line, file: file, line: i + 1)
            if header == nil {
                header = fields.map { $0.trimmingCharacters(in: .whitespaces) }
            } else {
                rows.append(Row(line: i + 1, fields: fields, columns: columns))
            }
        }
        guard let header else { throw InputError(file: file, line: 1, field: "", message: "the file is empty (a header line is needed)") }
        for (i, name) in header.enumerated() where header[..<i].contains(name) {
            throw InputError(file: file, line: 1, field: name, message: "column '\(name)' appears twice in the header")
        }
        self.header = header
        self.rows = rows
    }

    static func split(_ line: String, file: String, line number: Int) throws -> ([String], [Int]) {
        var fields: [String] = [], columns: [Int] = [1]
        var field = "", quoted = false
        let chars = Array(line)
        var i = 0
        while i < chars.count {
            let ch = chars[i]
            if quoted {
                if ch == "\"" {
                    if i + 1 < chars.count && chars[i + 1] == "\"" {
                        field.append("\"")
                        i += 1
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(ch)
                }
            } else if ch == "\"" && field.isEmpty {
                quoted = true
            } else if ch == "," {
                fields.append(field)
                field = ""
                columns.append(i + 2)
            } else {
                field.append(ch)
            }
            i += 1
        }
        if quoted { throw InputError(file: file, line: number, column: columns.last, field: "", message: "a quoted field is not closed") }
        fields.append(field)
        return (fields, columns)
    }

    func index(_ name: String) -> Int? { header.firstIndex(of: name) }

    func require(_ names: [String], what: String) throws {
        for n in names where index(n) == nil {
            throw InputError(
                file: file, line: 1, field: "",
                message: "required column '\(n)' is missing from the \(what) (columns: \(header.joined(separator: ", ")))")
        }
    }

    /// The field of `row` in column `name` (trimmed), empty when the row is short.
    func value(_ row: Row, _ name: String) -> String {
        guard let k = index(name), k < row.fields.count else { return "" }
        return row.fields[k].trimmingCharacters(in: .whitespaces)
    }

    func error(_ row: Row, _ name: String, _ message: String) -> InputError {
        let k = index(name)
        let column = k.flatMap { $0 < row.columns.count ? row.columns[$0] : nil }
        return InputError(file: file, line: row.line, column: column, field: name, message: message)
    }
}

/// A plate map as `cascade plan` writes it: `well,row,column,role,treatment,inhibitors,
/// concentrations_uM,replicate`, one `<compound>_uM` column per compound, `vehicle`, `assay`,
/// `line`, `read_at_s`. Only wells with a role other than `empty` or `excluded` are kept.
public struct PlateMap: Sendable {
    public struct Well: Hashable, Sendable {
        /// The well's name (`B4`).
        public var id: String
        /// The line of the plate file it is on.
        public var fileLine: Int
        public var role: String
        /// `vehicle`, or the treatments (joined by `+`).
        public var treatment: String
        /// Inhibitor concentrations (µM) by inhibitor id.
        public var inhibitors: [String: Double]
        /// Concentrations (µM) of the `<compound>_uM` columns, by compound.
        public var compounds: [String: Double]
        public var replicate: Int?
        /// The cell line (the plan's line id).
        public var cellLine: String
        /// The destructive assay the well is read by (empty when the map has no assay column).
        public var assay: String
        /// Seconds after the treatment at which the well is read.
        public var readAt: Double
    }

    public var file: String
    public var wells: [Well]
    /// Wells on the plate without cells (empty or excluded), by name, with their file line.
    public var unused: [String: Int]

    public func well(_ id: String) -> Well? { wells.first { $0.id == id } }

    public static let requiredColumns = ["well", "role", "treatment", "inhibitors", "concentrations_uM", "line", "read_at_s"]

    public static func read(_ url: URL, name: String? = nil) throws -> PlateMap {
        try PlateMap(csv: LocatedCSV(contentsOf: url, name: name))
    }

    public static func parse(_ text: String, file: String) throws -> PlateMap {
        try PlateMap(csv: LocatedCSV(text: text, file: file))
    }

    init(csv: LocatedCSV) throws {
        file = csv.file
        try csv.require(Self.requiredColumns, what: "plate map (write it with cascade plan)")
        let compoundColumns = csv.header.filter { $0.hasSuffix("_uM") && $0 != "concentrations_uM" }
        var wells: [Well] = []
        var unused: [String: Int] = [:]
        var seen: [String: Int] = [:]
        for row in csv.rows {
            let id = csv.value(row, "well")
            guard !id.isEmpty else { throw csv.error(row, "well", "the well has no name") }
            if let first = seen[id] { throw csv.error(row, "well", "well '\(id)' is listed twice (also on line \(first))") }
            seen[id] = row.line
            let role = csv.value(row, "role")
            if role.isEmpty || role == "empty" || role == "excluded" {
                unused[id] = row.line
                continue
            }
            let treatment = csv.value(row, "treatment")
            guard !treatment.isEmpty else { throw csv.error(row, "treatment", "a used well needs a treatment (or 'vehicle')") }
            let ids = csv.value(row, "inhibitors").split(separator: "+").map { $0.trimmingCharacters(in: .whitespaces) }
            let concentrationText = csv.value(row, "concentrations_uM")
            let cs = concentrationText.split(separator: "+").map { $0.trimmingCharacters(in: .whitespaces) }
            guard ids.count == cs.count else {
                throw csv.error(row, "concentrations_uM", "\(ids.count) inhibitor(s) but \(cs.count) concentration(s)")
            }
            var inhibitors: [String: Double] = [:]
            for (d, c) in zip(ids, cs) {
                guard let v = Double(c), v.isFinite, v > 0 else {
                    throw csv.error(row, "concentrations_uM", "'\(c)' is not a positive concentration (µM)")
                }
                if inhibitors[d] != nil { throw csv.error(row, "inhibitors", "inhibitor '\(d)' is listed twice") }
                inhibitors[d] = v
            }
            var compounds: [String: Double] = [:]
            for column in compoundColumns {
                let text = csv.value(row, column)
                if text.isEmpty { continue }
                guard let v = Double(text), v.isFinite, v >= 0 else { throw csv.error(row, column, "'\(text)' is not a concentration (µM)") }
                compounds[String(column.dropLast(3))] = v
            }
            let timeText = csv.value(row, "read_at_s")
            guard let t = Double(timeText), t.isFinite else { throw csv.error(row, "read_at_s", "'\(timeText)' is not a time in seconds") }
            let lineId = csv.value(row, "line")
            guard !lineId.isEmpty else { throw csv.error(row, "line", "a used well needs its cell line") }
            let rep = csv.value(row, "replicate")
            wells.append(
                Well(
                    id: id, fileLine: row.line, role: role, treatment: treatment, inhibitors: inhibitors, compounds: compounds,
                    replicate: Int(rep), cellLine: lineId, assay: csv.value(row, "assay"), readAt: t))
        }
        self.wells = wells
        self.unused = unused
    }
}

/// Plate readings: `well,readout,value`, one row per well and readout (more columns are allowed
/// and ignored). Values are the assay's numbers as read (relative units are fine).
public struct PlateReadings: Sendable {
    public struct Reading: Hashable, Sendable {
        public var well: String
        public var readout: String
        public var value: Double
        /// The line of the readings file it is on.
        public var fileLine: Int
        /// The 1-based character column of the row's fields `well`, `readout` and `value`.
        public var columns: [Int]
    }
    public var file: String
    public var readings: [Reading]

    public static func read(_ url: URL, name: String? = nil) throws -> PlateReadings {
        try PlateReadings(csv: LocatedCSV(contentsOf: url, name: name))
    }

    public static func parse(_ text: String, file: String) throws -> PlateReadings {
        try PlateReadings(csv: LocatedCSV(text: text, file: file))
    }

    init(csv: LocatedCSV) throws {
        file = csv.file
        try csv.require(["well", "readout", "value"], what: "readings file")
        var out: [Reading] = []
        var seen: [String: Int] = [:]
        for row in csv.rows {
            let well = csv.value(row, "well"), readout = csv.value(row, "readout"), text = csv.value(row, "value")
            guard !well.isEmpty else { throw csv.error(row, "well", "the reading names no well") }
            guard !readout.isEmpty else { throw csv.error(row, "readout", "the reading names no readout") }
            guard let v = Double(text) else { throw csv.error(row, "value", "'\(text)' is not a number") }
            guard v.isFinite else { throw csv.error(row, "value", "the value is \(text), not a finite number") }
            let key = well + "\u{1}" + readout
            if let first = seen[key] {
                throw csv.error(row, "well", "a second reading of '\(readout)' in well \(well) (the first is on line \(first))")
            }
            seen[key] = row.line
            let columns = ["well", "readout", "value"].map { name in csv.index(name).map { row.columns.indices.contains($0) ? row.columns[$0] : 1 } ?? 1 }
            out.append(Reading(well: well, readout: readout, value: v, fileLine: row.line, columns: columns))
        }
        guard !out.isEmpty else { throw InputError(file: csv.file, line: 1, field: "", message: "the file has no readings") }
        readings = out
    }

    func error(_ r: Reading, _ field: String, _ message: String) -> InputError {
        let k = ["well", "readout", "value"].firstIndex(of: field) ?? 0
        return InputError(file: file, line: r.fileLine, column: r.columns[k], field: field, message: message)
    }
}
