import CascadeCore
import Foundation

extension Antimony {
    /// Words that open a statement before the name it is about (`species A in cell = 1`).
    static let statementKeywords: Set<String> = [
        "species", "compartment", "const", "var", "substanceOnly", "unit", "at", "function", "model",
        "end", "formula", "import", "delete",
    ]

    /// The comments of an Antimony file as notes for `SBML.write(_:notes:)`.
    ///
    /// The comment lines before the first statement are the model's notes. A comment after a
    /// statement on the same line (`k = 0.1  // 1/s; decay rate [assumed]`) is the note of the
    /// element the statement is about: the first name on the line other than a statement keyword
    /// (a declaration's or assignment's variable, a reaction's or an event's id). Only names of
    /// compartments, species, parameters, observables, reactions and events of `model` get notes;
    /// a name with several commented lines keeps the first.
    public static func notes(in text: String, for model: Model) -> SBMLNotes {
        let lexer = AntimonyLexer.tokenize(text)
        var firstName: [Int: String] = [:]
        var firstTokenLine = Int.max
        for t in lexer.tokens where t.kind != .newline && t.kind != .endOfFile {
            firstTokenLine = Swift.min(firstTokenLine, t.span.line)
            if t.kind == .identifier, firstName[t.span.line] == nil, !statementKeywords.contains(t.text) {
                firstName[t.span.line] = t.text
            }
        }
        var tokenLines = Set<Int>()
        for t in lexer.tokens where t.kind != .newline && t.kind != .endOfFile { tokenLines.insert(t.span.line) }

        var known = Set<String>()
        known.formUnion(model.compartments.map(\.id))
        known.formUnion(model.species.map(\.id))
        known.formUnion(model.parameters.map(\.id))
        known.formUnion(model.observables.map(\.id))
        known.formUnion(model.reactions.map(\.id))
        known.formUnion(model.events.map(\.id))

        var notes = SBMLNotes()
        let header = lexer.comments.filter { $0.line < firstTokenLine }.map { $0.text.trimmingCharacters(in: .whitespaces) }
        if !header.isEmpty { notes.model = header.joined(separator: "\n") }
        for c in lexer.comments where tokenLines.contains(c.line) {
            let note = c.text.trimmingCharacters(in: .whitespaces)
            guard !note.isEmpty, let id = firstName[c.line], known.contains(id), notes.elements[id] == nil else { continue }
            notes.elements[id] = note
        }
        return notes
    }
}
