import Foundation

/// Flattens a hierarchical SBML Level 3 document (the `comp` package) into one core model, which
/// then goes through the ordinary reader.
///
/// Each submodel is instantiated from its model definition (in the same document or, for an
/// external model definition, in the file its `source` names, relative to the referring file)
/// and flattened first, recursively. Then, in this order:
/// - its deletions remove the elements they point to;
/// - the replacements in the containing model take effect: an element with a `replacedElement`
///   survives and the submodel's element goes, an element with a `replacedBy` is replaced by the
///   submodel's element, which takes the replaced element's id; every reference to the element
///   that went now names the survivor. A replacement's `conversionFactor` `f` turns references in
///   the submodel into `survivor / f` and anything the submodel assigns to it (rules, initial and
///   event assignments, rate rules) into `f` times that; a reaction's stoichiometry is left as it
///   is (its extent is converted by the submodel's `extentConversionFactor` alone: SBML Test Suite
///   case 01778 checks this);
/// - the submodel's time and extent conversion factors `t` and `x` apply to its mathematics:
///   `time` reads `time / t`, a rate rule's rate is divided by `t`, a kinetic law multiplied by
///   `x / t`, a reference to one of its reactions reads `reaction · t / x`, event delays and
///   the delay of `delay(…, d)` are multiplied by `t`;
/// - every remaining id (and metaid and unit definition id) of the submodel gets the prefix
///   `submodel__`, so `A__S1` is the species `S1` of submodel `A`, and `A__B__S1` one level deeper
///   (the naming libSBML's flattening and the SBML Test Suite use);
/// - its elements join the containing model's lists.
///
/// Ports name elements for `portRef`; an `sBaseRef` child follows a reference into a submodel of a
/// submodel. Problems (a reference to nothing, a missing model definition or external file, a
/// cycle of definitions) raise one `SBMLError` naming the file, line and column of the element
/// at fault.
struct CompFlattener {
    /// A document holding model definitions: the one read, or an external one.
    final class Document {
        let root: SBMLXMLElement
        let path: String
        let core: String
        let comp: String
        var definitions: [String: SBMLXMLElement] = [:]
        var externals: [String: SBMLXMLElement] = [:]

        init(root: SBMLXMLElement, path: String, comp: String) {
            self.root = root
            self.path = path
            self.core = root.namespace
            self.comp = comp
            for list in root.children where list.namespace == comp {
                for d in list.children where d.namespace == comp {
                    let id = d.attribute("id", comp) ?? d["id"]
                    guard let id else { continue }
                    if d.name == "modelDefinition" { definitions[id] = d }
                    if d.name == "externalModelDefinition" { externals[id] = d }
                }
            }
        }

        /// The document's main model.
        var model: SBMLXMLElement? { root.children.first { $0.name == "model" && $0.namespace == core } }
    }

    /// What an SBase reference points at, in the namespace of the model it was resolved in.
    enum Target {
        case id(String)
        case metaid(String)
        case unit(String)

        func prefixed(_ p: String) -> Target {
            switch self {
            case .id(let s): return .id(p + s)
            case .metaid(let s): return .metaid(p + s)
            case .unit(let s): return .unit(p + s)
            }
        }

        var text: String {
            switch self {
            case .id(let s): return "id '\(s)'"
            case .metaid(let s): return "metaid '\(s)'"
            case .unit(let s): return "unit '\(s)'"
            }
        }
    }

    /// A replacement in the containing model, for one submodel.
    struct Replacement {
        var owner: SBMLXMLElement
        var reference: SBMLXMLElement
        var isReplacedBy: Bool
    }

    static let maximumDepth = 64

    let main: Document
    let core: String
    var loaded: [String: Document] = [:]

    // MARK: - Entry

    /// The namespace URI of the comp package if the document uses it.
    static func compNamespace(of root: SBMLXMLElement) -> String? {
        func isComp(_ uri: String) -> Bool {
            uri.hasPrefix("http://www.sbml.org/sbml/level3/") && SBMLReader.packageName(uri, prefix: nil) == "comp"
        }
        if let uri = root.declarations.values.first(where: isComp) { return uri }
        return nil
    }

