import CascadeCore

/// Thrown inside the parser after a syntax error has been recorded; the statement is abandoned
/// and parsing resumes at the next line.
private struct AntimonySyntaxFailure: Error {}

/// A symbol (or called function) mentioned in an expression, with where it was mentioned.
struct AntimonyUse: Sendable {
    var id: String
    var span: AntimonySpan
    /// True for the name of a called function, false for a value.
    var isCall: Bool
}

/// Recursive-descent parser for the Antimony subset.
///
/// The parser checks syntax and hands each statement, already turned into `Expr` values, to an
/// `AntimonyAssembler`, which resolves what each name is once the whole file has been read
/// (Antimony lets a name be used before it is declared).
final class AntimonyParser {
    private var tokens: [AntimonyToken]
    private var pos = 0
    private(set) var diagnostics: [AntimonyDiagnostic] = []
    private var assembler: AntimonyAssembler
    /// True when the lexer found the text ending inside a comment: errors about constructs that
    /// are not closed by the end of the file would only repeat that problem.
    private let endsInsideComment: Bool

    /// Depth of parentheses inside an expression; line ends are skipped while it is positive.
    private var parenDepth = 0
    /// Index of the first line end skipped inside the innermost open parenthesis.
    private var skippedNewline: Int?
    /// Names used by the expressions of the statement being parsed.
    private var uses: [AntimonyUse] = []
    /// Whether any model content (statement, model block) was seen.
    private var sawContent = false
    private var sawModel = false

    init(lexer: AntimonyLexer, assembler: AntimonyAssembler) {
        tokens = lexer.tokens
        endsInsideComment = lexer.endsInsideComment
        self.assembler = assembler
    }

    // MARK: - Token access

    /// The current token. Inside parentheses, line ends are skipped.
    private var tok: AntimonyToken {
        _ = kind
        return tokens[pos]
    }

    /// The kind of the current token (without copying the token). Inside parentheses, line ends
    /// are skipped.
    private var kind: AntimonyToken.Kind {
        if parenDepth > 0 {
            while tokens[pos].kind == .newline {
                if skippedNewline == nil { skippedNewline = pos }
                pos += 1
            }
        }
        return tokens[pos].kind
    }

    private func peek(_ offset: Int) -> AntimonyToken {
        let i = min(pos + offset, tokens.count - 1)
        return tokens[i]
    }

    private func advance() {
        if tokens[pos].kind != .endOfFile { pos += 1 }
    }

    private func isIdent(_ t: AntimonyToken, _ name: String) -> Bool {
        t.kind == .identifier && t.text == name
    }

    private var atStatementEnd: Bool {
        let k = kind
        return k == .newline || k == .semicolon || k == .endOfFile
    }

    /// The last token consumed (for the extent of an expression).
    private var previous: AntimonyToken { tokens[max(0, pos - 1)] }

    // MARK: - Errors

    private func fail(_ message: String, at span: AntimonySpan) -> AntimonySyntaxFailure {
        diagnostics.append(AntimonyDiagnostic(span: span, message: message))
        return AntimonySyntaxFailure()
    }

    private func report(_ message: String, at span: AntimonySpan) {
        diagnostics.append(AntimonyDiagnostic(span: span, message: message))
    }

    /// An error naming a construct outside the supported subset.
    private func unsupported(_ what: String, hint: String? = nil, at span: AntimonySpan) -> AntimonySyntaxFailure {
        fail("\(what) is not supported yet" + (hint.map { "; \($0)" } ?? ""), at: span)
    }

    /// Skips to the end of the line after a syntax error.
    private func recover() {
        parenDepth = 0
        nesting = 0
        skippedNewline = nil
        while tokens[pos].kind != .newline && tokens[pos].kind != .endOfFile { pos += 1 }
    }

    private func expectStatementEnd() throws {
        let t = tok
        switch t.kind {
        case .newline, .semicolon, .endOfFile: return
        case .rightParen: throw fail("unbalanced parentheses: ')' has no matching '('", at: t.span)
        default: throw fail("expected the end of the statement, found \(t.quoted)", at: t.span)
        }
    }

    /// An identifier usable as an element id.
    private func expectName(_ what: String) throws -> AntimonyToken {
        let t = tok
        guard t.kind == .identifier else {
            throw fail("expected \(what), found \(t.quoted)", at: t.span)
        }
        if AntimonyNames.isReserved(t.text) {
            throw fail("'\(t.text)' is a reserved word and cannot be used as a name", at: t.span)
        }
        advance()
        if kind == .dot {
            throw unsupported("a dotted name ('\(t.text).\(peek(1).text)')", at: t.span)
        }
        return t
    }

    /// A span from the start of `first` to the end of the last consumed token, when both are on
    /// one line (otherwise just `first`).
    private func span(from first: AntimonySpan) -> AntimonySpan {
        let last = previous.span
        guard last.line == first.line, last.column >= first.column else { return first }
        return AntimonySpan(line: first.line, column: first.column, length: last.column + last.length - first.column)
    }

    // MARK: - File structure

