/// The declarative intermediate representation every front end produces and the compiler consumes.
///
/// The semantics follow SBML Level 3 core, so that a model read from SBML means the same here:
/// - A reaction's `rate` is extensive: substance per time. A species in a compartment of size V
///   changes its *amount* by `stoichiometry * rate`; its concentration by that divided by V.
/// - A species symbol in an expression stands for its concentration (amount / compartment size),
///   unless the species has `hasOnlySubstanceUnits`, in which case it stands for its amount.
/// - Ids share one namespace: a compartment, species, parameter, reaction, species reference,
///   function definition, event or observable id must be unique in the model.
public struct Model: Hashable, Sendable {
    public var id: String
    public var name: String?
    public var compartments: [Compartment] = []
    public var species: [Species] = []
    public var parameters: [Parameter] = []
    public var reactions: [Reaction] = []
    public var rules: [Rule] = []
    public var initialAssignments: [InitialAssignment] = []
    public var functions: [FunctionDefinition] = []
    public var events: [Event] = []
    public var observables: [Observable] = []
    public var unitDefinitions: [UnitDefinition] = []
    /// SBML's model-level conversion factor (a parameter id), applied to species without their own.
    public var conversionFactor: String?
    /// Model-wide units (SBML Level 3 attributes), kept for round trips.
    public var timeUnits: String?
    public var substanceUnits: String?
    public var volumeUnits: String?
    public var extentUnits: String?

    public init(id: String, name: String? = nil) {
        self.id = id
        self.name = name
    }
}

/// A compartment: a volume (or area, length) in which species live.
public struct Compartment: Hashable, Sendable {
    public var id: String
    public var name: String?
    /// Size (volume for three dimensions). `nil` means set by an initial assignment or a rule.
    public var size: Double?
    public var spatialDimensions: Double?
    /// False when a rule or event may change the size.
    public var constant: Bool
    public var units: String?

    public init(
        id: String, name: String? = nil, size: Double? = 1, spatialDimensions: Double? = 3,
        constant: Bool = true, units: String? = nil
    ) {
        self.id = id
        self.name = name
        self.size = size
        self.spatialDimensions = spatialDimensions
        self.constant = constant
        self.units = units
    }
}

/// The initial value of a species as its model states it.
public enum InitialQuantity: Hashable, Sendable {
    case amount(Double)
    case concentration(Double)

    public var value: Double {
        switch self {
        case .amount(let v), .concentration(let v): return v
        }
    }
}

/// A chemical species in one compartment.
public struct Species: Hashable, Sendable {
    public var id: String
    public var name: String?
    public var compartment: String
    /// `nil` means set by an initial assignment or an assignment rule.
    public var initial: InitialQuantity?
    /// When true, the species' symbol in expressions means its amount, not its concentration.
    public var hasOnlySubstanceUnits: Bool
    /// A boundary species is not changed by reactions (rules and events may still change it).
    public var boundaryCondition: Bool
    /// A constant species never changes.
    public var constant: Bool
    /// SBML conversion factor (a parameter id) scaling reaction changes of this species.
    public var conversionFactor: String?
    public var units: String?

    public init(
        id: String, compartment: String, initial: InitialQuantity? = .concentration(0),
        name: String? = nil, hasOnlySubstanceUnits: Bool = false, boundaryCondition: Bool = false,
        constant: Bool = false, conversionFactor: String? = nil, units: String? = nil
    ) {
        self.id = id
        self.name = name
        self.compartment = compartment
        self.initial = initial
        self.hasOnlySubstanceUnits = hasOnlySubstanceUnits
        self.boundaryCondition = boundaryCondition
        self.constant = constant
        self.conversionFactor = conversionFactor
        self.units = units
    }
}

/// A named quantity. Non-constant parameters may be changed by rules and events.
public struct Parameter: Hashable, Sendable {
    public var id: String
    public var name: String?
    /// `nil` means set by an initial assignment or a rule.
    public var value: Double?
    public var constant: Bool
    public var units: String?

    public init(id: String, value: Double?, constant: Bool = true, name: String? = nil, units: String? = nil) {
        self.id = id
        self.name = name
        self.value = value
        self.constant = constant
        self.units = units
    }
}

/// A species taking part in a reaction with a stoichiometry.
public struct SpeciesReference: Hashable, Sendable {
    public var species: String
    public var stoichiometry: Double
    /// When set, the stoichiometry can be referred to (and, if not constant, changed) by this id.
    public var id: String?
    public var constant: Bool

    public init(_ species: String, _ stoichiometry: Double = 1, id: String? = nil, constant: Bool = true) {
        self.species = species
        self.stoichiometry = stoichiometry
        self.id = id
        self.constant = constant
    }
}

/// A reaction with its rate law (substance per time).
public struct Reaction: Hashable, Sendable {
    public var id: String
    public var name: String?
    public var reactants: [SpeciesReference]
    public var products: [SpeciesReference]
    /// Species that appear in the rate law without being consumed or produced.
    public var modifiers: [String]
    public var rate: Expr
    public var reversible: Bool
    /// Parameters visible only inside this reaction's rate law; they shadow global ids.
    public var localParameters: [Parameter]
    /// SBML's `fast` attribute: the reaction is at equilibrium at every instant (see the solver's
    /// `FastReactions`).
    public var fast: Bool
    public var compartment: String?