    /// The document with its main model flattened, or the document itself when it does not use
    /// comp elements.
    static func flatten(_ root: SBMLXMLElement, path: String) throws -> SBMLXMLElement {
        guard let comp = compNamespace(of: root) else { return root }
        var flattener = CompFlattener(main: Document(root: root, path: path, comp: comp), core: root.namespace)
        guard let model = flattener.main.model else { return root }
        let flat = try flattener.flatten(model, in: flattener.main, stack: []).model
        let out = root.shallowCopy()
        for child in root.children where child.namespace != comp {
            out.appendChild(child === model ? flat : child)
        }
        return out
    }

    // MARK: - Errors

    func error(_ kind: SBMLError.Kind, _ e: SBMLXMLElement, in doc: Document, _ message: String) -> SBMLError {
        SBMLError(
            kind, path: doc.path, line: e.line, column: e.column,
            elementId: e.attribute("id", doc.comp) ?? e["id"], message: message)
    }

    func compAttribute(_ e: SBMLXMLElement, _ name: String, _ doc: Document) -> String? {
        e.attribute(name, doc.comp).map { SBMLNumber.trim($0) }
    }

    // MARK: - Definitions

    /// The model definition `id` names in `doc`: a model definition, an external one (loaded from
    /// its file), or the document's main model.
    mutating func definition(
        _ id: String, in doc: Document, at e: SBMLXMLElement, from referrer: Document? = nil,
        depth: Int
    ) throws -> (SBMLXMLElement, Document) {
        let referrer = referrer ?? doc
        guard depth < Self.maximumDepth else {
            throw error(.invalid, e, in: referrer, "external model definitions are nested more than \(Self.maximumDepth) deep")
        }
        if let d = doc.definitions[id] { return (d, doc) }
        if let x = doc.externals[id] {
            guard let source = compAttribute(x, "source", doc), !source.isEmpty else {
                throw error(.invalid, x, in: doc, "externalModelDefinition '\(id)' has no source")
            }
            let external = try load(source, from: doc, at: x)
            let ref = compAttribute(x, "modelRef", doc)
            if let ref, external.model?.attribute("id", nil) != ref {
                return try definition(ref, in: external, at: x, from: doc, depth: depth + 1)
            }
            guard let model = external.model else {
                throw error(.invalid, x, in: doc, "\(external.path) has no <model>")
            }
            return (model, external)
        }
        if let m = doc.model, m["id"] == id { return (m, doc) }
        let place = doc === referrer ? "" : " in \(doc.path)"
        throw error(.invalid, e, in: referrer, "no model definition '\(id)'\(place)")
    }