    /// Parses the whole file into the assembler.
    func parseFile() {
        let hasModelBlock = tokens.contains { $0.kind == .identifier && ($0.text == "model" || $0.text == "module") }
        while true {
            let t = tok
            switch t.kind {
            case .endOfFile:
                if !sawContent && !sawModel && !endsInsideComment {
                    report("the file contains no model", at: .start)
                }
                return
            case .newline, .semicolon:
                advance()
                continue
            default:
                break
            }
            sawContent = true
            do {
                if isIdent(t, "model") || isIdent(t, "module") {
                    try parseModel()
                } else if isIdent(t, "function") {
                    try parseFunction()
                } else if isIdent(t, "unit") {
                    try parseUnit()
                } else if isIdent(t, "end") {
                    throw fail("'end' without a matching 'model' or 'function'", at: t.span)
                } else if isIdent(t, "import") {
                    throw unsupported("'import'", at: t.span)
                } else if hasModelBlock {
                    throw fail("statements outside the 'model ... end' block are not supported; move this into the model", at: t.span)
                } else {
                    try parseStatement()
                }
            } catch {
                recover()
            }
        }
    }

    /// `model [*]name[()] ... end`
    private func parseModel() throws {
        let keyword = tok
        advance()
        if kind == .star { advance() }
        let nameToken = try expectName("a model name after '\(keyword.text)'")
        if kind == .leftParen {
            advance()
            if kind != .rightParen {
                // Report, then read the block anyway so its contents are still checked.
                _ = unsupported("a model with arguments (a module interface)", at: tok.span)
                while ![.rightParen, .newline, .endOfFile].contains(kind) { advance() }
            }
            if kind == .rightParen { advance() }
        }
        let isFirst = !sawModel
        sawModel = true
        let outer = assembler
        if isFirst {
            assembler.setModel(id: nameToken.text, span: nameToken.span)
        } else {
            report("only one model per file is supported", at: keyword.span)
            // Parse the block for syntax errors only.
            assembler = AntimonyAssembler()
        }
        defer { assembler = outer }
        while true {
            let t = tok
            switch t.kind {
            case .newline, .semicolon:
                advance()
                continue
            case .endOfFile:
                if !endsInsideComment {
                    report("model '\(nameToken.text)' is not closed with 'end'", at: keyword.span)
                }
                return
            default:
                break
            }
            if isIdent(t, "end") {
                advance()
                do { try expectStatementEnd() } catch { recover() }
                return
            }
            if isIdent(t, "model") || isIdent(t, "module") {
                report("model '\(nameToken.text)' is not closed with 'end'", at: keyword.span)
                return
            }
            do {
                if isIdent(t, "function") {
                    try parseFunction()
                } else {
                    try parseStatement()
                }
            } catch {
                recover()
            }
        }
    }

    /// `function name(a, b) body end`
    private func parseFunction() throws {
        let keyword = tok
        advance()
        let nameToken = tok
        guard nameToken.kind == .identifier else {
            throw fail("expected a function name after 'function', found \(nameToken.quoted)", at: nameToken.span)
        }
        var redefinesBuiltin = false
        if AntimonyNames.isBuiltinFunction(nameToken.text) {
            // Report, then read the definition anyway so what follows parses normally.
            report("'\(nameToken.text)' is a built-in function and cannot be redefined", at: nameToken.span)
            redefinesBuiltin = true
            advance()
        } else {
            _ = try expectName("a function name after 'function'")
        }
        guard kind == .leftParen else {
            throw fail("expected '(' and the argument list after 'function \(nameToken.text)'", at: tok.span)
        }
        let open = tok
        advance()
        parenDepth += 1
        var arguments: [String] = []
        if kind != .rightParen {
            while true {
                let arg = try expectName("an argument name")
                arguments.append(arg.text)
                if kind == .comma { advance(); continue }
                break
            }
        }
        guard kind == .rightParen else {
            throw fail("expected ')' to close the argument list opened here", at: open.span)
        }
        parenDepth -= 1
        skippedNewline = nil
        advance()
        while kind == .newline || kind == .semicolon { advance() }
        if isIdent(tok, "end") {
            throw fail("function '\(nameToken.text)' has no body", at: tok.span)
        }
        if kind == .endOfFile {
            if !endsInsideComment {
                report("function '\(nameToken.text)' is not closed with 'end'", at: keyword.span)
            }
            return
        }
        uses = []
        let body = try parseExpression()
        let bodyUses = uses
        uses = []
        while kind == .newline || kind == .semicolon { advance() }
        if !redefinesBuiltin {
            assembler.addFunction(id: nameToken.text, span: nameToken.span, arguments: arguments, body: body, uses: bodyUses)
        }
        if isIdent(tok, "end") {
            advance()
            try expectStatementEnd()
            return
        }
        if kind == .endOfFile && endsInsideComment { return }
        if previous.kind == .newline || previous.kind == .semicolon || kind == .endOfFile {
            // The body ended at a line end and something else follows: 'end' is missing.
            report("function '\(nameToken.text)' is not closed with 'end'", at: keyword.span)
            return
        }
        throw fail("expected 'end' after the body of function '\(nameToken.text)', found \(tok.quoted)", at: tok.span)
    }

