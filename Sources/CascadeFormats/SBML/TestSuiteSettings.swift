import Foundation

/// A problem reading an SBML Test Suite settings or results file.
public struct SBMLTestSuiteFileError: Error, CustomStringConvertible, Hashable, Sendable {
    public var path: String
    /// 1-based line of the problem, when it is about one line.
    public var line: Int?
    public var message: String

    public init(path: String, line: Int? = nil, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    public var description: String { "\(path)\(line.map { ":\($0)" } ?? ""): \(message)" }
}

/// A case's `NNNNN-settings.txt` from the SBML Test Suite: what to simulate and report, and the
/// tolerances of the comparison.
///
///     start: 0
///     duration: 5
///     steps: 50
///     variables: S1, S2
///     absolute: 1.000000e-007
///     relative: 0.0001
///     amount: S1, S2
///     concentration:
///
/// A case passes when, at every output time and for every listed variable,
/// `|simulated - expected| <= absolute + relative * |expected|`. Flux-balance cases leave start,
/// duration and steps empty; they read as 0.
public struct SBMLTestCaseSettings: Hashable, Sendable {
    public var start: Double
    public var duration: Double
    /// Number of intervals: results have `steps + 1` rows, evenly spaced from start to start + duration.
    public var steps: Int
    /// Ids to report, in the results' column order.
    public var variables: [String]
    public var absolute: Double
    public var relative: Double
    /// Species to report as amounts.
    public var amount: [String]
    /// Species to report as concentrations.
    public var concentration: [String]

    public init(
        start: Double = 0, duration: Double, steps: Int, variables: [String], absolute: Double,
        relative: Double, amount: [String] = [], concentration: [String] = []
    ) {
        self.start = start
        self.duration = duration
        self.steps = steps
        self.variables = variables
        self.absolute = absolute
        self.relative = relative
        self.amount = amount
        self.concentration = concentration
    }

    /// The output times: `start + i * duration / steps` for `i` in `0...steps`.
    public var times: [Double] {
        guard steps > 0 else { return [start] }
        return (0 ... steps).map { start + Double($0) * duration / Double(steps) }
    }

    /// Reads a settings file. Unknown keys are ignored; `duration`, `steps`, `variables`,
    /// `absolute` and `relative` must be present.
    public static func read(contentsOf url: URL) throws -> SBMLTestCaseSettings {
        try SBMLTestCaseSettings(parsing: String(decoding: try Data(contentsOf: url), as: UTF8.self), path: url.path)
    }

    /// Parses the text of a settings file; `path` names it in errors.
    public init(parsing text: String, path: String = "<settings>") throws {
        var fields: [String: (value: String, line: Int)] = [:]
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = SBMLNumber.trim(rawLine)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw SBMLTestSuiteFileError(path: path, line: index + 1, message: "expected 'key: value', found '\(line)'")
            }
            let key = SBMLNumber.trim(line[..<colon]).lowercased()
            fields[key] = (SBMLNumber.trim(line[line.index(after: colon)...]), index + 1)
        }
        func required(_ key: String) throws -> (value: String, line: Int) {
            guard let f = fields[key] else {
                throw SBMLTestSuiteFileError(path: path, message: "no '\(key):' line")
            }
            return f
        }
        func number(_ key: String, emptyIsZero: Bool) throws -> Double {
            let f = try required(key)
            if f.value.isEmpty && emptyIsZero { return 0 }
            guard let v = SBMLNumber.parseDouble(f.value) else {
                throw SBMLTestSuiteFileError(path: path, line: f.line, message: "\(key) '\(f.value)' is not a number")
            }
            return v
        }
        func list(_ key: String) -> [String] {
            (fields[key]?.value ?? "").split(separator: ",").map { SBMLNumber.trim($0) }.filter { !$0.isEmpty }
        }
        start = fields["start"] == nil ? 0 : try number("start", emptyIsZero: true)
        duration = try number("duration", emptyIsZero: true)
        let stepsField = try required("steps")
        if stepsField.value.isEmpty {
            steps = 0
        } else if let n = Int(stepsField.value), n >= 0 {
            steps = n
        } else if let v = SBMLNumber.parseDouble(stepsField.value), v >= 0, v == v.rounded(), v < 1e9 {
            steps = Int(v)
        } else {
            throw SBMLTestSuiteFileError(
                path: path, line: stepsField.line,
                message: "steps '\(stepsField.value)' is not a non-negative integer")
        }
        _ = try required("variables")
        variables = list("variables")
        absolute = try number("absolute", emptyIsZero: false)
        relative = try number("relative", emptyIsZero: false)
        amount = list("amount")
        concentration = list("concentration")
    }
}

