/// A problem reading an SBML document: where it is and why it stops the import.
///
/// `line` and `column` come from the XML parser and point at the element at fault (for elements,
/// libxml2 reports the position just after the start tag). `elementId` names the nearest SBML
/// component with an id (the species, reaction, rule variable or event) when there is one.
///
///     do { _ = try SBML.read(contentsOf: url) }
///     catch let e as SBMLError { print(e) }  // model.xml:12:40: reaction 'R1': csymbol delay is not supported
public struct SBMLError: Error, CustomStringConvertible, Hashable, Sendable {
    /// Why the document could not be imported.
    public enum Kind: String, Hashable, Sendable {
        /// The bytes are not well-formed XML.
        case malformedXML = "malformed XML"
        /// Well-formed XML, but not an SBML document.
        case notSBML = "not SBML"
        /// An SBML level or version other than Level 2 (Versions 1-5) or Level 3 (Versions 1-2).
        case unsupportedVersion = "unsupported SBML level or version"
        /// An element or attribute from an SBML Level 3 package (comp, fbc, ...).
        case unsupportedPackage = "unsupported SBML package"
        /// A core construct Cascade does not represent: the delay csymbol, MathML outside the
        /// subset SBML uses, and the like.
        case unsupportedConstruct = "unsupported construct"
        /// SBML that breaks the specification: a missing required attribute, a malformed number,
        /// an operator with the wrong number of arguments.
        case invalid = "invalid SBML"
    }

    public var kind: Kind
    /// The file path, or the name the caller gave to in-memory data.
    public var path: String
    public var line: Int?
    public var column: Int?
    /// The id of the SBML component at fault, when known.
    public var elementId: String?
    public var message: String

    public init(
        _ kind: Kind, path: String, line: Int? = nil, column: Int? = nil, elementId: String? = nil,
        message: String
    ) {
        self.kind = kind
        self.path = path
        self.line = line
        self.column = column
        self.elementId = elementId
        self.message = message
    }

    /// `path:line:column: 'id': message`, leaving out the parts that are not known.
    public var description: String {
        var s = path
        if let line {
            s += ":\(line)"
            if let column { s += ":\(column)" }
        }
        s += ": "
        if let elementId { s += "'\(elementId)': " }
        return s + message
    }
}