    /// `unit name = 1e-6 mole / litre`
    private func parseUnit() throws {
        advance()
        let nameToken = try expectName("a unit name after 'unit'")
        guard kind == .equals else {
            throw fail(
                "unit '\(nameToken.text)' needs a definition, as in 'unit \(nameToken.text) = 1e-6 mole / litre'",
                at: atStatementEnd ? nameToken.span : tok.span)
        }
        advance()
        let factors = try parseUnitExpression()
        try expectStatementEnd()
        assembler.addUnit(UnitDefinition(id: nameToken.text, factors: factors), span: nameToken.span)
    }

    // MARK: - Units

    /// `term (('*' | '/') term)*` where a term is `[number] name ['^' exponent]`, `number`, or a
    /// parenthesized unit expression with an optional exponent. A number directly before a unit
    /// name is that unit's multiplier: `1e-6 mole / litre` is mole (multiplier 1e-6) / litre.
    private func parseUnitExpression() throws -> [UnitDefinition.Factor] {
        var factors = try parseUnitTerm()
        while kind == .star || kind == .slash {
            let divide = kind == .slash
            advance()
            var next = try parseUnitTerm()
            if divide {
                for i in next.indices { next[i].exponent = -next[i].exponent }
            }
            factors += next
        }
        return factors
    }

    private func parseUnitTerm() throws -> [UnitDefinition.Factor] {
        var factors: [UnitDefinition.Factor]
        let t = tok
        if t.kind == .leftParen {
            advance()
            parenDepth += 1
            factors = try parseUnitExpression()
            guard kind == .rightParen else {
                throw fail("expected ')' to close the '(' of this unit expression", at: t.span)
            }
            parenDepth -= 1
            advance()
        } else if t.kind == .number {
            advance()
            if kind == .identifier || kind == .leftParen {
                factors = try parseUnitTerm()
                if factors.count == 1 {
                    factors[0].multiplier *= t.number
                } else {
                    factors.insert(UnitDefinition.Factor(kind: "dimensionless", multiplier: t.number), at: 0)
                }
                return factors
            }
            factors = [UnitDefinition.Factor(kind: "dimensionless", multiplier: t.number)]
        } else if t.kind == .identifier {
            if AntimonyNames.keywords.contains(t.text) {
                throw fail("expected a unit name, found '\(t.text)'", at: t.span)
            }
            advance()
            var kind = t.text
            if kind.hasSuffix("s"), !AntimonyNames.baseUnits.contains(kind),
                AntimonyNames.baseUnits.contains(String(kind.dropLast()))
            {
                kind.removeLast()
            }
            factors = [UnitDefinition.Factor(kind: kind)]
        } else {
            throw fail("expected a unit, found \(t.quoted)", at: t.span)
        }
        if kind == .caret {
            advance()
            var sign = 1.0
            if kind == .minus { sign = -1; advance() } else if kind == .plus { advance() }
            guard kind == .number else {
                throw fail("expected a number as the exponent of a unit, found \(tok.quoted)", at: tok.span)
            }
            let e = sign * tok.number
            advance()
            for i in factors.indices { factors[i].exponent *= e }
        }
        return factors
    }

    // MARK: - Statements

    /// One statement inside a model (or at the top level of a file without a model block).
    private func parseStatement() throws {
        let t = tok
        switch t.kind {
        case .identifier:
            switch t.text {
            case "const", "var", "species", "compartment", "substanceOnly", "formula":
                try parseDeclaration()
            case "at":
                try parseEvent(name: nil)
            case "unit":
                try parseUnit()
            case "import", "delete":
                throw unsupported("'\(t.text)'", at: t.span)
            case "reaction", "gene", "operator", "DNA":
                throw unsupported("a '\(t.text)' declaration", at: t.span)
            case "is", "has", "in", "after", "and", "or", "not":
                throw fail("unexpected '\(t.text)' at the start of a statement", at: t.span)
            default:
                if looksLikeReaction() {
                    try parseReaction()
                } else {
                    try parseNamedStatement()
                }
            }
        case .dollar, .arrow, .fatArrow:
            try parseReaction()
        case .number:
            if looksLikeReaction() {
                try parseReaction()
            } else if peek(1).kind == .equals {
                throw unsupported("an algebraic rule ('0 = ...')", at: t.span)
            } else if [.less, .lessEqual, .greater, .greaterEqual, .equalEqual].contains(peek(1).kind) {
                throw unsupported("a constraint ('\(t.text) \(AntimonyToken.spelling(peek(1).kind)) ...')", at: t.span)
            } else {
                throw fail("unexpected number at the start of a statement", at: t.span)
            }
        case .minus:
            if peek(1).kind == .minus && !peek(1).spaceBefore {
                throw unsupported("a DNA strand ('--')", at: t.span)
            }
            throw fail("unexpected '-' at the start of a statement", at: t.span)
        case .inhibitArrow:
            throw unsupported("an interaction ('-|')", at: t.span)
        case .at:
            throw unsupported("'@'", hint: "write events with 'at'", at: t.span)
        case .rightParen:
            throw fail("unbalanced parentheses: ')' has no matching '('", at: t.span)
        case .string:
            throw fail("unexpected string at the start of a statement", at: t.span)
        default:
            throw fail("unexpected \(t.quoted) at the start of a statement", at: t.span)
        }
    }

