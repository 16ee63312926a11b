import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// One attribute of an `SBMLXMLElement`, with its namespace resolved.
struct SBMLXMLAttribute {
    var prefix: String?
    var name: String
    /// The namespace URI of a prefixed attribute; `nil` for an unprefixed one (XML namespaces
    /// give unprefixed attributes no namespace).
    var namespace: String?
    var value: String

    var qualifiedName: String { prefix.map { "\($0):\(name)" } ?? name }
}

/// A small DOM: one element of a parsed XML document, with resolved namespaces and the position
/// the parser reported for it.
///
/// Mixed content is kept as `texts`, the character data between child elements: `texts[i]` comes
/// before `children[i]` and the last entry after the last child, so `texts.count ==
/// children.count + 1`. MathML's `<cn type="e-notation">1<sep/>3</cn>` relies on this.
final class SBMLXMLElement {
    private(set) var prefix: String?
    /// The local name (without prefix).
    private(set) var name: String
    /// The resolved namespace URI, "" when the element is in no namespace.
    private(set) var namespace: String
    var attributes: [SBMLXMLAttribute]
    private(set) var children: [SBMLXMLElement] = []
    private(set) var texts: [String] = [""]
    let line: Int
    let column: Int
    /// Namespace declarations made on this element (prefix "" for the default namespace).
    let declarations: [String: String]

    init(
        prefix: String?, name: String, namespace: String, attributes: [SBMLXMLAttribute],
        declarations: [String: String], line: Int, column: Int
    ) {
        self.prefix = prefix
        self.name = name
        self.namespace = namespace
        self.attributes = attributes
        self.declarations = declarations
        self.line = line
        self.column = column
    }

    var qualifiedName: String { prefix.map { "\($0):\(name)" } ?? name }

    /// All character data directly inside this element.
    var text: String { texts.joined() }

    /// The value of an unprefixed attribute.
    subscript(attribute: String) -> String? {
        attributes.first { $0.prefix == nil && $0.name == attribute }?.value
    }

    /// Child elements with the given local name in the given namespace.
    func children(named name: String, in namespace: String) -> [SBMLXMLElement] {
        children.filter { $0.name == name && $0.namespace == namespace }
    }

    /// The first child element with the given local name in the given namespace.
    func child(named name: String, in namespace: String) -> SBMLXMLElement? {
        children.first { $0.name == name && $0.namespace == namespace }
    }

    fileprivate func append(child: SBMLXMLElement) {
        children.append(child)
        texts.append("")
    }

    fileprivate func append(text: String) {
        texts[texts.count - 1] += text
    }

    // Editing, for flattening hierarchical models (`CompFlattener`).

    func appendChild(_ child: SBMLXMLElement) { append(child: child) }

    func removeChild(at i: Int) {
        children.remove(at: i)
        texts[i] += texts[i + 1]
        texts.remove(at: i + 1)
    }

    func setChild(at i: Int, _ child: SBMLXMLElement) { children[i] = child }

    func removeChildren(where drop: (SBMLXMLElement) -> Bool) {
        var i = 0
        while i < children.count {
            if drop(children[i]) { removeChild(at: i) } else { i += 1 }
        }
    }

    /// Replaces all content with character data.
    func setText(_ text: String) {
        children = []
        texts = [text]
    }

    func rename(name: String, namespace: String, prefix: String?) {
        self.name = name
        self.namespace = namespace
        self.prefix = prefix
    }

    /// A copy of this element without its content.
    func shallowCopy() -> SBMLXMLElement {
        SBMLXMLElement(
            prefix: prefix, name: name, namespace: namespace, attributes: attributes,
            declarations: declarations, line: line, column: column)
    }

    /// A copy of this element and everything inside it.
    func deepCopy() -> SBMLXMLElement {
        let e = shallowCopy()
        e.children = children.map { $0.deepCopy() }
        e.texts = texts
        return e
    }
}

/// Parses XML into an `SBMLXMLElement` tree with Foundation's `XMLParser` (libxml2 on Linux).
///
/// Namespaces are resolved here rather than by `XMLParser`, whose namespace reporting differs
/// between platforms. The first parser error stops the parse and becomes an `SBMLError` of kind
/// `.malformedXML` with the parser's line and column; nesting deeper than `maximumDepth` is an
/// `.unsupportedConstruct` error.
enum SBMLXML {
    /// The deepest element nesting accepted. Reading, writing and compiling expressions recurse
    /// once per level, so a limit keeps absurd input from exhausting the stack; real models nest
    /// less than 20 deep (the deepest in the SBML Test Suite and the PEtab benchmarks is 17).
    static let maximumDepth = 256

