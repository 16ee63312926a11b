import Foundation

/// Human-readable notes written into an SBML document's `<notes>`: for the model, and for
/// elements by id (compartments, species, parameters, reactions, events). `Antimony.notes(in:)`
/// makes them from a model file's comments, so that `cascade export-sbml` carries them.
///
/// Each text is written as XHTML paragraphs (a blank line starts a new paragraph; lines of only
/// `=`, `-` or `*` are dropped). Reading SBML does not keep notes.
public struct SBMLNotes: Hashable, Sendable {
    public var model: String?
    public var elements: [String: String]

    public init(model: String? = nil, elements: [String: String] = [:]) {
        self.model = model
        self.elements = elements
    }

    public var isEmpty: Bool { model == nil && elements.isEmpty }

    static let xhtml = "http://www.w3.org/1999/xhtml"

    /// The paragraphs of a text: runs of non-blank lines joined by spaces.
    static func paragraphs(_ text: String) -> [String] {
        var out: [String] = [], current: [String] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let rule = !line.isEmpty && line.allSatisfy { "=-*_#".contains($0) }
            if line.isEmpty || rule {
                if !current.isEmpty { out.append(current.joined(separator: " ")) }
                current = []
            } else {
                current.append(line)
            }
        }
        if !current.isEmpty { out.append(current.joined(separator: " ")) }
        return out
    }

    /// Writes `<notes>` for `text` at `indent` (nothing for a text without words).
    static func write(_ text: String?, to out: inout SBMLXMLText, indent: Int) {
        guard let text else { return }
        let ps = paragraphs(text)
        guard !ps.isEmpty else { return }
        out.line("<notes>", indent)
        out.line("<body xmlns=\"\(xhtml)\">", indent + 1)
        for p in ps { out.line("<p>\(SBMLXMLText.escape(p))</p>", indent + 2) }
        out.line("</body>", indent + 1)
        out.line("</notes>", indent)
    }
}
