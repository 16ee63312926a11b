import CascadeCore
import Foundation

/// Reads and writes models in a documented subset of Antimony, the text format of Tellurium and
/// libRoadRunner (see `docs/antimony-subset.md`).
///
///     let model = try Antimony.parse("""
///         model decay()
///           J1: A -> ; k1*A
///           A = 10; k1 = 0.1
///         end
///         """)
///     let text = Antimony.print(model)   // parses back to an equal model
///
/// Semantics follow Antimony and SBML Level 3: reaction rates are extensive (substance per time),
/// a species name means its concentration (its amount for `substanceOnly` species), and `A = 10`
/// sets a species' initial concentration.
public enum Antimony {
    /// Parses Antimony text into a model and checks it with `Model.validate()`.
    ///
    /// - Parameters:
    ///   - text: the Antimony source.
    ///   - path: the name used for the file in error messages.
    /// - Returns: the model, which has passed `Model.validate()`.
    /// - Throws: `SourceErrors` listing every problem found (syntax errors, unsupported
    ///   constructs, names used but never given a value, and the structural problems
    ///   `Model.validate()` reports), each located at the offending text.
    public static func parse(_ text: String, path: String = "<input>") throws -> Model {
        let lexer = AntimonyLexer.tokenize(text)
        let assembler = AntimonyAssembler()
        let parser = AntimonyParser(lexer: lexer, assembler: assembler)
        parser.parseFile()
        let syntax = (lexer.diagnostics + parser.diagnostics).sorted { $0.span < $1.span }
        if !syntax.isEmpty {
            throw makeErrors(syntax, text: text, path: path)
        }
        let (model, semantic) = assembler.finish()
        if let model, semantic.isEmpty {
            return model
        }
        throw makeErrors(semantic, text: text, path: path)
    }

    /// Reads a file and parses it as Antimony.
    ///
    /// - Throws: `SourceErrors`; a file that cannot be read or is not UTF-8 text gives one error
    ///   at line 1, column 1.
    public static func parse(contentsOf url: URL) throws -> Model {
        let path = url.isFileURL ? url.path : url.absoluteString
        let data: Data
        do {
            data = try InputFile.read(url)
        } catch {
            let message = (error as? InputFileError)?.message ?? "cannot read the file: \(InputFile.reason(error))"
            throw SourceErrors(errors: [
                SourceError(
                    location: SourceLocation(path: path, line: 1, column: 1), message: message, sourceLine: "")
            ])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SourceErrors(errors: [
                SourceError(
                    location: SourceLocation(path: path, line: 1, column: 1),
                    message: "the file is not UTF-8 text", sourceLine: "")
            ])
        }
        return try parse(text, path: path)
    }

    /// Writes a model as Antimony text in the supported subset.
    ///
    /// For every model produced by `parse`, `parse(print(model)) == model`. Models from other
    /// sources (SBML, the Swift DSL) may hold things the subset cannot say; see
    /// `docs/antimony-subset.md` for what is converted and what is lost.
    public static func print(_ model: Model) -> String {
        AntimonyPrinter(model).render()
    }

    private static func makeErrors(_ diagnostics: [AntimonyDiagnostic], text: String, path: String) -> SourceErrors {
        let lines = sourceLines(text, wanted: Set(diagnostics.map(\.span.line)))
        return SourceErrors(
            errors: diagnostics.map { d in
                SourceError(
                    location: SourceLocation(path: path, line: d.span.line, column: d.span.column),
                    message: d.message, sourceLine: lines[d.span.line] ?? "", length: d.span.length)
            })
    }

    /// The text of the wanted lines (1-based), without line terminators.
    private static func sourceLines(_ text: String, wanted: Set<Int>) -> [Int: String] {
        var out: [Int: String] = [:]
        var number = 1
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            if wanted.contains(number) {
                var bytes = Array(line)
                if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
                if number == 1 && bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
                out[number] = String(decoding: bytes, as: UTF8.self)
                if out.count == wanted.count { break }
            }
            number += 1
        }
        return out
    }
}