    public init(
        id: String, reactants: [SpeciesReference] = [], products: [SpeciesReference] = [],
        modifiers: [String] = [], rate: Expr, reversible: Bool = false, name: String? = nil,
        localParameters: [Parameter] = [], fast: Bool = false, compartment: String? = nil
    ) {
        self.id = id
        self.name = name
        self.reactants = reactants
        self.products = products
        self.modifiers = modifiers
        self.rate = rate
        self.reversible = reversible
        self.localParameters = localParameters
        self.fast = fast
        self.compartment = compartment
    }
}

/// Rules hold at every instant.
public enum Rule: Hashable, Sendable {
    /// `variable := math` at all times.
    case assignment(variable: String, math: Expr)
    /// `d variable / dt = math`.
    case rate(variable: String, math: Expr)
    /// `0 = math` (not supported by the integrator).
    case algebraic(math: Expr)

    public var variable: String? {
        switch self {
        case .assignment(let v, _), .rate(let v, _): return v
        case .algebraic: return nil
        }
    }

    public var math: Expr {
        switch self {
        case .assignment(_, let m), .rate(_, let m), .algebraic(let m): return m
        }
    }
}

/// Sets a variable's value at the start of the simulation, overriding its declared value.
public struct InitialAssignment: Hashable, Sendable {
    public var variable: String
    public var math: Expr
    public init(variable: String, math: Expr) {
        self.variable = variable
        self.math = math
    }
}

/// A user function: `function hill(x, K, n) x^n/(K^n + x^n) end`.
public struct FunctionDefinition: Hashable, Sendable {
    public var id: String
    public var arguments: [String]
    public var body: Expr
    public init(id: String, arguments: [String], body: Expr) {
        self.id = id
        self.arguments = arguments
        self.body = body
    }
}

/// A discrete change when a condition becomes true.
public struct Event: Hashable, Sendable {
    public var id: String
    public var name: String?
    /// Fires when this condition goes from false to true.
    public var trigger: Expr
    /// The trigger's value taken to hold just before the start: when false and the trigger is
    /// true at the start, the event fires at the start.
    public var triggerInitialValue: Bool
    /// When false, an event whose trigger turns false before its execution is cancelled.
    public var persistent: Bool
    public var delay: Expr?
    /// Among events executing at the same time, the higher priority goes first.
    public var priority: Expr?
    /// Assignment values are computed when the event triggers (true) or when it executes (false).
    public var useValuesFromTriggerTime: Bool
    public var assignments: [EventAssignment]

    public init(
        id: String, trigger: Expr, assignments: [EventAssignment], delay: Expr? = nil,
        priority: Expr? = nil, triggerInitialValue: Bool = true, persistent: Bool = true,
        useValuesFromTriggerTime: Bool = true, name: String? = nil
    ) {
        self.id = id
        self.name = name
        self.trigger = trigger
        self.triggerInitialValue = triggerInitialValue
        self.persistent = persistent
        self.delay = delay
        self.priority = priority
        self.useValuesFromTriggerTime = useValuesFromTriggerTime
        self.assignments = assignments
    }
}

public struct EventAssignment: Hashable, Sendable {
    public var variable: String
    public var math: Expr
    public init(variable: String, math: Expr) {
        self.variable = variable
        self.math = math
    }
}

/// A named readout: any expression over the model's variables.
public struct Observable: Hashable, Sendable {
    public var id: String
    public var math: Expr
    public var name: String?
    public init(id: String, math: Expr, name: String? = nil) {
        self.id = id
        self.math = math
        self.name = name
    }
}

/// A unit definition, kept so units survive round trips (checked later, not used in simulation).
public struct UnitDefinition: Hashable, Sendable {
    public struct Factor: Hashable, Sendable {
        public var kind: String
        public var exponent: Double
        public var scale: Int
        public var multiplier: Double
        public init(kind: String, exponent: Double = 1, scale: Int = 0, multiplier: Double = 1) {
            self.kind = kind
            self.exponent = exponent
            self.scale = scale
            self.multiplier = multiplier
        }
    }
    public var id: String
    public var factors: [Factor]
    public init(id: String, factors: [Factor]) {
        self.id = id
        self.factors = factors
    }
}

// MARK: - Look-ups

extension Model {
    /// What kind of element an id names.
    public enum ElementKind: String, Sendable {
        case compartment, species, parameter, reaction, speciesReference, function, event, observable
        case unitDefinition
    }

    /// Every id in the model's shared namespace with its kind, in declaration order.
    public var allIds: [(id: String, kind: ElementKind)] {
        var out: [(String, ElementKind)] = []
        out += compartments.map { ($0.id, .compartment) }
        out += species.map { ($0.id, .species) }
        out += parameters.map { ($0.id, .parameter) }
        for r in reactions {
            out.append((r.id, .reaction))
            for sr in r.reactants + r.products { if let i = sr.id { out.append((i, .speciesReference)) } }
        }
        out += functions.map { ($0.id, .function) }
        out += events.map { ($0.id, .event) }
        out += observables.map { ($0.id, .observable) }
        return out
    }

    public func species(_ id: String) -> Species? { species.first { $0.id == id } }
    public func parameter(_ id: String) -> Parameter? { parameters.first { $0.id == id } }
    public func compartment(_ id: String) -> Compartment? { compartments.first { $0.id == id } }
    public func reaction(_ id: String) -> Reaction? { reactions.first { $0.id == id } }
}
