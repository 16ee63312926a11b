import CascadeCore
import XCTest

/// The DSL and its motifs produce the same IR as writing reactions by hand.
final class DSLTests: XCTestCase {
    func testBindingExpandsToOneReversibleReaction() {
        let m = Model("b") {
            Compartment(id: "c", size: 2)
            Binding("L", "R", complex: "LR", kon: "kon", koff: "koff", in: "c")
        }
        XCTAssertEqual(m.reactions.count, 1)
        let r = m.reactions[0]
        XCTAssertEqual(r.id, "LR_binding")
        XCTAssertEqual(r.reactants, [SpeciesReference("L"), SpeciesReference("R")])
        XCTAssertEqual(r.products, [SpeciesReference("LR")])
        XCTAssertTrue(r.reversible)
        XCTAssertEqual(r.rate, "c" * ("kon" * "L" * "R" - "koff" * "LR"))
    }

    func testMichaelisMentenCycle() {
        let m = Model("mm") {
            PhosphorylationCycle("K", "Kp", kinase: "E", phosphatase: "P", kcat: "kc", km: "Km", kcatP: "kp", kmP: "KmP", in: "c")
        }
        XCTAssertEqual(m.reactions.map(\.id), ["K_phos", "K_dephos"])
        XCTAssertEqual(m.reactions[0].modifiers, ["E"])
        XCTAssertEqual(m.reactions[0].rate, "c" * "kc" * "E" * "K" / ("Km" + "K"))
    }

    func testElementaryCycleAddsComplexes() {
        let m = Model("el") {
            PhosphorylationCycle(
                "K", "Kp", kinase: "E", phosphatase: "P", kcat: 1, km: 2, kcatP: 3, kmP: 4, in: "c",
                mechanism: .elementary(koff: 0.5))
        }
        XCTAssertEqual(m.reactions.count, 4)
        XCTAssertEqual(Set(m.species.map(\.id)), ["K_E", "Kp_P"])
    }

    func testHillMotifs() {
        let m = Model("h") {
            HillActivation("X", by: "A", vmax: "v", k: "K", n: 2, in: "c")
            HillInhibition("Y", by: "I", vmax: "v", k: "K", n: 3, in: "c")
        }
        XCTAssertEqual(m.reactions.map(\.id), ["X_by_A", "Y_inhibited_by_I"])
        XCTAssertEqual(m.reactions[1].rate, "c" * "v" * .pow("K", 3) / (.pow("K", 3) + .pow("I", 3)))
    }

    func testConditionalComponents() {
        let withFeedback = true
        let m = Model("cond") {
            Compartment(id: "c")
            if withFeedback { Parameter(id: "kf", value: 1) }
            for i in 0 ..< 3 { Species(id: "S\(i)", compartment: "c") }
        }
        XCTAssertEqual(m.parameters.map(\.id), ["kf"])
        XCTAssertEqual(m.species.count, 3)
    }
}