    static func parse(_ data: Data, path: String) throws -> SBMLXMLElement {
        if let problem = encodingProblem(data) {
            throw SBMLError(.malformedXML, path: path, line: 1, column: 1, message: problem)
        }
        if let (line, column, message) = notXML(data) {
            throw SBMLError(.malformedXML, path: path, line: line, column: column, message: message)
        }
        if let (line, column, message) = markupProblem(data) {
            throw SBMLError(.malformedXML, path: path, line: line, column: column, message: message)
        }
        let parser = XMLParser(data: data)
        let builder = Builder()
        parser.delegate = builder
        parser.shouldProcessNamespaces = false
        parser.shouldReportNamespacePrefixes = false
        parser.shouldResolveExternalEntities = false
        let finished = parser.parse()
        if let failure = builder.failure {
            throw SBMLError(
                failure.kind, path: path, line: failure.line, column: failure.column,
                message: failure.message)
        }
        if !finished || parser.parserError != nil {
            let code = (parser.parserError as NSError?)?.code ?? -1
            throw SBMLError(
                .malformedXML, path: path, line: parser.lineNumber, column: parser.columnNumber,
                message: Self.message(forLibXMLCode: code))
        }
        guard let root = builder.root else {
            throw SBMLError(.malformedXML, path: path, line: 1, column: 1, message: "the document is empty")
        }
        return root
    }

    /// Encodings libxml2 decodes itself, byte for byte compatible with ASCII. SBML documents are
    /// UTF-8 (SBML Level 3 Version 2, section 4.1); the others are accepted because they are safe.
    static let acceptedEncodings: Set<String> = ["UTF-8", "UTF8", "US-ASCII", "ASCII", "ISO-8859-1", "ISO-LATIN-1"]

