/// A stretch of source text: where it starts (1-based line and column, in characters) and how
/// many characters it covers.
struct AntimonySpan: Hashable, Sendable {
    var line: Int
    var column: Int
    var length: Int

    static let start = AntimonySpan(line: 1, column: 1, length: 1)

    /// Orders spans by position in the text.
    static func < (a: AntimonySpan, b: AntimonySpan) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }
}

/// A problem found while reading the text, before it is turned into a `SourceError`.
struct AntimonyDiagnostic: Sendable {
    var span: AntimonySpan
    var message: String
}

/// One token of Antimony text.
struct AntimonyToken: Sendable {
    enum Kind: UInt8, Sendable {
        case identifier, number, string
        case newline, endOfFile
        case leftParen, rightParen, leftBrace, rightBrace, leftBracket, rightBracket
        case comma, semicolon, colon, colonEquals, equals
        case equalEqual, notEqual, less, lessEqual, greater, greaterEqual
        case plus, minus, star, slash, caret, percent, bang, andAnd, orOr
        case arrow  // ->
        case fatArrow  // =>
        case inhibitArrow  // -|
        case dollar, prime, dot, at
    }

    var kind: Kind
    /// Identifier name, number spelling, or string contents (escapes resolved). Empty otherwise.
    var text: String
    /// The value of a number token.
    var number: Double
    var span: AntimonySpan
    /// True when whitespace, a comment or the start of a line comes directly before the token.
    var spaceBefore: Bool

    /// How the token reads in a message: `'->'`, `'k1'`, `end of line`.
    var quoted: String {
        switch kind {
        case .newline: return "end of line"
        case .endOfFile: return "end of file"
        case .string: return "a string"
        case .identifier, .number: return "'\(text)'"
        default: return "'\(AntimonyToken.spelling(kind))'"
        }
    }

    static func spelling(_ kind: Kind) -> String {
        switch kind {
        case .identifier: return "name"
        case .number: return "number"
        case .string: return "string"
        case .newline: return "end of line"
        case .endOfFile: return "end of file"
        case .leftParen: return "("
        case .rightParen: return ")"
        case .leftBrace: return "{"
        case .rightBrace: return "}"
        case .leftBracket: return "["
        case .rightBracket: return "]"
        case .comma: return ","
        case .semicolon: return ";"
        case .colon: return ":"
        case .colonEquals: return ":="
        case .equals: return "="
        case .equalEqual: return "=="
        case .notEqual: return "!="
        case .less: return "<"
        case .lessEqual: return "<="
        case .greater: return ">"
        case .greaterEqual: return ">="
        case .plus: return "+"
        case .minus: return "-"
        case .star: return "*"
        case .slash: return "/"
        case .caret: return "^"
        case .percent: return "%"
        case .bang: return "!"
        case .andAnd: return "&&"
        case .orOr: return "||"
        case .arrow: return "->"
        case .fatArrow: return "=>"
        case .inhibitArrow: return "-|"
        case .dollar: return "$"
        case .prime: return "'"
        case .dot: return "."
        case .at: return "@"
        }
    }
}

/// Splits Antimony text into tokens.
///
/// Comments (`//`, `#` to the end of the line, `/* ... */`) and blank space are skipped; a
/// backslash at the end of a line joins it to the next. Line ends are tokens, because they end
/// statements. Problems (bad characters, malformed numbers, unterminated comments or strings)
/// are collected and lexing goes on, so several can be reported at once.
struct AntimonyLexer {
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var column = 1
    private var spaceBefore = true

    private(set) var tokens: [AntimonyToken] = []
    private(set) var diagnostics: [AntimonyDiagnostic] = []
    /// True when the text ends inside a `/* ... */` comment.
    private(set) var endsInsideComment = false
    /// The text of each line comment (`//` or `#`, without the marker), with its line.
    private(set) var comments: [(line: Int, text: String)] = []