    /// Reads an external document named by a `source` attribute (a path or a file: URI, relative
    /// to the referring document's folder).
    mutating func load(_ source: String, from doc: Document, at e: SBMLXMLElement) throws -> Document {
        var path = source
        if path.hasPrefix("file://") { path = String(path.dropFirst(7)) } else if path.hasPrefix("file:") { path = String(path.dropFirst(5)) }
        if path.contains("://") {
            throw error(.unsupportedConstruct, e, in: doc, "external model source '\(source)' is not a local file")
        }
        if !path.hasPrefix("/") {
            let base = URL(fileURLWithPath: doc.path).deletingLastPathComponent()
            path = base.appendingPathComponent(path).standardizedFileURL.path
        }
        if let d = loaded[path] { return d }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw error(.invalid, e, in: doc, "cannot read the external model file '\(path)'")
        }
        let root = try SBMLXML.parse(data, path: path)
        guard root.name == "sbml", SBMLReader.coreNamespaces[root.namespace]?.level == 3 else {
            throw error(.invalid, e, in: doc, "the external model file '\(path)' is not an SBML Level 3 document")
        }
        let d = Document(root: root, path: path, comp: Self.compNamespace(of: root) ?? doc.comp)
        loaded[path] = d
        return d
    }

    // MARK: - References

    /// Resolves an SBase reference (`portRef`, `idRef`, `unitRef` or `metaIdRef`, with an optional
    /// `sBaseRef` child reaching into a submodel) against the model definition `def`.
    mutating func resolve(_ ref: SBMLXMLElement, in def: SBMLXMLElement, doc: Document, refDoc: Document, depth: Int) throws -> Target {
        guard depth < Self.maximumDepth else {
            throw error(.invalid, ref, in: refDoc, "references are nested more than \(Self.maximumDepth) deep")
        }
        let child = ref.children.first { $0.name == "sBaseRef" && $0.namespace == refDoc.comp }
        if let port = compAttribute(ref, "portRef", refDoc) {
            let ports = def.children.first { $0.name == "listOfPorts" && $0.namespace == doc.comp }?.children ?? []
            guard let p = ports.first(where: { compAttribute($0, "id", doc) == port }) else {
                throw error(.invalid, ref, in: refDoc, "model '\(def["id"] ?? "")' has no port '\(port)'")
            }
            let target = try resolve(p, in: def, doc: doc, refDoc: doc, depth: depth + 1)
            guard let child else { return target }
            guard case .id(let submodel) = target else {
                throw error(.invalid, ref, in: refDoc, "port '\(port)' does not name a submodel, so an sBaseRef cannot follow it")
            }
            return try resolveInSubmodel(submodel, child, def: def, doc: doc, refDoc: refDoc, depth: depth)
        }
        if let id = compAttribute(ref, "idRef", refDoc) {
            guard let child else { return .id(id) }
            return try resolveInSubmodel(id, child, def: def, doc: doc, refDoc: refDoc, depth: depth)
        }
        if let unit = compAttribute(ref, "unitRef", refDoc) { return .unit(unit) }
        if let meta = compAttribute(ref, "metaIdRef", refDoc) {
            guard let child else { return .metaid(meta) }
            guard let sub = submodels(of: def, doc).first(where: { $0.attribute("metaid", nil) == meta }),
                let id = compAttribute(sub, "id", doc)
            else {
                throw error(.invalid, ref, in: refDoc, "metaid '\(meta)' does not name a submodel, so an sBaseRef cannot follow it")
            }
            return try resolveInSubmodel(id, child, def: def, doc: doc, refDoc: refDoc, depth: depth)
        }
        throw error(.invalid, ref, in: refDoc, "<\(ref.name)> names nothing (no portRef, idRef, unitRef or metaIdRef)")
    }

    mutating func resolveInSubmodel(
        _ submodel: String, _ child: SBMLXMLElement, def: SBMLXMLElement, doc: Document,
        refDoc: Document, depth: Int
    ) throws -> Target {
        guard let sub = submodels(of: def, doc).first(where: { compAttribute($0, "id", doc) == submodel }),
            let modelRef = compAttribute(sub, "modelRef", doc)
        else {
            throw error(.invalid, child, in: refDoc, "'\(submodel)' is not a submodel of model '\(def["id"] ?? "")'")
        }
        let (inner, innerDoc) = try definition(modelRef, in: doc, at: sub, depth: depth + 1)
        return try resolve(child, in: inner, doc: innerDoc, refDoc: refDoc, depth: depth + 1).prefixed(submodel + "__")
    }

    func submodels(of def: SBMLXMLElement, _ doc: Document) -> [SBMLXMLElement] {
        (def.children.first { $0.name == "listOfSubmodels" && $0.namespace == doc.comp }?.children ?? [])
            .filter { $0.name == "submodel" && $0.namespace == doc.comp }
    }

    // MARK: - Flattening

    /// The flattened copy of the model (or model definition) `def`, as a core `<model>` in the
    /// main document's core namespace.
    /// `aliases` maps the ids of elements that were replaced (prefixed as they would have been)
    /// to the ids of the elements that replaced them, so that references from further up still find them.
    mutating func flatten(_ def: SBMLXMLElement, in doc: Document, stack: [String]) throws
        -> (model: SBMLXMLElement, aliases: [String: String])
    {
        let key = doc.path + "#" + (def["id"] ?? "")
        if stack.contains(key) {
            throw error(.invalid, def, in: doc, "model definition '\(def["id"] ?? "")' contains itself through its submodels")
        }
        guard stack.count < Self.maximumDepth else {
            throw error(.invalid, def, in: doc, "submodels are nested more than \(Self.maximumDepth) deep")
        }
        let m = def.deepCopy()
        m.rename(name: "model", namespace: core, prefix: nil)
        normaliseNamespaces(m, doc: doc)

        // Replacements declared in this model, before any submodel's elements join it.
        var replacements: [Replacement] = []
        m.walkModel { e in
            for c in e.children where c.namespace == doc.comp {
                if c.name == "replacedBy" { replacements.append(Replacement(owner: e, reference: c, isReplacedBy: true)) }
                if c.name == "listOfReplacedElements" {
                    for r in c.children where r.name == "replacedElement" && r.namespace == doc.comp {
                        replacements.append(Replacement(owner: e, reference: r, isReplacedBy: false))
                    }
                }
            }
        }
        var aliases: [String: String] = [:]

        for sub in submodels(of: def, doc) {
            guard let sid = compAttribute(sub, "id", doc), !sid.isEmpty else {
                throw error(.invalid, sub, in: doc, "<submodel> has no comp:id")
            }
            guard let modelRef = compAttribute(sub, "modelRef", doc) else {
                throw error(.invalid, sub, in: doc, "submodel '\(sid)' has no comp:modelRef")
            }
            let (inner, innerDoc) = try definition(modelRef, in: doc, at: sub, depth: 0)
            let (f, innerAliases) = try flatten(inner, in: innerDoc, stack: stack + [key])
            func lookup(_ target: Target) -> [SBMLXMLElement] {
                let found = f.find(target)
                if found.isEmpty, case .id(let id) = target, let alias = innerAliases[id] { return f.find(.id(alias)) }
                return found
            }

            // Deletions.
            let deletions = (sub.children.first { $0.name == "listOfDeletions" && $0.namespace == doc.comp }?.children ?? [])
                .filter { $0.name == "deletion" && $0.namespace == doc.comp }
            for d in deletions {
                let target = try resolve(d, in: inner, doc: innerDoc, refDoc: doc, depth: 0)
                let found = lookup(target)
                guard !found.isEmpty else {
                    throw error(.invalid, d, in: doc, "the deletion in submodel '\(sid)' names no element (\(target.text))")
                }
                for x in found { f.remove(x) }
            }

            // Replacements into this submodel.
            var renames: [String: String] = [:]
            var unitRenames: [String: String] = [:]
            var factors: [String: String] = [:]
            var removed: [SBMLXMLElement] = []
            var moved: [(owner: SBMLXMLElement, node: SBMLXMLElement)] = []
            for r in replacements where compAttribute(r.reference, "submodelRef", doc) == sid {
                if !r.isReplacedBy, compAttribute(r.reference, "deletion", doc) != nil { continue }
                let target = try resolve(r.reference, in: inner, doc: innerDoc, refDoc: doc, depth: 0)
                guard let x = lookup(target).first else {
                    throw error(.invalid, r.reference, in: doc, "the replacement in submodel '\(sid)' names no element (\(target.text))")
                }
                let ownerId = r.owner["id"]
                // A kinetic law's local parameter replaced by a global one: the law's references
                // name the global (its id is local, so the submodel-wide renaming cannot reach it).
                if x.name == "localParameter", !r.isReplacedBy, let ownerId, let xid = x["id"] {
                    f.renameLocalParameter(x, id: SBMLNumber.trim(xid), to: ownerId)
                    removed.append(x)
                    continue
                }
                if case .unit(let u) = target, let ownerId { unitRenames[u] = ownerId }
                if let xid = x["id"], x.name != "unitDefinition" {
                    guard let ownerId else {
                        throw error(.invalid, r.owner, in: doc, "<\(r.owner.name)> replaces '\(xid)' but has no id of its own")
                    }
                    renames[xid] = ownerId
                    if !r.isReplacedBy, let cf = compAttribute(r.reference, "conversionFactor", doc) { factors[xid] = cf }
                }
                if r.isReplacedBy { moved.append((r.owner, x)) } else { removed.append(x) }
            }

            // Conversion factors and the prefix.
            let context = Conversion(
                prefix: sid + "__", renames: renames, unitRenames: unitRenames, factors: factors,
                ids: f.globalIds(), units: f.unitIds(), reactions: f.reactionIds(),
                time: compAttribute(sub, "timeConversionFactor", doc),
                extent: compAttribute(sub, "extentConversionFactor", doc),
                doc: doc, flattener: self)
            try context.apply(to: f)
            for (id, survivor) in renames { aliases[context.prefix + id] = survivor }
            for (id, survivor) in innerAliases { aliases[context.prefix + id] = context.name(survivor) }

            for x in removed { f.remove(x) }
            for (owner, x) in moved {
                f.remove(x)
                x.setAttribute("id", owner["id"])
                x.setAttribute("metaid", owner.attribute("metaid", nil))
                m.replace(owner, with: x)
            }
            m.merge(f)
        }
        strip(m, comp: doc.comp)
        return (m, aliases)
    }

    /// Core elements of an external document written in another Level 3 version get the main
    /// document's core namespace, so that the reader sees one model.
    func normaliseNamespaces(_ e: SBMLXMLElement, doc: Document) {
        if e.namespace == doc.core && doc.core != core { e.rename(name: e.name, namespace: core, prefix: e.prefix) }
        for c in e.children { normaliseNamespaces(c, doc: doc) }
    }

    /// Removes the comp package's elements and attributes (ports, submodels, replacements).
    func strip(_ e: SBMLXMLElement, comp: String) {
        e.removeChildren { $0.namespace == comp }
        e.removeAttributes { $0.namespace == comp }
        for c in e.children where c.namespace != MathMLReader.namespace { strip(c, comp: comp) }
    }

    /// Values of the model's constant parameters with a numeric value.
    // MARK: - Rewriting a submodel

    /// The rewriting of one submodel's flattened elements into the containing model's namespace.
    struct Conversion {
        var prefix: String
        var renames: [String: String]
        var unitRenames: [String: String]
        var factors: [String: String]
        var ids: Set<String>
        var units: Set<String>
        var reactions: Set<String>
        var time: String?
        var extent: String?
        var doc: Document
        var flattener: CompFlattener

        static let sidReferences: Set<String> = ["compartment", "species", "variable", "symbol", "outside", "conversionFactor"]
        static let unitReferences: Set<String> = [
            "units", "substanceUnits", "timeUnits", "volumeUnits", "areaUnits",
            "lengthUnits", "extentUnits",
        ]

        func name(_ id: String) -> String { ids.contains(id) ? (renames[id] ?? prefix + id) : id }
        func unitName(_ u: String) -> String { units.contains(u) ? (unitRenames[u] ?? prefix + u) : u }

        func apply(to f: SBMLXMLElement) throws {
            // A submodel's model-wide conversion factor applies to its own species.
            if let cf = f["conversionFactor"] {
                f.walkModel { e in
                    if e.name == "species" && e["conversionFactor"] == nil { e.setAttribute("conversionFactor", cf) }
                }
            }
            try rewrite(f, locals: [])
        }

        func ci(_ id: String) -> SBMLXMLElement { SBMLXMLElement.make("ci", MathMLReader.namespace, text: " \(id) ") }

        func apply(_ op: String, _ args: [SBMLXMLElement]) -> SBMLXMLElement {
            let a = SBMLXMLElement.make("apply", MathMLReader.namespace)
            a.appendChild(SBMLXMLElement.make(op, MathMLReader.namespace))
            for x in args { a.appendChild(x) }
            return a
        }

        /// Multiplies (or divides) the expression inside a `<math>` element by the given factors.
        func scaleMath(of e: SBMLXMLElement, times: [String], divide: [String]) {
            guard !times.isEmpty || !divide.isEmpty,
                let math = e.children.first(where: { $0.name == "math" && $0.namespace == MathMLReader.namespace }),
                let body = math.children.first(where: { $0.namespace == MathMLReader.namespace })
            else { return }
            var x = body
            if !times.isEmpty { x = apply("times", [x] + times.map(ci)) }
            for d in divide { x = apply("divide", [x, ci(d)]) }
            math.replace(body, with: x)
        }

        func rewrite(_ e: SBMLXMLElement, locals: Set<String>) throws {
            if e.namespace == MathMLReader.namespace {
                if e.name == "math" {
                    for c in e.children { rewriteMath(c, in: e, bound: locals) }
                }
                return
            }
            if e.name == "notes" || e.name == "annotation" { return }
            var locals = locals
            let isLocal = e.name == "localParameter" || (e.name == "parameter" && locals.contains(e["id"] ?? "\u{0}"))
            if e.name == "kineticLaw" {
                for list in e.children where list.name == "listOfLocalParameters" || list.name == "listOfParameters" {
                    for p in list.children { if let id = p["id"] { locals.insert(id) } }
                }
            }
            // Ids and references.
            if let id = e["id"], !isLocal {
                e.setAttribute("id", e.name == "unitDefinition" ? unitName(id) : prefix + id)
            }
            if let meta = e.attribute("metaid", nil) { e.setAttribute("metaid", prefix + meta) }
            for a in e.attributes where a.namespace == nil {
                if Self.sidReferences.contains(a.name) { e.setAttribute(a.name, name(SBMLNumber.trim(a.value))) }
                if Self.unitReferences.contains(a.name) { e.setAttribute(a.name, unitName(SBMLNumber.trim(a.value))) }
            }
            for c in e.children { try rewrite(c, locals: locals) }

            // Conversion factors of the element's own mathematics (after its references are renamed).
            switch e.name {
            case "kineticLaw":
                scaleMath(of: e, times: extent.map { [$0] } ?? [], divide: time.map { [$0] } ?? [])
            case "rateRule", "assignmentRule", "initialAssignment", "eventAssignment":
                let target = e.name == "initialAssignment" ? e["symbol"] : e["variable"]
                let factor = target.flatMap { t in factors.first { name($0.key) == t }?.value }
                let divide = e.name == "rateRule" ? (time.map { [$0] } ?? []) : []
                scaleMath(of: e, times: factor.map { [$0] } ?? [], divide: divide)
            case "delay":
                scaleMath(of: e, times: time.map { [$0] } ?? [], divide: [])
            default: break
            }
        }

        /// Rewrites one MathML node in place (replacing it in `parent` when it changes shape).
        func rewriteMath(_ n: SBMLXMLElement, in parent: SBMLXMLElement, bound: Set<String>) {
            switch n.name {
            case "ci":
                let id = SBMLNumber.trim(n.text)
                guard !bound.contains(id), ids.contains(id) else { return }
                if let cf = factors[id] {
                    parent.replace(n, with: apply("divide", [ci(name(id)), ci(cf)]))
                } else if reactions.contains(id), renames[id] == nil, time != nil || extent != nil {
                    var x = ci(name(id))
                    if let t = time { x = apply("times", [x, ci(t)]) }
                    if let x2 = extent { x = apply("divide", [x, ci(x2)]) }
                    parent.replace(n, with: x)
                } else {
                    n.setText(" \(name(id)) ")
                }
            case "csymbol":
                if let t = time, n["definitionURL"].map(SBMLNumber.trim) == MathMLReader.timeURL {
                    parent.replace(n, with: apply("divide", [n, ci(t)]))
                }
            case "lambda":
                var inner = bound
                for b in n.children where b.name == "bvar" {
                    for c in b.children where c.name == "ci" { inner.insert(SBMLNumber.trim(c.text)) }
                }
                for c in n.children where c.name != "bvar" { rewriteMath(c, in: n, bound: inner) }
            case "apply":
                let isDelay =
                    n.children.first.map {
                        $0.name == "csymbol" && $0["definitionURL"].map(SBMLNumber.trim) == MathMLReader.delayURL
                    } ?? false
                for c in n.children { rewriteMath(c, in: n, bound: bound) }
                if isDelay, let t = time, n.children.count == 3 {
                    let d = n.children[2]
                    n.replace(d, with: apply("times", [d, ci(t)]))
                }
            default:
                for c in n.children { rewriteMath(c, in: n, bound: bound) }
            }
        }
    }
}