    /// Why the document is not in an accepted encoding, or nil.
    ///
    /// Refused before parsing, because other encodings are not just rare in SBML but unsafe here:
    /// libxml2 (under Foundation's `XMLParser` on Linux) crashes on a byte that the iconv decoder
    /// for a declared encoding such as UTF-7 rejects, and a UTF-16 or UTF-32 document (by byte
    /// order mark, or by the zero bytes libxml2 uses to guess one) would hide markup from
    /// `markupProblem`.
    static func encodingProblem(_ data: Data) -> String? {
        let head = [UInt8](data.prefix(4))
        if head.starts(with: [0xFE, 0xFF]) || head.starts(with: [0xFF, 0xFE]) {
            return "the document is UTF-16 or UTF-32 (byte order mark); SBML documents are UTF-8"
        }
        if head.contains(0) {
            return "the document starts with a zero byte, as UTF-16 or UTF-32 text would; SBML documents are UTF-8"
        }
        if head.starts(with: [0x4C, 0x6F, 0xA7, 0x94]) {
            return "the document is EBCDIC; SBML documents are UTF-8"
        }
        // The XML declaration, `<?xml version="1.0" encoding="..."?>`, at the very start (after a
        // UTF-8 byte order mark): every `encoding = "name"` in it must name an encoding libxml2
        // reads without iconv.
        var bytes = data[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        guard bytes.starts(with: Array("<?xml".utf8)) else { return nil }
        let text = String(decoding: bytes.prefix { $0 != UInt8(ascii: ">") }, as: UTF8.self)
        var searchFrom = text.startIndex
        while let key = text.range(of: "encoding", range: searchFrom ..< text.endIndex) {
            searchFrom = key.upperBound
            var rest = text[key.upperBound...].drop(while: \.isWhitespace)
            guard rest.first == "=" else { continue }
            rest = rest.dropFirst().drop(while: \.isWhitespace)
            guard let quote = rest.first, quote == "\"" || quote == "'" else { continue }
            let name = rest.dropFirst().prefix { $0 != quote }
            if !acceptedEncodings.contains(name.uppercased()) {
                return "the document declares the encoding '\(name)'; SBML documents are UTF-8"
            }
        }
        return nil
    }

    /// The place of the first markup that Foundation's `XMLParser` on Linux cannot take, and why,
    /// or nil. Two kinds:
    ///
    /// - a processing instruction without data, `<?name?>`: libxml2 reports the missing data as a
    ///   null pointer, which swift-corelibs-foundation reads as a C string, and crashes;
    /// - a document type declaration, `<!DOCTYPE ...>`: SBML does not use DTDs, and an entity
    ///   declared in one can hide such a processing instruction from this scan (`&#60;?x?>` in an
    ///   entity's value becomes markup where the entity is used).
    ///
    /// The scan follows the markup that can hold `<` without it starting markup — comments, CDATA
    /// sections and processing instruction data — and nothing else: in attribute values a `<` is
    /// a fatal error, after which libxml2 makes no more callbacks. It also refuses `<?xml?>`,
    /// which libxml2 would reject anyway.
    static func markupProblem(_ data: Data) -> (line: Int, column: Int, message: String)? {
        let bytes = [UInt8](data)
        let n = bytes.count
        func hasPrefix(_ prefix: [UInt8], at i: Int) -> Bool {
            i + prefix.count <= n && bytes[i ..< (i + prefix.count)].elementsEqual(prefix)
        }
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        let comment = Array("<!--".utf8), commentEnd = Array("-->".utf8)
        let cdata = Array("<![CDATA[".utf8), cdataEnd = Array("]]>".utf8)
        let piEnd = Array("?>".utf8), doctype = Array("<!DOCTYPE".utf8)
        var line = 1, lineStart = 0, i = 0
        /// Moves `i` past `end`, counting lines; to the end of the data if `end` never comes.
        func skip(past end: [UInt8]) {
            while i < n && !hasPrefix(end, at: i) {
                if bytes[i] == 0x0A { line += 1; lineStart = i + 1 }
                i += 1
            }
            i = min(n, i + end.count)
        }
        /// The column of `i` on its line: libxml2 counts characters, so UTF-8 continuation bytes
        /// are skipped.
        func column(_ i: Int) -> Int { 1 + bytes[lineStart ..< i].filter { $0 & 0xC0 != 0x80 }.count }
        while i < n {
            let b = bytes[i]
            if b == 0x0A {
                line += 1
                lineStart = i + 1
                i += 1
            } else if b != UInt8(ascii: "<") {
                i += 1
            } else if hasPrefix(comment, at: i) {
                i += comment.count
                skip(past: commentEnd)
            } else if hasPrefix(cdata, at: i) {
                i += cdata.count
                skip(past: cdataEnd)
            } else if hasPrefix(doctype, at: i) {
                return (line, column(i), "document type declarations (<!DOCTYPE ...>) are not supported; SBML does not use them")
            } else if i + 1 < n && bytes[i + 1] == UInt8(ascii: "?") {
                // The target runs to the first blank or '?>'; '?>' straight after it means no data.
                var j = i + 2
                while j < n && !isSpace(bytes[j]) && !hasPrefix(piEnd, at: j) {
                    j += 1
                }
                if hasPrefix(piEnd, at: j) {
                    return (line, column(i), "processing instruction without data ('<?name?>'); give it data or remove it")
                }
                i = j
                skip(past: piEnd)
            } else {
                i += 1
            }
        }
        return nil
    }

    /// Text that is not XML at all (its first character other than white space is not `<`),
    /// which libxml2 reports as "the document is empty": a text model given as SBML, say.
    static func notXML(_ data: Data) -> (Int, Int, String)? {
        var bytes = data[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        var line = 1, column = 1
        for b in bytes {
            switch b {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): column += 1
            case UInt8(ascii: "\n"): line += 1; column = 1
            case UInt8(ascii: "<"): return nil
            default:
                let start =
                    String(decoding: bytes.drop { $0 <= 32 }.prefix(30), as: UTF8.self)
                    .split(separator: "\n").first.map(String.init) ?? ""
                return (line, column, "this is not an XML document (it starts with '\(start)'); SBML files are XML")
            }
        }
        return nil
    }

    /// A sentence for the libxml2 error codes a damaged SBML file usually produces.
    static func message(forLibXMLCode code: Int) -> String {
        switch code {
        case 4: return "the document is empty"
        case 5: return "the document ends too early or has content after its root element"
        case 9: return "invalid character in the document"
        case 26, 27: return "undeclared entity"
        case 38: return "'<' inside an attribute value"
        case 39, 40: return "attribute value is not quoted"
        case 41: return "attribute without a value"
        case 42: return "attribute given twice"
        case 68: return "a name is expected here (a bare '&' or '<'?)"
        case 73: return "'>' expected"
        case 76: return "end tag does not match the start tag"
        case 77: return "unfinished tag at the end of the document"
        case 80: return "'--' inside a comment"
        case 201: return "undeclared namespace prefix"
        default: return "XML syntax error (libxml2 code \(code))"
        }
    }

    private struct Failure {
        var kind: SBMLError.Kind
        var message: String
        var line: Int
        var column: Int
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var root: SBMLXMLElement?
        var stack: [SBMLXMLElement] = []
        /// Prefix → namespace URI in scope, one dictionary per open element (and one for the document).
        var scopes: [[String: String]] = [["xml": "http://www.w3.org/XML/1998/namespace"]]
        var failure: Failure?

        func fail(_ parser: XMLParser, _ kind: SBMLError.Kind, _ message: String) {
            guard failure == nil else { return }
            failure = Failure(kind: kind, message: message, line: parser.lineNumber, column: parser.columnNumber)
            parser.abortParsing()
        }

        static func split(_ qualified: String) -> (prefix: String?, local: String) {
            guard let colon = qualified.firstIndex(of: ":") else { return (nil, qualified) }
            return (String(qualified[..<colon]), String(qualified[qualified.index(after: colon)...]))
        }

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
            qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
        ) {
            guard failure == nil else { return }
            guard stack.count < SBMLXML.maximumDepth else {
                fail(
                    parser, .unsupportedConstruct,
                    "elements are nested more than \(SBMLXML.maximumDepth) deep (<\(elementName)>)")
                return
            }
            var scope = scopes[scopes.count - 1]
            var declarations: [String: String] = [:]
            for (key, value) in attributeDict {
                if key == "xmlns" {
                    declarations[""] = value
                } else if key.hasPrefix("xmlns:") {
                    declarations[String(key.dropFirst(6))] = value
                }
            }
            scope.merge(declarations) { _, new in new }

            let (prefix, local) = Self.split(elementName)
            let namespace: String
            if let prefix {
                guard let uri = scope[prefix] else {
                    fail(parser, .malformedXML, "undeclared namespace prefix '\(prefix)' on <\(elementName)>")
                    return
                }
                namespace = uri
            } else {
                namespace = scope[""] ?? ""
            }
            var attributes: [SBMLXMLAttribute] = []
            // Sorted, so that error messages about attributes do not depend on dictionary order.
            for (key, value) in attributeDict.sorted(by: { $0.key < $1.key }) {
                if key == "xmlns" || key.hasPrefix("xmlns:") { continue }
                let (aPrefix, aLocal) = Self.split(key)
                var aNamespace: String?
                if let aPrefix {
                    guard let uri = scope[aPrefix] else {
                        fail(parser, .malformedXML, "undeclared namespace prefix '\(aPrefix)' on attribute \(key)")
                        return
                    }
                    aNamespace = uri
                }
                attributes.append(SBMLXMLAttribute(prefix: aPrefix, name: aLocal, namespace: aNamespace, value: value))
            }
            let element = SBMLXMLElement(
                prefix: prefix, name: local, namespace: namespace, attributes: attributes,
                declarations: declarations, line: parser.lineNumber,
                column: parser.columnNumber)
            if let parent = stack.last {
                parent.append(child: element)
            } else if root == nil {
                root = element
            }
            stack.append(element)
            scopes.append(scope)
        }

        func parser(
            _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
            qualifiedName qName: String?
        ) {
            guard failure == nil, !stack.isEmpty else { return }
            stack.removeLast()
            scopes.removeLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard failure == nil else { return }
            stack.last?.append(text: string)
        }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            guard failure == nil else { return }
            stack.last?.append(text: String(decoding: CDATABlock, as: UTF8.self))
        }

        func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
            let code = (parseError as NSError).code
            fail(parser, .malformedXML, SBMLXML.message(forLibXMLCode: code))
        }

        func parser(_ parser: XMLParser, validationErrorOccurred validationError: Error) {
            let code = (validationError as NSError).code
            fail(parser, .malformedXML, SBMLXML.message(forLibXMLCode: code))
        }
    }
}