    /// True if the statement at the current position is a reaction: an optional `name:` or
    /// `name in comp:` prefix, then numbers, names, `$` and `+` up to a reaction arrow.
    private func looksLikeReaction() -> Bool {
        var i = pos
        func kind(_ j: Int) -> AntimonyToken.Kind { tokens[min(j, tokens.count - 1)].kind }
        if kind(i) == .identifier && kind(i + 1) == .colon {
            i += 2
        } else if kind(i) == .identifier && isIdent(tokens[min(i + 1, tokens.count - 1)], "in")
            && kind(i + 2) == .identifier && kind(i + 3) == .colon
        {
            i += 4
        }
        while true {
            let t = tokens[min(i, tokens.count - 1)]
            switch t.kind {
            case .arrow, .fatArrow, .inhibitArrow:
                return true
            case .minus:
                // Interactions `-o` and `-(` are reactions in Antimony's grammar.
                let n = tokens[min(i + 1, tokens.count - 1)]
                return !n.spaceBefore && (isIdent(n, "o") || n.kind == .leftParen)
            case .number, .identifier, .dollar, .plus:
                i += 1
            default:
                return false
            }
        }
    }

    /// `[name[ in comp]:] reactants -> products; rate [in comp]`
    private func parseReaction() throws {
        let start = tok.span
        var name: AntimonyToken?
        var compartment: AntimonyToken?
        if kind == .identifier && (peek(1).kind == .colon || isIdent(peek(1), "in")) {
            name = try expectName("a reaction name")
            if isIdent(tok, "in") {
                advance()
                compartment = try expectName("a compartment name after 'in'")
            }
            guard kind == .colon else {
                throw fail("expected ':' after the reaction name, found \(tok.quoted)", at: tok.span)
            }
            advance()
        }
        let reactants = try parseReactionSide()
        let arrow = tok
        let reversible: Bool
        switch arrow.kind {
        case .arrow: reversible = true
        case .fatArrow: reversible = false
        case .inhibitArrow:
            throw unsupported("an interaction ('-|')", at: arrow.span)
        case .minus where isIdent(peek(1), "o"):
            throw unsupported("an interaction ('-o')", at: arrow.span)
        case .minus where peek(1).kind == .leftParen:
            throw unsupported("an interaction ('-(')", at: arrow.span)
        default:
            throw fail("expected '->' or '=>' in the reaction, found \(arrow.quoted)", at: arrow.span)
        }
        advance()
        let products = try parseReactionSide()
        var rate: Expr?
        var rateSpan: AntimonySpan?
        uses = []
        if kind == .semicolon {
            advance()
            if !atStatementEnd && !isIdent(tok, "in") {
                let rateStart = tok.span
                rate = try parseExpression()
                rateSpan = span(from: rateStart)
            }
            if isIdent(tok, "in") {
                advance()
                let c = try expectName("a compartment name after 'in'")
                if compartment != nil {
                    throw fail("the reaction's compartment is given twice", at: c.span)
                }
                compartment = c
            }
        } else if atStatementEnd {
            throw fail("the reaction has no rate law: expected ';' and the rate after the products", at: tok.span)
        } else {
            throw fail("expected ';' between the reaction and its rate law, found \(tok.quoted)", at: tok.span)
        }
        try expectStatementEnd()
        assembler.addReaction(
            AntimonyAssembler.ReactionDraft(
                name: name.map { ($0.text, $0.span) }, span: name?.span ?? start,
                reactants: reactants, products: products, reversible: reversible,
                rate: rate, rateSpan: rateSpan, compartment: compartment.map { ($0.text, $0.span) },
                uses: uses))
        uses = []
    }

    /// `[stoichiometry] [$]species (+ ...)*`, possibly empty.
    private func parseReactionSide() throws -> [AntimonyAssembler.Participant] {
        var items: [AntimonyAssembler.Participant] = []
        while true {
            var stoichiometry = 1.0
            var sawNumber = false
            var boundary = false
            let t = tok
            if t.kind == .number {
                stoichiometry = t.number
                sawNumber = true
                advance()
            }
            if kind == .dollar {
                boundary = true
                advance()
            }
            if kind == .identifier {
                let s = try expectName("a species name")
                items.append(.init(species: s.text, stoichiometry: stoichiometry, boundary: boundary, span: s.span))
            } else if items.isEmpty && !sawNumber && !boundary {
                return items
            } else {
                throw fail("expected a species name, found \(tok.quoted)", at: tok.span)
            }
            if kind == .plus {
                advance()
                continue
            }
            return items
        }
    }