// MARK: - Tree editing

extension SBMLXMLElement {
    /// An element made in code (line and column 0).
    static func make(_ name: String, _ namespace: String, text: String = "") -> SBMLXMLElement {
        let e = SBMLXMLElement(prefix: nil, name: name, namespace: namespace, attributes: [], declarations: [:], line: 0, column: 0)
        if !text.isEmpty { e.setText(text) }
        return e
    }

    /// The value of an attribute in a namespace (`nil`: unprefixed).
    func attribute(_ name: String, _ namespace: String?) -> String? {
        attributes.first { $0.name == name && $0.namespace == namespace }?.value
    }

    /// Sets (or, with `nil`, removes) an unprefixed attribute.
    func setAttribute(_ name: String, _ value: String?) {
        if let i = attributes.firstIndex(where: { $0.namespace == nil && $0.name == name }) {
            if let value { attributes[i].value = value } else { attributes.remove(at: i) }
        } else if let value {
            attributes.append(SBMLXMLAttribute(prefix: nil, name: name, namespace: nil, value: value))
        }
    }

    func removeAttributes(where drop: (SBMLXMLAttribute) -> Bool) { attributes.removeAll(where: drop) }

    /// Calls `body` on every element of a model outside mathematics, notes and annotations.
    func walkModel(_ body: (SBMLXMLElement) -> Void) {
        body(self)
        for c in children where c.namespace != MathMLReader.namespace && c.name != "notes" && c.name != "annotation" {
            c.walkModel(body)
        }
    }

