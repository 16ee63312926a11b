/// A position in a text file: 1-based line and column.
///
/// Columns count characters (Unicode scalars), not bytes, so a caret printed under the
/// offending text lines up in a terminal.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    /// The file the text came from, or a placeholder such as `<input>`.
    public var path: String
    /// 1-based line number.
    public var line: Int
    /// 1-based column number.
    public var column: Int

    public init(path: String, line: Int, column: Int) {
        self.path = path
        self.line = line
        self.column = column
    }

    /// `path:line:column`.
    public var description: String { "\(path):\(line):\(column)" }
}

/// One problem found in a model file, with the place it was found.
///
/// Its `description` is formatted like a compiler diagnostic:
///
///     model.ant:3:17: error: 'k2' is used but never given a value
///       J1: A -> B; k2*A
///                   ^~
public struct SourceError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Where the offending text starts.
    public var location: SourceLocation
    /// What is wrong, in one sentence.
    public var message: String
    /// The full text of the offending line (without its line terminator).
    public var sourceLine: String
    /// How many characters of `sourceLine` the caret marker underlines (at least 1).
    public var length: Int

    public init(location: SourceLocation, message: String, sourceLine: String, length: Int = 1) {
        self.location = location
        self.message = message
        self.sourceLine = sourceLine
        self.length = max(1, length)
    }

    /// `path:line:col: error: message`, the source line, and a caret line marking the offending text.
    public var description: String {
        // Reproduce tabs in the padding so the caret stays aligned with tab-indented source.
        var padding = ""
        for (i, ch) in sourceLine.enumerated() where i < location.column - 1 {
            padding.append(ch == "\t" ? "\t" : " ")
        }
        let known = padding.count
        if known < location.column - 1 {
            padding += String(repeating: " ", count: location.column - 1 - known)
        }
        let marker = "^" + String(repeating: "~", count: max(0, length - 1))
        return "\(location): error: \(message)\n\(sourceLine)\n\(padding)\(marker)"
    }
}

/// Every problem found in one pass over a file, in the order they occur in the text.
public struct SourceErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [SourceError]

    public init(errors: [SourceError]) {
        self.errors = errors
    }

    /// The descriptions of all errors, one after the other.
    public var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}
