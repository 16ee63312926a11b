/// A problem reading or using a PEtab problem: which file, which line, which column, and why.
///
///     measurementData.tsv:12: column 'time': 'ten' is not a number
///     problem.yaml: 'problems' must list exactly one problem (found 2)
public struct PEtabError: Error, CustomStringConvertible, Hashable, Sendable {
    /// The file at fault (as the caller named it), or a short label such as "problem".
    public var file: String
    /// The 1-based line in the file (the header is line 1 of a table).
    public var line: Int?
    /// The table column at fault.
    public var column: String?
    public var message: String

    public init(file: String, line: Int? = nil, column: String? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `file:line: column 'name': message`, leaving out the parts that are not known.
    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        s += ": "
        if let column { s += "column '\(column)': " }
        return s + message
    }
}