    /// The elements (outside mathematics) an SBase reference resolves to.
    func find(_ target: CompFlattener.Target) -> [SBMLXMLElement] {
        var out: [SBMLXMLElement] = []
        var insideKineticLaw = false
        func visit(_ e: SBMLXMLElement) {
            switch target {
            case .id(let id): if e["id"] == id, e.name != "unitDefinition", !insideKineticLaw || e.name == "kineticLaw" { out.append(e) }
            case .metaid(let m): if e.attribute("metaid", nil) == m { out.append(e) }
            case .unit(let u): if e.name == "unitDefinition", e["id"] == u { out.append(e) }
            }
            let was = insideKineticLaw
            if e.name == "kineticLaw" { insideKineticLaw = true }
            for c in e.children where c.namespace != MathMLReader.namespace && c.name != "notes" && c.name != "annotation" {
                visit(c)
            }
            insideKineticLaw = was
        }
        for c in children { visit(c) }
        return out
    }

    /// Ids in the model's global namespace (local parameters and unit definitions excluded).
    func globalIds() -> Set<String> {
        var out = Set<String>()
        func visit(_ e: SBMLXMLElement) {
            if let id = e["id"], e.name != "unitDefinition" { out.insert(SBMLNumber.trim(id)) }
            for c in e.children where c.namespace != MathMLReader.namespace && c.name != "notes" && c.name != "annotation" && c.name != "kineticLaw" {
                visit(c)
            }
        }
        for c in children { visit(c) }
        return out
    }

