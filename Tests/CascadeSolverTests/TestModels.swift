import CascadeCore
import CascadeSolver
import Foundation

/// Small models with exact solutions, built with the DSL.
enum TestModels {
    /// A → ∅ in a compartment of size 2: A(t) = A0·exp(−k t), concentration semantics.
    static let decay = Model("decay") {
        Compartment(id: "cell", size: 2)
        Species(id: "A", compartment: "cell", initial: .concentration(10))
        Parameter(id: "k", value: 0.5)
        Reaction(id: "R1", reactants: [SpeciesReference("A")], rate: "cell" * "k" * "A")
    }

    /// A → B → C with k1 ≠ k2.
    static let consecutive = Model("consecutive") {
        Compartment(id: "c", size: 1)
        Species(id: "A", compartment: "c", initial: .concentration(1))
        Species(id: "B", compartment: "c", initial: .concentration(0))
        Species(id: "C", compartment: "c", initial: .concentration(0))
        Parameter(id: "k1", value: 0.7)
        Parameter(id: "k2", value: 0.2)
        Reaction(id: "R1", reactants: [SpeciesReference("A")], products: [SpeciesReference("B")], rate: "c" * "k1" * "A")
        Reaction(id: "R2", reactants: [SpeciesReference("B")], products: [SpeciesReference("C")], rate: "c" * "k2" * "B")
    }

    /// L + R ⇄ LR through the Binding motif, relaxing to equilibrium.
    static let binding = Model("binding") {
        Compartment(id: "c", size: 1)
        Species(id: "L", compartment: "c", initial: .concentration(2))
        Species(id: "R", compartment: "c", initial: .concentration(1))
        Species(id: "LR", compartment: "c", initial: .concentration(0))
        Parameter(id: "kon", value: 1.5)
        Parameter(id: "koff", value: 0.3)
        Binding("L", "R", complex: "LR", kon: "kon", koff: "koff", in: "c")
    }

    /// Zero-order production switched off by a time event at t = 5.
    static let switched = Model("switched") {
        Compartment(id: "c", size: 1)
        Species(id: "P", compartment: "c", initial: .concentration(0))
        Parameter(id: "k0", value: 0.3)
        Parameter(id: "on", value: 1, constant: false)
        Reaction(id: "make", products: [SpeciesReference("P")], rate: "c" * "k0" * "on")
        Event(id: "stop", trigger: .apply(.gt, [.time, 5]), assignments: [EventAssignment(variable: "on", math: 0)])
    }

    /// A decays; when it falls below 1 it is refilled to 10 (a state event).
    static let refill = Model("refill") {
        Compartment(id: "c", size: 1)
        Species(id: "A", compartment: "c", initial: .concentration(10))
        Parameter(id: "k", value: 0.4)
        Reaction(id: "R1", reactants: [SpeciesReference("A")], rate: "c" * "k" * "A")
        Event(id: "refill", trigger: .apply(.lt, ["A", 1]), assignments: [EventAssignment(variable: "A", math: 10)])
    }

    /// Robertson's stiff chemical kinetics, as in SUNDIALS' cvRoberts_dns example.
    static let robertson = Model("robertson") {
        Compartment(id: "c", size: 1)
        Species(id: "y1", compartment: "c", initial: .concentration(1))
        Species(id: "y2", compartment: "c", initial: .concentration(0))
        Species(id: "y3", compartment: "c", initial: .concentration(0))
        Parameter(id: "k1", value: 0.04)
        Parameter(id: "k2", value: 1e4)
        Parameter(id: "k3", value: 3e7)
        Reaction(id: "r1", reactants: [SpeciesReference("y1")], products: [SpeciesReference("y2")], rate: "k1" * "y1")
        Reaction(
            id: "r2", reactants: [SpeciesReference("y2"), SpeciesReference("y3")],
            products: [SpeciesReference("y1"), SpeciesReference("y3")], rate: "k2" * "y2" * "y3")
        Reaction(
            id: "r3", reactants: [SpeciesReference("y2", 2)], products: [SpeciesReference("y2"), SpeciesReference("y3")],
            rate: "k3" * "y2" * "y2")
    }

    /// A nonlinear model exercising most operators, rules and functions, for Jacobian checks.
    static let kitchenSink = Model("kitchen") {
        Compartment(id: "c", size: 1.5)
        Species(id: "S", compartment: "c", initial: .concentration(2))
        Species(id: "P", compartment: "c", initial: .concentration(0.5))
        Species(id: "E", compartment: "c", initial: .concentration(0.3))
        Species(id: "Q", compartment: "c", initial: .amount(0.7), hasOnlySubstanceUnits: true)
        Parameter(id: "Vm", value: 1.2)
        Parameter(id: "Km", value: 0.4)
        Parameter(id: "n", value: 2.5)
        Parameter(id: "x", value: nil, constant: false)
        Parameter(id: "z", value: 0.1, constant: false)
        FunctionDefinition(id: "hill", arguments: ["a", "K", "h"], body: .pow("a", "h") / (.pow("K", "h") + .pow("a", "h")))
        Rule.assignment(variable: "x", math: .fn(.exp, -0.3 * "S") + .fn(.sqrt, "P" + 1) + .fn(.sin, "E"))
        Rule.rate(variable: "z", math: .fn(.ln, 1 + "S") - 0.2 * "z" + .fn(.tanh, "P"))
        Reaction(
            id: "v1", reactants: [SpeciesReference("S")], products: [SpeciesReference("P")], modifiers: ["E"],
            rate: "c" * "Vm" * "E" * .call("hill", ["S", "Km", "n"]))
        Reaction(
            id: "v2", reactants: [SpeciesReference("P")], products: [SpeciesReference("S")],
            rate: "c" * 0.3 * "P" / (1 + "x" * "x") + "c" * .fn(.max, 0.01 * "P", 0.02 * "S"))
        Reaction(
            id: "v3", reactants: [SpeciesReference("Q")], products: [SpeciesReference("E", 0.5)],
            rate: 0.2 * "Q" * .fn(.abs, "S" - "P") + 0.05 * .pow("Q", 1.5) + "Q" * .fn(.log10, 2 + "z"))
        Reaction(id: "v4", reactants: [SpeciesReference("E")], rate: "c" * "E" * .fn(.atan, "S") * .fn(.cosh, 0.1 * "P"))
    }

    /// A stiff linear chain X0 → X1 → ... → X(n-1) with rates spread over six decades and a
    /// reverse step, whose Jacobian is sparse.
    static func chain(_ n: Int) -> Model {
        var m = Model(id: "chain\(n)")
        m.compartments = [Compartment(id: "c", size: 1)]
        for i in 0 ..< n {
            m.species.append(Species(id: "X\(i)", compartment: "c", initial: .concentration(i == 0 ? 1 : 0)))
        }
        for i in 0 ..< n - 1 {
            let k = pow(10.0, -2 + 6 * Double(i) / Double(max(1, n - 2)))
            m.parameters.append(Parameter(id: "k\(i)", value: k))
            m.reactions.append(
                Reaction(
                    id: "f\(i)", reactants: [SpeciesReference("X\(i)")], products: [SpeciesReference("X\(i + 1)")],
                    rate: .symbol("k\(i)") * .symbol("X\(i)")))
        }
        m.parameters.append(Parameter(id: "kr", value: 0.5))
        m.reactions.append(
            Reaction(
                id: "back", reactants: [SpeciesReference("X\(n - 1)")], products: [SpeciesReference("X0")],
                rate: .symbol("kr") * .symbol("X\(n - 1)")))
        return m
    }
}