/// A case's expected results, `NNNNN-results.csv`: a header (`time` then the variables; the
/// suite sometimes puts spaces after the commas) and one row of numbers per output time.
/// `INF`, `-INF` and `NaN` are allowed values. Flux-balance cases have no time column.
public struct SBMLTestCaseResults: Hashable, Sendable {
    /// Column names, trimmed, in file order (the first is usually `time`).
    public var header: [String]
    /// The numbers, one array per row, each as long as `header`.
    public var rows: [[Double]]

    public init(header: [String], rows: [[Double]]) {
        self.header = header
        self.rows = rows
    }

    /// True when the first column is the time.
    public var hasTimeColumn: Bool { header.first?.lowercased() == "time" }

    /// The first column's values when it is the time, else empty.
    public var times: [Double] { hasTimeColumn ? rows.map { $0[0] } : [] }

    /// The column names other than time.
    public var variables: [String] { hasTimeColumn ? Array(header.dropFirst()) : header }

    /// The values of one column, by name (`nil` if there is no such column).
    public func values(of column: String) -> [Double]? {
        guard let i = header.firstIndex(of: column) else { return nil }
        return rows.map { $0[i] }
    }

    public static func read(contentsOf url: URL) throws -> SBMLTestCaseResults {
        try SBMLTestCaseResults(csv: String(decoding: try Data(contentsOf: url), as: UTF8.self), path: url.path)
    }

    /// Parses CSV text in the suite's format; `path` names it in errors.
    public init(csv text: String, path: String = "<results>") throws {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated()
            .map { (number: $0.offset + 1, text: SBMLNumber.trim($0.element)) }
            .filter { !$0.text.isEmpty }
        guard !lines.isEmpty else { throw SBMLTestSuiteFileError(path: path, message: "the file is empty") }
        let headerLine = lines.removeFirst()
        header = headerLine.text.split(separator: ",", omittingEmptySubsequences: false).map { SBMLNumber.trim($0) }
        rows = []
        for line in lines {
            let cells = line.text.split(separator: ",", omittingEmptySubsequences: false)
            guard cells.count == header.count else {
                throw SBMLTestSuiteFileError(
                    path: path, line: line.number,
                    message: "\(cells.count) values for \(header.count) columns")
            }
            rows.append(
                try cells.map { cell in
                    guard let v = SBMLNumber.parseDouble(String(cell)) else {
                        throw SBMLTestSuiteFileError(path: path, line: line.number, message: "'\(SBMLNumber.trim(cell))' is not a number")
                    }
                    return v
                })
        }
    }

    /// The results as CSV in the suite's format (header, then one line per row), numbers written
    /// so they read back exactly.
    public func csv() -> String {
        var out = header.joined(separator: ",") + "\n"
        for row in rows { out += row.map(SBMLNumber.format).joined(separator: ",") + "\n" }
        return out
    }

    /// One value outside the tolerance.
    public struct Mismatch: Hashable, Sendable, CustomStringConvertible {
        public var row: Int
        public var column: String
        public var expected: Double
        /// `nil` when the simulated results lack the column or the row.
        public var simulated: Double?

        public init(row: Int, column: String, expected: Double, simulated: Double?) {
            self.row = row
            self.column = column
            self.expected = expected
            self.simulated = simulated
        }

        public var description: String {
            "row \(row), \(column): expected \(expected), got \(simulated.map { "\($0)" } ?? "nothing")"
        }
    }

    /// Compares simulated results (`self`) with the expected ones, column by name, with the suite's
    /// criterion `|simulated - expected| <= absolute + relative * |expected|`. An expected NaN
    /// matches only NaN and an expected infinity only the same infinity. Only the settings'
    /// variables are compared (all of `expected`'s columns but time when it lists none).
    public func mismatches(against expected: SBMLTestCaseResults, settings: SBMLTestCaseSettings) -> [Mismatch] {
        var out: [Mismatch] = []
        let columns = settings.variables.isEmpty ? expected.variables : settings.variables
        for column in columns {
            guard let want = expected.values(of: column) else { continue }
            let got = values(of: column)
            for (row, e) in want.enumerated() {
                let s = got.flatMap { row < $0.count ? $0[row] : nil }
                let ok: Bool
                if let s {
                    if e.isNaN { ok = s.isNaN } else if e.isInfinite { ok = s == e } else { ok = abs(s - e) <= settings.absolute + settings.relative * abs(e) }
                } else {
                    ok = false
                }
                if !ok { out.append(Mismatch(row: row, column: column, expected: e, simulated: s)) }
            }
        }
        return out
    }
}