    /// `at [delay after] trigger[, option = value]*: x = e, y = f`
    private func parseEvent(name: AntimonyToken?) throws {
        let atToken = tok
        advance()
        uses = []
        guard !atStatementEnd else {
            throw fail("expected the event trigger after 'at'", at: tok.span)
        }
        let first = try parseExpression()
        var trigger = first
        var delay: Expr?
        if isIdent(tok, "after") {
            advance()
            delay = first
            trigger = try parseExpression()
        }
        var draft = AntimonyAssembler.EventDraft(
            name: name.map { ($0.text, $0.span) }, span: name?.span ?? atToken.span,
            trigger: trigger, delay: delay)
        while kind == .comma {
            advance()
            let key = tok
            guard key.kind == .identifier else {
                throw fail("expected an event option (priority, t0, fromTrigger or persistent), found \(key.quoted)", at: key.span)
            }
            advance()
            guard kind == .equals else {
                throw fail("expected '=' after '\(key.text)'", at: tok.span)
            }
            advance()
            switch key.text.lowercased() {
            case "priority":
                draft.priority = try parseExpression()
            case "t0":
                draft.triggerInitialValue = try parseBoolean(key.text)
            case "fromtrigger":
                draft.useValuesFromTriggerTime = try parseBoolean(key.text)
            case "persistent":
                draft.persistent = try parseBoolean(key.text)
            default:
                throw fail("unknown event option '\(key.text)' (expected priority, t0, fromTrigger or persistent)", at: key.span)
            }
        }
        guard kind == .colon else {
            throw fail("expected ':' before the event's assignments, found \(tok.quoted)", at: tok.span)
        }
        advance()
        while kind == .newline { advance() }
        while true {
            let target = tok
            guard target.kind == .identifier else {
                throw fail("expected an event assignment ('x = value'), found \(target.quoted)", at: target.span)
            }
            _ = try expectName("a variable name")
            guard kind == .equals else {
                throw fail("expected '=' after '\(target.text)' in the event assignment, found \(tok.quoted)", at: tok.span)
            }
            advance()
            guard !atStatementEnd else {
                throw fail("expected a value after '\(target.text) ='", at: tok.span)
            }
            let value = try parseExpression()
            draft.assignments.append((target.text, value, target.span))
            if kind == .comma || kind == .colon {
                advance()
                while kind == .newline { advance() }
                continue
            }
            break
        }
        try expectStatementEnd()
        draft.uses = uses
        uses = []
        assembler.addEvent(draft)
    }

    private func parseBoolean(_ option: String) throws -> Bool {
        let t = tok
        if isIdent(t, "true") || (t.kind == .number && t.number == 1) { advance(); return true }
        if isIdent(t, "false") || (t.kind == .number && t.number == 0) { advance(); return false }
        throw fail("expected 'true' or 'false' for '\(option)', found \(t.quoted)", at: t.span)
    }

    /// `[const|var] [substanceOnly] [species|compartment|formula] item, item, ...`
    private func parseDeclaration() throws {
        var constant: Bool?
        var substanceOnly = false
        var declaredKind: AntimonyAssembler.Kind?
        var keywordSpan = tok.span
        if isIdent(tok, "const") || isIdent(tok, "var") {
            constant = tok.text == "const"
            advance()
        }
        if isIdent(tok, "substanceOnly") {
            substanceOnly = true
            declaredKind = .species
            keywordSpan = tok.span
            advance()
        }
        if isIdent(tok, "species") {
            declaredKind = .species
            keywordSpan = tok.span
            advance()
        } else if isIdent(tok, "compartment") || isIdent(tok, "formula") {
            if substanceOnly {
                throw fail("'substanceOnly' applies only to species", at: tok.span)
            }
            declaredKind = tok.text == "compartment" ? .compartment : .parameter
            keywordSpan = tok.span
            advance()
        }
        if atStatementEnd {
            throw fail("expected a name to declare", at: tok.span)
        }
        while true {
            var boundary = false
            let dollar = tok
            if kind == .dollar {
                if declaredKind != nil && declaredKind != .species {
                    throw fail("'$' marks boundary species and cannot be used on a \(declaredKind!.rawValue)", at: dollar.span)
                }
                boundary = true
                advance()
            }
            let nameToken = try expectName("a name to declare")
            let id = nameToken.text
            assembler.declare(
                id, span: nameToken.span, kind: declaredKind, kindSpan: keywordSpan,
                constant: constant, substanceOnly: substanceOnly, boundary: boundary)
            try parseDeclarationTail(id: id, nameSpan: nameToken.span)
            if kind == .comma {
                advance()
                while kind == .newline { advance() }
                continue
            }
            break
        }
        try expectStatementEnd()
    }

    /// The optional parts after a declared name: `in comp`, then `= value`, `:= rule`,
    /// `' = rate`, or `has unit`.
    private func parseDeclarationTail(id: String, nameSpan: AntimonySpan) throws {
        if isIdent(tok, "in") {
            let inSpan = tok.span
            advance()
            let compartment = try expectName("a compartment name after 'in'")
            assembler.place(id, in: compartment.text, span: nameSpan, compartmentSpan: compartment.span, inSpan: inSpan)
        }
        switch kind {
        case .equals:
            advance()
            try parseValue(for: id, span: nameSpan)
        case .colonEquals:
            advance()
            try parseRule(for: id, span: nameSpan, isRate: false)
        case .prime:
            advance()
            guard kind == .equals else {
                throw fail("expected '=' after \"\(id)'\" (a rate rule is written x' = rate)", at: tok.span)
            }
            advance()
            try parseRule(for: id, span: nameSpan, isRate: true)
        default:
            if isIdent(tok, "has") {
                advance()
                let unit = try expectName("a unit name after 'has'")
                if !atStatementEnd && kind != .comma {
                    throw fail("only a unit name is supported after 'has'", at: tok.span)
                }
                assembler.setUnits(id, unit.text, span: nameSpan)
            }
        }
    }