    func unitIds() -> Set<String> {
        Set(children.filter { $0.name == "listOfUnitDefinitions" }.flatMap(\.children).compactMap { $0["id"] })
    }

    func reactionIds() -> Set<String> {
        Set(children.filter { $0.name == "listOfReactions" }.flatMap(\.children).filter { $0.name == "reaction" }.compactMap { $0["id"] })
    }

    /// Removes `node` wherever it sits below this element.
    @discardableResult
    func remove(_ node: SBMLXMLElement) -> Bool {
        if let i = children.firstIndex(where: { $0 === node }) {
            removeChild(at: i)
            return true
        }
        for c in children where c.remove(node) { return true }
        return false
    }

    /// In the kinetic law that declares local parameter `p`, references to `id` become `new`.
    func renameLocalParameter(_ p: SBMLXMLElement, id: String, to new: String) {
        func rename(_ n: SBMLXMLElement) {
            for c in n.children {
                if c.name == "ci", SBMLNumber.trim(c.text) == id {
                    n.replace(c, with: SBMLXMLElement.make("ci", MathMLReader.namespace, text: " \(new) "))
                } else {
                    rename(c)
                }
            }
        }
        walkModel { e in
            guard e.name == "kineticLaw",
                e.children.contains(where: { $0.name == "listOfLocalParameters" && $0.children.contains { $0 === p } })
            else { return }
            for m in e.children where m.namespace == MathMLReader.namespace { rename(m) }
        }
    }

    /// Puts `new` in the place of `old` wherever it sits below this element.
    @discardableResult
    func replace(_ old: SBMLXMLElement, with new: SBMLXMLElement) -> Bool {
        if let i = children.firstIndex(where: { $0 === old }) {
            setChild(at: i, new)
            return true
        }
        for c in children where c.replace(old, with: new) { return true }
        return false
    }

    /// Appends the children of `other`'s lists to this model's lists of the same name.
    func merge(_ other: SBMLXMLElement) {
        for list in other.children where list.name.hasPrefix("listOf") {
            if let mine = children.first(where: { $0.name == list.name && $0.namespace == list.namespace }) {
                for c in list.children { mine.appendChild(c) }
            } else {
                appendChild(list)
            }
        }
    }
}