    init(_ text: String) {
        bytes = Array(text.utf8)
        // Skip a byte order mark.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    /// Tokenizes the whole text; the last token is always `.endOfFile`.
    static func tokenize(_ text: String) -> AntimonyLexer {
        var lexer = AntimonyLexer(text)
        lexer.run()
        return lexer
    }

    private func peek(_ offset: Int = 0) -> UInt8 {
        let i = index + offset
        return i < bytes.count ? bytes[i] : 0
    }

    private var atEnd: Bool { index >= bytes.count }

    /// Moves past one byte, keeping line and (character) column up to date.
    private mutating func advance() {
        let b = bytes[index]
        index += 1
        if b == UInt8(ascii: "\n") {
            line += 1
            column = 1
        } else if b & 0xC0 != 0x80 {
            // Count characters, not UTF-8 continuation bytes.
            column += 1
        }
    }

    private mutating func emit(
        _ kind: AntimonyToken.Kind, text: String = "", number: Double = 0,
        line: Int, column: Int, length: Int
    ) {
        tokens.append(
            AntimonyToken(
                kind: kind, text: text, number: number,
                span: AntimonySpan(line: line, column: column, length: max(1, length)),
                spaceBefore: spaceBefore))
        spaceBefore = false
    }

    private mutating func error(_ message: String, line: Int, column: Int, length: Int = 1) {
        diagnostics.append(
            AntimonyDiagnostic(
                span: AntimonySpan(line: line, column: column, length: max(1, length)),
                message: message))
    }

    private static func isIdentStart(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b == 0x5F
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    private static func isIdentPart(_ b: UInt8) -> Bool { isIdentStart(b) || isDigit(b) }

    private func text(_ start: Int, _ end: Int) -> String {
        String(decoding: bytes[start ..< end], as: UTF8.self)
    }

    mutating func run() {
        while !atEnd {
            let b = peek()
            let startLine = line, startColumn = column
            switch b {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), 0x0B, 0x0C:
                advance()
                spaceBefore = true
            case UInt8(ascii: "\n"):
                emit(.newline, line: startLine, column: startColumn, length: 1)
                advance()
                spaceBefore = true
            case UInt8(ascii: "#"):
                skipLineComment()
            case UInt8(ascii: "/") where peek(1) == UInt8(ascii: "/"):
                skipLineComment()
            case UInt8(ascii: "/") where peek(1) == UInt8(ascii: "*"):
                skipBlockComment()
            case UInt8(ascii: "\\"):
                // A backslash before the line end continues the statement on the next line.
                var j = index + 1
                while j < bytes.count, bytes[j] == UInt8(ascii: " ") || bytes[j] == UInt8(ascii: "\t") || bytes[j] == UInt8(ascii: "\r") { j += 1 }
                if j >= bytes.count || bytes[j] == UInt8(ascii: "\n") {
                    while index < j { advance() }
                    if !atEnd { advance() }
                    spaceBefore = true
                } else {
                    error("unexpected character '\\'", line: startLine, column: startColumn)
                    advance()
                }
            case UInt8(ascii: "\""):
                lexString()
            default:
                if AntimonyLexer.isIdentStart(b) {
                    let start = index
                    while !atEnd && AntimonyLexer.isIdentPart(peek()) { advance() }
                    emit(
                        .identifier, text: text(start, index), line: startLine, column: startColumn,
                        length: index - start)
                } else if AntimonyLexer.isDigit(b) || (b == UInt8(ascii: ".") && AntimonyLexer.isDigit(peek(1))) {
                    lexNumber()
                } else {
                    lexPunctuation()
                }
            }
        }
        emit(.endOfFile, line: line, column: column, length: 1)
    }

    private mutating func skipLineComment() {
        let startLine = line
        var start = index + (peek() == UInt8(ascii: "#") ? 1 : 2)
        while !atEnd && peek() != UInt8(ascii: "\n") { advance() }
        start = Swift.min(start, index)
        comments.append((startLine, text(start, index)))
        spaceBefore = true
    }

    private mutating func skipBlockComment() {
        let startLine = line, startColumn = column
        advance(); advance()
        while !atEnd {
            if peek() == UInt8(ascii: "*") && peek(1) == UInt8(ascii: "/") {
                advance(); advance()
                spaceBefore = true
                return
            }
            advance()
        }
        error("unterminated comment: '/*' has no matching '*/'", line: startLine, column: startColumn, length: 2)
        endsInsideComment = true
    }

    private mutating func lexString() {
        let startLine = line, startColumn = column
        advance()
        var value = [UInt8]()
        while !atEnd && peek() != UInt8(ascii: "\"") && peek() != UInt8(ascii: "\n") {
            if peek() == UInt8(ascii: "\\") && (peek(1) == UInt8(ascii: "\"") || peek(1) == UInt8(ascii: "\\")) {
                advance()
            }
            value.append(peek())
            advance()
        }
        let contents = String(decoding: value, as: UTF8.self)
        if atEnd || peek() == UInt8(ascii: "\n") {
            error("unterminated string: '\"' has no matching '\"' on this line", line: startLine, column: startColumn)
        } else {
            advance()
        }
        emit(.string, text: contents, line: startLine, column: startColumn, length: column - startColumn)
    }

    /// Numbers: `12`, `1.5`, `.5`, `1.`, `1e-12`, `1.5E+3`. A second decimal point or an exponent
    /// marker without digits makes the whole spelling a malformed number.
    private mutating func lexNumber() {
        let start = index, startLine = line, startColumn = column
        var malformed = false
        var dots = 0
        while !atEnd && (AntimonyLexer.isDigit(peek()) || peek() == UInt8(ascii: ".")) {
            if peek() == UInt8(ascii: ".") {
                dots += 1
                // `1.2.3`: swallow the rest so the error covers the whole spelling.
                if dots > 1 { malformed = true }
            }
            advance()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            var j = 1
            if peek(1) == UInt8(ascii: "+") || peek(1) == UInt8(ascii: "-") { j = 2 }
            if AntimonyLexer.isDigit(peek(j)) {
                for _ in 0 ..< j { advance() }
                while !atEnd && AntimonyLexer.isDigit(peek()) { advance() }
                if peek() == UInt8(ascii: ".") {
                    malformed = true
                    while !atEnd && (AntimonyLexer.isDigit(peek()) || peek() == UInt8(ascii: ".")) { advance() }
                }
            } else {
                malformed = true
                for _ in 0 ..< j { advance() }
            }
        }
        // `4.63e-05e3` (a second exponent) and `0x1F`, `0b101` (C's base prefixes) are one
        // malformed number, not a number and then a name: they read as 4.63e-05 and 0 without a
        // word. (A name right after a plain number stays allowed: `2A` is a stoichiometry.)
        let hasExponent = text(start, index).contains { $0 == "e" || $0 == "E" }
        let basePrefix =
            index - start == 1 && bytes[start] == UInt8(ascii: "0")
            && [
                UInt8(ascii: "x"), UInt8(ascii: "X"), UInt8(ascii: "b"), UInt8(ascii: "B"),
                UInt8(ascii: "o"), UInt8(ascii: "O"),
            ].contains(peek())
        if !atEnd && (basePrefix || (hasExponent && AntimonyLexer.isIdentPart(peek()))) {
            malformed = true
            while !atEnd
                && (AntimonyLexer.isIdentPart(peek()) || peek() == UInt8(ascii: ".")
                    || ((peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-"))
                        && (peek(-1) == UInt8(ascii: "e") || peek(-1) == UInt8(ascii: "E"))))
            {
                advance()
            }
        }
        let spelling = text(start, index)
        var value = 0.0
        if malformed {
            error("malformed number '\(spelling)'", line: startLine, column: startColumn, length: index - start)
        } else if let v = Double(spelling) {
            if v.isFinite {
                value = v
            } else {
                error("number '\(spelling)' is too large", line: startLine, column: startColumn, length: index - start)
            }
        } else {
            error("malformed number '\(spelling)'", line: startLine, column: startColumn, length: index - start)
        }
        emit(.number, text: spelling, number: value, line: startLine, column: startColumn, length: index - start)
    }

    private mutating func lexPunctuation() {
        let startLine = line, startColumn = column
        let b = peek(), next = peek(1)
        func two(_ kind: AntimonyToken.Kind) {
            advance(); advance()
            emit(kind, line: startLine, column: startColumn, length: 2)
        }
        func one(_ kind: AntimonyToken.Kind) {
            advance()
            emit(kind, line: startLine, column: startColumn, length: 1)
        }
        switch b {
        case UInt8(ascii: "("): one(.leftParen)
        case UInt8(ascii: ")"): one(.rightParen)
        case UInt8(ascii: "{"): one(.leftBrace)
        case UInt8(ascii: "}"): one(.rightBrace)
        case UInt8(ascii: "["): one(.leftBracket)
        case UInt8(ascii: "]"): one(.rightBracket)
        case UInt8(ascii: ","): one(.comma)
        case UInt8(ascii: ";"): one(.semicolon)
        case UInt8(ascii: ":"): next == UInt8(ascii: "=") ? two(.colonEquals) : one(.colon)
        case UInt8(ascii: "="):
            if next == UInt8(ascii: "=") { two(.equalEqual) } else if next == UInt8(ascii: ">") { two(.fatArrow) } else { one(.equals) }
        case UInt8(ascii: "!"): next == UInt8(ascii: "=") ? two(.notEqual) : one(.bang)
        case UInt8(ascii: "<"): next == UInt8(ascii: "=") ? two(.lessEqual) : one(.less)
        case UInt8(ascii: ">"): next == UInt8(ascii: "=") ? two(.greaterEqual) : one(.greater)
        case UInt8(ascii: "+"): one(.plus)
        case UInt8(ascii: "-"):
            if next == UInt8(ascii: ">") {
                two(.arrow)
            } else if next == UInt8(ascii: "|") && peek(2) != UInt8(ascii: "|") {
                two(.inhibitArrow)
            } else {
                one(.minus)
            }
        case UInt8(ascii: "*"): one(.star)
        case UInt8(ascii: "/"): one(.slash)
        case UInt8(ascii: "^"): one(.caret)
        case UInt8(ascii: "%"): one(.percent)
        case UInt8(ascii: "&") where next == UInt8(ascii: "&"): two(.andAnd)
        case UInt8(ascii: "|") where next == UInt8(ascii: "|"): two(.orOr)
        case UInt8(ascii: "$"): one(.dollar)
        case UInt8(ascii: "'"): one(.prime)
        case UInt8(ascii: "."): one(.dot)
        case UInt8(ascii: "@"): one(.at)
        default:
            // Report the whole character (it may be several UTF-8 bytes), then skip it.
            let start = index
            advance()
            while !atEnd && peek() & 0xC0 == 0x80 { advance() }
            let scalars = String(decoding: bytes[start ..< index], as: UTF8.self).unicodeScalars
            let description: String
            if b == UInt8(ascii: "&") {
                description = "unexpected character '&' (did you mean '&&'?)"
            } else if b == UInt8(ascii: "|") {
                description = "unexpected character '|' (did you mean '||'?)"
            } else if let s = scalars.first, s.value >= 0x20, s.value != 0x7F, s != "\u{FFFD}" {
                description = "unexpected character '\(String(s))'"
            } else {
                let v = scalars.first?.value ?? UInt32(b)
                let hex = String(v, radix: 16, uppercase: true)
                description = "unexpected character U+\(String(repeating: "0", count: max(0, 4 - hex.count)))\(hex)"
            }
            error(description, line: startLine, column: startColumn)
            spaceBefore = true
        }
    }
}
