/// A Swift DSL producing the same `Model` as the text and SBML front ends.
///
///     let model = Model("decay") {
///         Compartment(id: "cell", size: 1)
///         Species(id: "A", compartment: "cell", initial: .concentration(10))
///         Parameter(id: "k", value: 0.1)
///         Reaction(id: "R1", reactants: [SpeciesReference("A")], rate: "cell" * "k" * "A")
///         Binding("L", "R", complex: "LR", kon: "kon", koff: "koff", in: "cell")
///     }
///
/// Motifs (`Binding`, `PhosphorylationCycle`, `HillActivation`, `HillInhibition`) expand into
/// elementary reactions when the model is built. Rates in motifs are written per concentration
/// and multiplied by the compartment size, so they are correct for any compartment volume.
public protocol ModelComponent {
    func contribute(to model: inout Model)
}

@resultBuilder
public enum ModelBuilder {
    public static func buildExpression(_ c: any ModelComponent) -> [any ModelComponent] { [c] }
    public static func buildExpression(_ cs: [any ModelComponent]) -> [any ModelComponent] { cs }
    public static func buildBlock(_ parts: [any ModelComponent]...) -> [any ModelComponent] { parts.flatMap { $0 } }
    public static func buildOptional(_ c: [any ModelComponent]?) -> [any ModelComponent] { c ?? [] }
    public static func buildEither(first c: [any ModelComponent]) -> [any ModelComponent] { c }
    public static func buildEither(second c: [any ModelComponent]) -> [any ModelComponent] { c }
    public static func buildArray(_ cs: [[any ModelComponent]]) -> [any ModelComponent] { cs.flatMap { $0 } }
}

extension Model {
    /// Builds a model from components and motifs. Call `validate()` to check it.
    public init(_ id: String, name: String? = nil, @ModelBuilder _ content: () -> [any ModelComponent]) {
        self.init(id: id, name: name)
        for c in content() { c.contribute(to: &self) }
    }
}

extension Compartment: ModelComponent { public func contribute(to m: inout Model) { m.compartments.append(self) } }
extension Species: ModelComponent { public func contribute(to m: inout Model) { m.species.append(self) } }
extension Parameter: ModelComponent { public func contribute(to m: inout Model) { m.parameters.append(self) } }
extension Reaction: ModelComponent { public func contribute(to m: inout Model) { m.reactions.append(self) } }
extension Rule: ModelComponent { public func contribute(to m: inout Model) { m.rules.append(self) } }
extension InitialAssignment: ModelComponent { public func contribute(to m: inout Model) { m.initialAssignments.append(self) } }
extension FunctionDefinition: ModelComponent { public func contribute(to m: inout Model) { m.functions.append(self) } }
extension Event: ModelComponent { public func contribute(to m: inout Model) { m.events.append(self) } }
extension Observable: ModelComponent { public func contribute(to m: inout Model) { m.observables.append(self) } }

/// Reversible mass-action binding `A + B <-> AB` with rate `V * (kon*A*B - koff*AB)`.
/// Reaction id: `<complex>_binding`.
public struct Binding: ModelComponent {
    public var a: String, b: String, complex: String
    public var kon: Expr, koff: Expr
    public var compartment: String

    public init(_ a: String, _ b: String, complex: String, kon: Expr, koff: Expr, in compartment: String) {
        self.a = a; self.b = b; self.complex = complex
        self.kon = kon; self.koff = koff; self.compartment = compartment
    }

    public func contribute(to m: inout Model) {
        let v = Expr.symbol(compartment)
        m.reactions.append(
            Reaction(
                id: "\(complex)_binding",
                reactants: [SpeciesReference(a), SpeciesReference(b)],
                products: [SpeciesReference(complex)],
                rate: v * (kon * .symbol(a) * .symbol(b) - koff * .symbol(complex)),
                reversible: true))
    }
}

/// A phosphorylation / dephosphorylation cycle `S ⇄ Sp`, driven by a kinase and a phosphatase.
///
/// - `.michaelisMenten`: two reactions, `S -> Sp; V*kcat*K*S/(Km + S)` and
///   `Sp -> S; V*kcatP*P*Sp/(KmP + Sp)` (kinase and phosphatase as modifiers).
/// - `.elementary`: four mass-action steps per enzyme, with explicit enzyme-substrate complexes
///   `S + K <-> S_K -> Sp + K` and `Sp + P <-> Sp_P -> S + P`, where `kon` is derived so the
///   Michaelis constant equals `Km`: `kon = (koff + kcat)/Km`.
/// Reaction ids start with `<substrate>_phos` and `<substrate>_dephos`.
public struct PhosphorylationCycle: ModelComponent {
    public enum Mechanism: Sendable {
        case michaelisMenten
        case elementary(koff: Expr)
    }
    public var substrate: String, phosphorylated: String, kinase: String, phosphatase: String
    public var kcat: Expr, km: Expr, kcatP: Expr, kmP: Expr
    public var compartment: String
    public var mechanism: Mechanism