    /// The right side of `x = ...`: a number (optionally followed by a unit name) or an expression.
    private func parseValue(for id: String, span nameSpan: AntimonySpan) throws {
        guard !atStatementEnd, kind != .comma else {
            throw fail("expected a value after '\(id) ='", at: tok.span)
        }
        let start = tok.span
        uses = []
        let value = try parseExpression()
        let valueSpan = span(from: start)
        var unit: String?
        if kind == .identifier && !AntimonyNames.isReserved(tok.text) && value.numericValue != nil {
            unit = tok.text
            advance()
        }
        assembler.assignValue(id, value: value, span: nameSpan, valueSpan: valueSpan, unit: unit, uses: uses)
        uses = []
    }

    private func parseRule(for id: String, span nameSpan: AntimonySpan, isRate: Bool) throws {
        guard !atStatementEnd, kind != .comma else {
            throw fail("expected an expression after '\(id) \(isRate ? "' =" : ":=")'", at: tok.span)
        }
        uses = []
        let math = try parseExpression()
        assembler.addRule(variable: id, math: math, isRate: isRate, span: nameSpan, uses: uses)
        uses = []
    }

    /// A statement starting with a name that is not a reaction.
    private func parseNamedStatement() throws {
        let first = tok
        if AntimonyNames.isReserved(first.text) {
            throw fail("'\(first.text)' is a reserved word and cannot be used as a name", at: first.span)
        }
        let next = peek(1)
        switch next.kind {
        case .colon:
            let after = peek(2)
            if isIdent(after, "at") {
                let name = try expectName("an event name")
                advance()  // ':'
                try parseEvent(name: name)
                return
            }
            if after.kind == .identifier && peek(3).kind == .leftParen {
                throw unsupported("a submodel ('\(first.text): \(after.text)()')", at: first.span)
            }
            throw fail("expected a reaction ('->' or '=>') or an event ('at') after '\(first.text):'", at: after.span)
        case .dot:
            throw unsupported("a dotted name ('\(first.text).\(peek(2).text)')", at: first.span)
        case .leftParen:
            throw unsupported("a submodel ('\(first.text)(...)')", at: first.span)
        case .less, .lessEqual, .greater, .greaterEqual, .equalEqual:
            throw unsupported("a constraint ('\(first.text) \(AntimonyToken.spelling(next.kind)) ...')", at: first.span)
        case .minus where peek(2).kind == .minus && !peek(2).spaceBefore:
            throw unsupported("a DNA strand ('--')", at: next.span)
        case .string:
            throw unsupported("an annotation ('\(first.text) \"...\"')", at: next.span)
        case .identifier where peek(2).kind == .string && !["is", "has", "in"].contains(next.text):
            throw unsupported("an annotation ('\(first.text) \(next.text) \"...\"')", at: next.span)
        default:
            break
        }
        let name = try expectName("a name")
        if isIdent(tok, "in") && peek(1).kind == .identifier && peek(2).kind == .colon {
            if isIdent(peek(3), "at") {
                throw unsupported("an event in a compartment", at: name.span)
            }
            throw fail("expected a reaction after '\(name.text) in \(peek(1).text):'", at: peek(3).span)
        }
        if isIdent(tok, "is") {
            advance()
            let value = tok
            if value.kind == .string {
                advance()
                assembler.setDisplayName(name.text, value.text, span: name.span)
                try expectStatementEnd()
                return
            }
            if value.kind == .identifier {
                throw unsupported("'is' between two names (a synonym)", at: value.span)
            }
            throw fail("expected a display name in quotes after 'is', found \(value.quoted)", at: value.span)
        }
        let isBare = atStatementEnd
        if isBare {
            throw fail("'\(name.text)' alone is not a statement; expected '=', ':=', \"'=\", 'in', 'is' or 'has' after it", at: name.span)
        }
        let before = pos
        assembler.mention(name.text, span: name.span)
        try parseDeclarationTail(id: name.text, nameSpan: name.span)
        if pos == before {
            throw fail("expected '=', ':=', \"'=\", 'in', 'is' or 'has' after '\(name.text)', found \(tok.quoted)", at: tok.span)
        }
        try expectStatementEnd()
    }

    // MARK: - Expressions

    /// Limits that keep pathological input from exhausting the stack: parentheses, unary
    /// operators and exponents may nest `maximumNesting` deep while parsing, and no expression
    /// tree may be deeper than `maximumDepth` (trees are released recursively).
    static let maximumNesting = 200
    static let maximumDepth = 1000
    private var nesting = 0

    /// An expression with the depth of its tree, and whether it was written in parentheses.
    private struct Parsed {
        var expr: Expr
        var depth: Int
        var grouped = false
    }

    private func enter() throws {
        nesting += 1
        if nesting > AntimonyParser.maximumNesting {
            throw fail("the expression is nested too deeply (more than \(AntimonyParser.maximumNesting) levels)", at: tok.span)
        }
    }

    /// A new node over `parts`, refusing trees deeper than `maximumDepth`.
    private func node(_ make: ([Expr]) -> Expr, _ parts: [Parsed]) throws -> Parsed {
        let depth = 1 + (parts.map(\.depth).max() ?? 0)
        if depth > AntimonyParser.maximumDepth {
            throw fail("the expression is nested too deeply (more than \(AntimonyParser.maximumDepth) levels)", at: tok.span)
        }
        return Parsed(expr: make(parts.map(\.expr)), depth: depth)
    }

    private func node(_ op: Op, _ parts: [Parsed]) throws -> Parsed {
        try node({ .apply(op, $0) }, parts)
    }

    /// A full expression. Precedence, loosest first (as in SBML Level 3 infix):
    /// `&&` `||` (same level, left to right); comparisons; `+ -`; `* /`; unary `- ! not`; `^`
    /// (right-associative); primaries.
    func parseExpression() throws -> Expr {
        try parseFull().expr
    }

    private func parseFull() throws -> Parsed {
        try parseLogical()
    }

    private func logicalOperator() -> Op? {
        let t = tok
        switch t.kind {
        case .andAnd: return .and
        case .orOr: return .or
        case .identifier where t.text == "and": return .and
        case .identifier where t.text == "or": return .or
        default: return nil
        }
    }

    /// A chain of `&&` / `||`: runs of one operator form one n-ary node.
    private func parseLogical() throws -> Parsed {
        var left = try parseRelational()
        var openOp: Op?
        var operands: [Parsed] = []
        while let op = logicalOperator() {
            advance()
            let right = try parseRelational()
            if openOp == op {
                operands.append(right)
            } else {
                if let o = openOp { left = try node(o, operands) }
                operands = [left, right]
                openOp = op
            }
        }
        if let o = openOp { left = try node(o, operands) }
        return left
    }

    private func relationalOperator() -> Op? {
        switch kind {
        case .equalEqual: return .eq
        case .notEqual: return .neq
        case .less: return .lt
        case .lessEqual: return .le
        case .greater: return .gt
        case .greaterEqual: return .ge
        default: return nil
        }
    }

    /// `a < b` or a chain of one operator, `a < b < c` (one n-ary node, as in SBML infix).
    private func parseRelational() throws -> Parsed {
        let first = try parseAdditive()
        guard let op = relationalOperator() else { return first }
        var operands = [first]
        while let next = relationalOperator() {
            let opToken = tok
            if next != op || (op == .neq && operands.count >= 2) {
                throw fail("chained comparisons like 'a < b <= c' are not supported; combine them with '&&'", at: opToken.span)
            }
            advance()
            operands.append(try parseAdditive())
        }
        return try node(op, operands)
    }

    /// `+` and `-`, left to right; a run of `+` forms one n-ary sum.
    private func parseAdditive() throws -> Parsed {
        var left = try parseMultiplicative()
        var sum: [Parsed] = []
        while kind == .plus || kind == .minus {
            let isPlus = kind == .plus
            advance()
            let right = try parseMultiplicative()
            if isPlus {
                if sum.isEmpty { sum = [left] }
                sum.append(right)
            } else {
                if !sum.isEmpty { left = try node(.add, sum); sum = [] }
                left = try node(.sub, [left, right])
            }
        }
        if !sum.isEmpty { left = try node(.add, sum) }
        return left
    }

    /// `*` and `/`, left to right; a run of `*` forms one n-ary product.
    private func parseMultiplicative() throws -> Parsed {
        var left = try parseUnary()
        var product: [Parsed] = []
        while true {
            let t = tok
            if t.kind == .percent {
                throw unsupported("the '%' operator", hint: "use rem(a, b)", at: t.span)
            }
            guard t.kind == .star || t.kind == .slash else { break }
            advance()
            let right = try parseUnary()
            if t.kind == .star {
                if product.isEmpty { product = [left] }
                product.append(right)
            } else {
                if !product.isEmpty { left = try node(.mul, product); product = [] }
                left = try node(.div, [left, right])
            }
        }
        if !product.isEmpty { left = try node(.mul, product) }
        return left
    }

    /// Unary minus, plus and logical not. A minus directly before a number literal folds into a
    /// negative literal (`-5` is the number -5), as Antimony does; `-(5)` stays a negation.
    private func parseUnary() throws -> Parsed {
        try enter()
        defer { nesting -= 1 }
        let t = tok
        if t.kind == .minus {
            advance()
            let operand = try parseUnary()
            if case .number(let v) = operand.expr, !operand.grouped {
                return Parsed(expr: .number(-v), depth: 1)
            }
            return try node(.neg, [operand])
        }
        if t.kind == .plus {
            advance()
            var operand = try parseUnary()
            operand.grouped = false
            return operand
        }
        if t.kind == .bang || (isIdent(t, "not") && peek(1).kind != .leftParen) {
            advance()
            return try node(.not, [try parseUnary()])
        }
        return try parsePower()
    }

    /// `base ^ exponent`, right-associative; the exponent may carry a unary minus.
    private func parsePower() throws -> Parsed {
        let base = try parsePrimary()
        if kind == .caret {
            advance()
            let exponent = try parseUnary()
            return try node(.pow, [base, exponent])
        }
        return base
    }

    private func parsePrimary() throws -> Parsed {
        let t = tok
        switch t.kind {
        case .number:
            advance()
            return Parsed(expr: .number(t.number), depth: 1)
        case .leftParen:
            try enter()
            defer { nesting -= 1 }
            advance()
            let savedSkip = skippedNewline
            skippedNewline = nil
            parenDepth += 1
            var inner = try parseFull()
            let closing = tok
            guard closing.kind == .rightParen else {
                throw unclosed(t, found: closing)
            }
            parenDepth -= 1
            skippedNewline = savedSkip ?? skippedNewline
            if parenDepth == 0 { skippedNewline = nil }
            advance()
            inner.grouped = true
            return inner
        case .identifier:
            return try parseNameOrCall()
        default:
            throw fail("expected an expression, found \(t.quoted)", at: t.span)
        }
    }

    /// Reports a '(' that is not closed. When the expression ran on to later lines looking for
    /// the ')', parsing resumes at the first of those line ends.
    private func unclosed(_ open: AntimonyToken, found: AntimonyToken) -> AntimonySyntaxFailure {
        if let nl = skippedNewline {
            let error = fail("unbalanced parentheses: '(' is not closed", at: open.span)
            pos = nl
            parenDepth = 0
            skippedNewline = nil
            return error
        }
        switch found.kind {
        case .newline, .semicolon, .endOfFile:
            return fail("unbalanced parentheses: '(' is not closed", at: open.span)
        default:
            return fail("expected ')' or an operator, found \(found.quoted)", at: found.span)
        }
    }

    private func parseNameOrCall() throws -> Parsed {
        let t = tok
        let name = t.text
        advance()
        if kind == .leftParen {
            return try parseCall(t)
        }
        if kind == .dot {
            throw unsupported("a dotted name ('\(name).\(peek(1).text)')", at: t.span)
        }
        if name == "time" { return Parsed(expr: .time, depth: 1) }
        if let c = AntimonyNames.constants[name] { return Parsed(expr: .number(c), depth: 1) }
        if AntimonyNames.notANumber.contains(name) {
            throw fail("'\(name)' (not a number) is not allowed in a model", at: t.span)
        }
        if AntimonyNames.keywords.contains(name) {
            throw fail("expected an expression, found '\(name)'", at: t.span)
        }
        uses.append(AntimonyUse(id: name, span: t.span, isCall: false))
        return Parsed(expr: .symbol(name), depth: 1)
    }

    private func parseCall(_ nameToken: AntimonyToken) throws -> Parsed {
        try enter()
        defer { nesting -= 1 }
        let name = nameToken.text
        let open = tok
        advance()
        let savedSkip = skippedNewline
        skippedNewline = nil
        parenDepth += 1
        var parsedArgs: [Parsed] = []
        if kind != .rightParen {
            while true {
                parsedArgs.append(try parseFull())
                if kind == .comma {
                    advance()
                    continue
                }
                break
            }
        }
        guard kind == .rightParen else {
            throw unclosed(open, found: tok)
        }
        parenDepth -= 1
        skippedNewline = savedSkip ?? skippedNewline
        if parenDepth == 0 { skippedNewline = nil }
        advance()
        let args = parsedArgs.map(\.expr)

        func arityError(_ expected: String) -> AntimonySyntaxFailure {
            fail("'\(name)' takes \(expected), but \(args.count) \(args.count == 1 ? "was" : "were") given", at: nameToken.span)
        }
        if AntimonyNames.unsupportedFunctions.contains(name) {
            throw unsupported("the '\(name)' function", at: nameToken.span)
        }
        if name == "piecewise" {
            guard !args.isEmpty else { throw arityError("at least 1 argument") }
            var pieces: [Expr.Piece] = []
            var i = 0
            while i + 1 < args.count {
                pieces.append(Expr.Piece(args[i], when: args[i + 1]))
                i += 2
            }
            let otherwise = args.count % 2 == 1 ? args.last : nil
            return try node({ _ in .piecewise(pieces, otherwise: otherwise) }, parsedArgs)
        }
        if name == "sqr" {
            guard args.count == 1 else { throw arityError("1 argument") }
            return try node(.pow, [parsedArgs[0], Parsed(expr: .number(2), depth: 1)])
        }
        if let op = AntimonyNames.functions[name] {
            let (lo, hi) = op.arity
            if args.count < lo || (hi != nil && args.count > hi!) {
                let expected: String
                if let hi, hi == lo {
                    expected = "\(lo) argument\(lo == 1 ? "" : "s")"
                } else if let hi {
                    expected = "\(lo) to \(hi) arguments"
                } else {
                    expected = "at least \(lo) argument\(lo == 1 ? "" : "s")"
                }
                throw arityError(expected)
            }
            return try node(op, parsedArgs)
        }
        if AntimonyNames.isReserved(name) {
            throw fail("'\(name)' is not a function", at: nameToken.span)
        }
        uses.append(AntimonyUse(id: name, span: nameToken.span, isCall: true))
        return try node({ .call(name, $0) }, parsedArgs)
    }
}
