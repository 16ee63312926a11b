import Foundation

/// A tab-separated table as PEtab writes them: a header line of column names, then one row per
/// line. Fields are trimmed of surrounding spaces; a UTF-8 byte-order mark, carriage returns and
/// blank lines are ignored; a row with fewer fields than the header is padded with empty fields.
/// A header whose first column has no name (the index column pandas writes) is kept as a
/// column named "".
///
///     let table = try PEtabTable(contentsOf: url)
///     for row in 0 ..< table.rowCount { print(table[row, "observableId"] ?? "") }
public struct PEtabTable: Hashable, Sendable {
    /// The name used in error messages (the file name as the caller gave it).
    public var file: String
    public var columns: [String]
    /// Fields, row by row, one per column.
    public var rows: [[String]]
    /// The 1-based line of each row in the file (the header is line 1).
    public var lines: [Int]

    public var rowCount: Int { rows.count }

    public init(file: String, columns: [String], rows: [[String]], lines: [Int]? = nil) {
        self.file = file
        self.columns = columns
        self.rows = rows
        self.lines = lines ?? rows.indices.map { $0 + 2 }
    }

    /// Reads a table from a file; `name` labels it in error messages (default: the file name).
    public init(contentsOf url: URL, name: String? = nil) throws {
        let label = name ?? url.lastPathComponent
        let data: Data
        do { data = try InputFile.read(url) } catch {
            throw PEtabError(file: label, (error as? InputFileError)?.message ?? "cannot read the file: \(error)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PEtabError(file: label, "the file is not UTF-8 text")
        }
        try self.init(parsing: text, file: label)
    }

    /// Parses tab-separated text.
    public init(parsing text: String, file: String) throws {
        self.file = file
        var header: [String]?
        var rows: [[String]] = []
        var lines: [Int] = []
        var lineNumber = 0
        // Split on Characters that are newlines: "\r\n" is one Character in Swift.
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            var line = Substring(rawLine)
            if lineNumber == 1, line.hasPrefix("\u{FEFF}") { line = line.dropFirst() }
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard let h = header else {
                var seen = Set<String>()
                for (i, name) in fields.enumerated() {
                    if name.isEmpty && i > 0 {
                        throw PEtabError(file: file, line: lineNumber, "the header's column \(i + 1) has no name")
                    }
                    if !seen.insert(name).inserted {
                        throw PEtabError(file: file, line: lineNumber, "the header names column '\(name)' twice")
                    }
                }
                header = fields
                continue
            }
            if fields.count > h.count {
                // Trailing empty fields (a stray tab at the end of a line) are harmless.
                if fields[h.count...].contains(where: { !$0.isEmpty }) {
                    throw PEtabError(
                        file: file, line: lineNumber,
                        "the row has \(fields.count) fields but the header names \(h.count) columns")
                }
                rows.append(Array(fields[..<h.count]))
            } else {
                rows.append(fields + Array(repeating: "", count: h.count - fields.count))
            }
            lines.append(lineNumber)
        }
        guard let h = header else { throw PEtabError(file: file, "the table is empty (no header line)") }
        columns = h
        self.rows = rows
        self.lines = lines
    }

    /// The index of a column, or nil.
    public func columnIndex(_ name: String) -> Int? { columns.firstIndex(of: name) }

    /// The field of `row` in column `name`, or nil when there is no such column.
    public subscript(row: Int, name: String) -> String? {
        guard let c = columnIndex(name) else { return nil }
        return rows[row][c]
    }

    /// Throws unless every named column is present.
    public func require(_ names: [String]) throws {
        for name in names where columnIndex(name) == nil {
            throw PEtabError(file: file, line: 1, "required column '\(name)' is missing (columns: \(columns.joined(separator: ", ")))")
        }
    }

    /// An error located at a row and column.
    public func error(row: Int, column: String?, _ message: String) -> PEtabError {
        PEtabError(file: file, line: lines[row], column: column, message)
    }

    /// The tab-separated text of the table (header, then rows, each line ending in a newline).
    public var text: String {
        var out = columns.joined(separator: "\t") + "\n"
        for r in rows { out += r.joined(separator: "\t") + "\n" }
        return out
    }
}

/// Numbers as PEtab tables write them: decimal or exponent notation, `inf`, `-inf`, `nan`
/// (any capitalisation).
public enum PEtabNumber {
    public static func parse(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces)
        switch t.lowercased() {
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        case "nan": return .nan
        default: break
        }
        guard !t.isEmpty, let first = t.unicodeScalars.first,
            first == "-" || first == "+" || first == "." || ("0" ... "9").contains(first)
        else { return nil }
        return Double(t)
    }

    /// Text that reads back as the same number (`inf`, `-inf`, `nan` for the special values).
    public static func format(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v < 0 ? "-inf" : "inf" }
        return "\(v)"
    }
}