    public init(
        _ substrate: String, _ phosphorylated: String, kinase: String, phosphatase: String,
        kcat: Expr, km: Expr, kcatP: Expr, kmP: Expr, in compartment: String,
        mechanism: Mechanism = .michaelisMenten
    ) {
        self.substrate = substrate; self.phosphorylated = phosphorylated
        self.kinase = kinase; self.phosphatase = phosphatase
        self.kcat = kcat; self.km = km; self.kcatP = kcatP; self.kmP = kmP
        self.compartment = compartment; self.mechanism = mechanism
    }

    public func contribute(to m: inout Model) {
        let v = Expr.symbol(compartment)
        let s = Expr.symbol(substrate), sp = Expr.symbol(phosphorylated)
        let k = Expr.symbol(kinase), p = Expr.symbol(phosphatase)
        switch mechanism {
        case .michaelisMenten:
            m.reactions.append(
                Reaction(
                    id: "\(substrate)_phos", reactants: [SpeciesReference(substrate)],
                    products: [SpeciesReference(phosphorylated)], modifiers: [kinase],
                    rate: v * kcat * k * s / (km + s)))
            m.reactions.append(
                Reaction(
                    id: "\(substrate)_dephos", reactants: [SpeciesReference(phosphorylated)],
                    products: [SpeciesReference(substrate)], modifiers: [phosphatase],
                    rate: v * kcatP * p * sp / (kmP + sp)))
        case .elementary(let koff):
            let sk = "\(substrate)_\(kinase)", spp = "\(phosphorylated)_\(phosphatase)"
            for c in [sk, spp] where m.species(c) == nil {
                m.species.append(Species(id: c, compartment: compartment, initial: .concentration(0)))
            }
            let konK = (koff + kcat) / km, konP = (koff + kcatP) / kmP
            m.reactions.append(
                Reaction(
                    id: "\(substrate)_phos_bind", reactants: [SpeciesReference(substrate), SpeciesReference(kinase)],
                    products: [SpeciesReference(sk)],
                    rate: v * (konK * s * k - koff * .symbol(sk)), reversible: true))
            m.reactions.append(
                Reaction(
                    id: "\(substrate)_phos_cat", reactants: [SpeciesReference(sk)],
                    products: [SpeciesReference(phosphorylated), SpeciesReference(kinase)],
                    rate: v * kcat * .symbol(sk)))
            m.reactions.append(
                Reaction(
                    id: "\(substrate)_dephos_bind", reactants: [SpeciesReference(phosphorylated), SpeciesReference(phosphatase)],
                    products: [SpeciesReference(spp)],
                    rate: v * (konP * sp * p - koff * .symbol(spp)), reversible: true))
            m.reactions.append(
                Reaction(
                    id: "\(substrate)_dephos_cat", reactants: [SpeciesReference(spp)],
                    products: [SpeciesReference(substrate), SpeciesReference(phosphatase)],
                    rate: v * kcatP * .symbol(spp)))
        }
    }
}

/// Production of `target` activated by `activator` with a Hill function:
/// `-> target; V * vmax * A^n / (K^n + A^n)`. Reaction id: `<target>_by_<activator>`.
public struct HillActivation: ModelComponent {
    public var target: String, activator: String
    public var vmax: Expr, k: Expr, n: Expr
    public var compartment: String
    public init(_ target: String, by activator: String, vmax: Expr, k: Expr, n: Expr, in compartment: String) {
        self.target = target; self.activator = activator
        self.vmax = vmax; self.k = k; self.n = n; self.compartment = compartment
    }
    public func contribute(to m: inout Model) {
        let a = Expr.symbol(activator)
        m.reactions.append(
            Reaction(
                id: "\(target)_by_\(activator)", products: [SpeciesReference(target)], modifiers: [activator],
                rate: .symbol(compartment) * vmax * .pow(a, n) / (.pow(k, n) + .pow(a, n))))
    }
}

/// Production of `target` inhibited by `inhibitor` with a Hill function:
/// `-> target; V * vmax * K^n / (K^n + I^n)`. Reaction id: `<target>_inhibited_by_<inhibitor>`.
public struct HillInhibition: ModelComponent {
    public var target: String, inhibitor: String
    public var vmax: Expr, k: Expr, n: Expr
    public var compartment: String
    public init(_ target: String, by inhibitor: String, vmax: Expr, k: Expr, n: Expr, in compartment: String) {
        self.target = target; self.inhibitor = inhibitor
        self.vmax = vmax; self.k = k; self.n = n; self.compartment = compartment
    }
    public func contribute(to m: inout Model) {
        let i = Expr.symbol(inhibitor)
        m.reactions.append(
            Reaction(
                id: "\(target)_inhibited_by_\(inhibitor)", products: [SpeciesReference(target)], modifiers: [inhibitor],
                rate: .symbol(compartment) * vmax * .pow(k, n) / (.pow(k, n) + .pow(i, n))))
    }
}
