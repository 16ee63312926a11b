import CascadeCore
import CascadeFormats
import XCTest

/// Reading SBML components from small hand-written documents, Level 3 and Level 2.
final class SBMLReaderTests: XCTestCase {
    typealias S = SBMLTestSupport

    func testCompartmentsLevel3() throws {
        let m = try SBML.read(
            string: S.l3v2(
                """
                <listOfCompartments>
                  <compartment id="cell" name="Cell" size="2.5" spatialDimensions="3" units="litre" constant="true"/>
                  <compartment id="membrane" spatialDimensions="2" constant="false"/>
                </listOfCompartments>
                """))
        XCTAssertEqual(m.id, "m")
        XCTAssertEqual(
            m.compartments,
            [
                Compartment(id: "cell", name: "Cell", size: 2.5, spatialDimensions: 3, constant: true, units: "litre"),
                // Level 3 has no default size.
                Compartment(id: "membrane", size: nil, spatialDimensions: 2, constant: false),
            ])
    }

    func testCompartmentsLevel2Defaults() throws {
        let m = try SBML.read(
            string: S.l2(
                4,
                """
                <listOfCompartments>
                  <compartment id="cell" size="1"/>
                  <compartment id="point" spatialDimensions="0"/>
                </listOfCompartments>
                """))
        // Level 2: spatialDimensions defaults to 3, constant to true, size has no default.
        XCTAssertEqual(
            m.compartments,
            [
                Compartment(id: "cell", size: 1, spatialDimensions: 3, constant: true),
                Compartment(id: "point", size: nil, spatialDimensions: 0, constant: true),
            ])
    }

    func testSpecies() throws {
        let m = try SBML.read(
            string: S.l3v2(
                """
                <listOfCompartments><compartment id="c" size="1" constant="true"/></listOfCompartments>
                <listOfSpecies>
                  <species id="A" name="Alpha" compartment="c" initialAmount="1.5" substanceUnits="mole"
                           hasOnlySubstanceUnits="true" boundaryCondition="false" constant="false" conversionFactor="cf"/>
                  <species id="B" compartment="c" initialConcentration="1e-3" hasOnlySubstanceUnits="false"
                           boundaryCondition="true" constant="true"/>
                  <species id="C" compartment="c" hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/>
                </listOfSpecies>
                <listOfParameters><parameter id="cf" value="2" constant="true"/></listOfParameters>
                """, modelAttributes: "conversionFactor=\"cf\" substanceUnits=\"mole\" timeUnits=\"second\" volumeUnits=\"litre\" extentUnits=\"mole\""))
        XCTAssertEqual(
            m.species,
            [
                Species(
                    id: "A", compartment: "c", initial: .amount(1.5), name: "Alpha", hasOnlySubstanceUnits: true,
                    conversionFactor: "cf", units: "mole"),
                Species(id: "B", compartment: "c", initial: .concentration(0.001), boundaryCondition: true, constant: true),
                Species(id: "C", compartment: "c", initial: nil),
            ])
        XCTAssertEqual(m.conversionFactor, "cf")
        XCTAssertEqual(m.substanceUnits, "mole")
        XCTAssertEqual(m.timeUnits, "second")
        XCTAssertEqual(m.volumeUnits, "litre")
        XCTAssertEqual(m.extentUnits, "mole")
    }

    func testSpeciesLevel2Defaults() throws {
        let m = try SBML.read(
            string: S.l2(
                4,
                """
                <listOfCompartments><compartment id="c" size="1"/></listOfCompartments>
                <listOfSpecies><species id="A" compartment="c" initialConcentration="3" charge="1"/></listOfSpecies>
                """))
        XCTAssertEqual(m.species, [Species(id: "A", compartment: "c", initial: .concentration(3))])
    }

    func testSpeciesWithBothInitialValuesIsAnError() {
        let e = S.sbmlError {
            _ = try SBML.read(
                string: S.l3v2(
                    """
                    <listOfSpecies><species id="A" compartment="c" initialAmount="1" initialConcentration="1"
                      hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/></listOfSpecies>
                    """))
        }
        XCTAssertEqual(e?.kind, .invalid)
        XCTAssertEqual(e?.elementId, "A")
    }

    func testParameters() throws {
        let m = try SBML.read(
            string: S.l3v2(
                """
                <listOfParameters>
                  <parameter id="k" name="rate" value="0.1" units="per_second" constant="true"/>
                  <parameter id="x" constant="false"/>
                  <parameter id="big" value="INF" constant="true"/>
                  <parameter id="small" value="-1.5E-300" constant="true"/>
                </listOfParameters>
                """))
        XCTAssertEqual(
            m.parameters,
            [
                Parameter(id: "k", value: 0.1, constant: true, name: "rate", units: "per_second"),
                Parameter(id: "x", value: nil, constant: false),
                Parameter(id: "big", value: .infinity),
                Parameter(id: "small", value: -1.5e-300),
            ])
        // Level 2: constant defaults to true.
        let l2 = try SBML.read(string: S.l2(3, #"<listOfParameters><parameter id="k" value="2"/></listOfParameters>"#))
        XCTAssertEqual(l2.parameters, [Parameter(id: "k", value: 2, constant: true)])
    }

    func testUnitDefinitions() throws {
        let m = try SBML.read(
            string: S.l3v2(
                """
                <listOfUnitDefinitions>
                  <unitDefinition id="per_uM_s">
                    <listOfUnits>
                      <unit kind="mole" exponent="-1" scale="-6" multiplier="1"/>
                      <unit kind="litre" exponent="1" scale="0" multiplier="1"/>
                      <unit kind="second" exponent="-1" scale="0" multiplier="60"/>
                    </listOfUnits>
                  </unitDefinition>
                </listOfUnitDefinitions>
                """))
        XCTAssertEqual(
            m.unitDefinitions,
            [
                UnitDefinition(
                    id: "per_uM_s",
                    factors: [
                        .init(kind: "mole", exponent: -1, scale: -6), .init(kind: "litre"),
                        .init(kind: "second", exponent: -1, multiplier: 60),
                    ])
            ])
    }

    func testReactionLevel3() throws {
        let m = try SBML.read(
            string: S.l3v2(
                """
                <listOfReactions>
                  <reaction id="R1" name="binding" reversible="true" compartment="c">
                    <listOfReactants>
                      <speciesReference species="A" stoichiometry="2" constant="true"/>
                      <speciesReference id="sB" species="B" stoichiometry="1" constant="false"/>
                    </listOfReactants>
                    <listOfProducts>
                      <speciesReference species="C" constant="true"/>
                    </listOfProducts>
                    <listOfModifiers>
                      <modifierSpeciesReference species="E"/>
                    </listOfModifiers>
                    <kineticLaw>
                      \(S.math("<apply><times/><ci> k </ci><ci>A</ci><ci>E</ci></apply>"))
                      <listOfLocalParameters>
                        <localParameter id="k" value="3" units="per_second"/>
                      </listOfLocalParameters>
                    </kineticLaw>
                  </reaction>
                </listOfReactions>
                """))
        XCTAssertEqual(
            m.reactions,
            [
                Reaction(
                    id: "R1",
                    reactants: [SpeciesReference("A", 2), SpeciesReference("B", 1, id: "sB", constant: false)],
                    // A Level 3 species reference without a stoichiometry gets 1.
                    products: [SpeciesReference("C", 1)],
                    modifiers: ["E"],
                    rate: .apply(.mul, ["k", "A", "E"]),
                    reversible: true, name: "binding",
                    localParameters: [Parameter(id: "k", value: 3, units: "per_second")],
                    compartment: "c")
            ])
    }

    func testReactionFastInLevel3Version1AndMissingKineticLaw() throws {
        let m = try SBML.read(
            string: S.l3v1(
                """
                <listOfReactions>
                  <reaction id="R1" reversible="false" fast="true">
                    <listOfReactants><speciesReference species="A" stoichiometry="1" constant="true"/></listOfReactants>
                  </reaction>
                </listOfReactions>
                """))
        XCTAssertEqual(m.reactions.first?.fast, true)
        XCTAssertEqual(m.reactions.first?.reversible, false)
        // No kinetic law: rate 0.
        XCTAssertEqual(m.reactions.first?.rate, .number(0))
    }

    func testReactionLevel2KineticLawParametersAndDefaults() throws {
        let m = try SBML.read(
            string: S.l2(
                4,
                """
                <listOfReactions>
                  <reaction id="R1">
                    <listOfReactants><speciesReference species="A"/></listOfReactants>
                    <listOfProducts><speciesReference species="B" stoichiometry="3"/></listOfProducts>
                    <kineticLaw>
                      \(S.math("<apply><times/><ci>k</ci><ci>A</ci></apply>"))
                      <listOfParameters><parameter id="k" value="0.5"/></listOfParameters>
                    </kineticLaw>
                  </reaction>
                </listOfReactions>
                """))
        let r = try XCTUnwrap(m.reactions.first)
        XCTAssertTrue(r.reversible, "Level 2 reactions are reversible unless they say otherwise")
        XCTAssertFalse(r.fast)
        XCTAssertEqual(r.reactants, [SpeciesReference("A", 1)])
        XCTAssertEqual(r.products, [SpeciesReference("B", 3)])
        XCTAssertEqual(r.localParameters, [Parameter(id: "k", value: 0.5)])
        XCTAssertEqual(r.rate, .apply(.mul, ["k", "A"]))
    }

    func testLevel2StoichiometryMathBecomesAnAssignmentRule() throws {
        let m = try SBML.read(
            string: S.l2(
                3,
                """
                <listOfReactions>
                  <reaction id="R1" reversible="false">
                    <listOfReactants>
                      <speciesReference species="A">
                        <stoichiometryMath>\(S.math("<apply><times/><cn>2</cn><ci>n</ci></apply>"))</stoichiometryMath>
                      </speciesReference>
                      <speciesReference species="B">
                        <stoichiometryMath>\(S.math("<cn> 4 </cn>"))</stoichiometryMath>
                      </speciesReference>
                      <speciesReference id="named" species="C">
                        <stoichiometryMath>\(S.math("<ci>n</ci>"))</stoichiometryMath>
                      </speciesReference>
                    </listOfReactants>
                    <kineticLaw>\(S.math("<cn>1</cn>"))</kineticLaw>
                  </reaction>
                </listOfReactions>
                """))
        let r = try XCTUnwrap(m.reactions.first)
        XCTAssertEqual(
            r.reactants,
            [
                SpeciesReference("A", 1, id: "R1_A_stoichiometry", constant: false),
                SpeciesReference("B", 4),  // a constant stoichiometryMath is just a stoichiometry
                SpeciesReference("C", 1, id: "named", constant: false),
            ])
        XCTAssertEqual(
            m.rules,
            [
                .assignment(variable: "R1_A_stoichiometry", math: .apply(.mul, [2, "n"])),
                .assignment(variable: "named", math: "n"),
            ])
    }

    func testFunctionDefinitionsAndCalls() throws {
        let m = try SBML.read(
            string: S.l3v2(
                """
                <listOfFunctionDefinitions>
                  <functionDefinition id="hill">
                    \(S.math("""
                  <lambda>
                    <bvar><ci> x </ci></bvar><bvar><ci>K</ci></bvar>
                    <apply><divide/><ci>x</ci><apply><plus/><ci>K</ci><ci>x</ci></apply></apply>
                  </lambda>
                  """))
                  </functionDefinition>
                  <functionDefinition id="empty"/>
                </listOfFunctionDefinitions>
                <listOfRules>
                  <assignmentRule variable="y">\(S.math("<apply><ci> hill </ci><ci>S</ci><cn>2</cn></apply>"))</assignmentRule>
                </listOfRules>
                """))
        // A function definition without math has no effect and is left out.
        XCTAssertEqual(
            m.functions,
            [
                FunctionDefinition(
                    id: "hill", arguments: ["x", "K"],
                    body: .apply(.div, ["x", .apply(.add, ["K", "x"])]))
            ])
        XCTAssertEqual(m.rules, [.assignment(variable: "y", math: .call("hill", ["S", 2]))])
    }

    func testRulesAndInitialAssignments() throws {
        let m = try SBML.read(
            string: S.l3v2(
                """
                <listOfInitialAssignments>
                  <initialAssignment symbol="p">\(S.math("<apply><times/><cn>2</cn><ci>q</ci></apply>"))</initialAssignment>
                  <initialAssignment symbol="r"/>
                </listOfInitialAssignments>
                <listOfRules>
                  <assignmentRule variable="a">\(S.math("<ci>b</ci>"))</assignmentRule>
                  <rateRule variable="b">\(S.math("<cn>-1</cn>"))</rateRule>
                  <algebraicRule>\(S.math("<apply><minus/><ci>c</ci><cn>1</cn></apply>"))</algebraicRule>
                  <assignmentRule variable="d"/>
                </listOfRules>
                """))
        XCTAssertEqual(m.initialAssignments, [InitialAssignment(variable: "p", math: .apply(.mul, [2, "q"]))])
        XCTAssertEqual(
            m.rules,
            [
                .assignment(variable: "a", math: "b"),
                .rate(variable: "b", math: -1),
                .algebraic(math: .apply(.sub, ["c", 1])),
            ])
    }

    func testEventsLevel3() throws {
        let m = try SBML.read(
            string: S.l3v2(
                """
                <listOfEvents>
                  <event id="E1" name="pulse" useValuesFromTriggerTime="false">
                    <trigger initialValue="false" persistent="false">
                      \(S.math("<apply><geq/><csymbol encoding=\"text\" definitionURL=\"http://www.sbml.org/sbml/symbols/time\">t</csymbol><cn>10</cn></apply>"))
                    </trigger>
                    <priority>\(S.math("<cn>2</cn>"))</priority>
                    <delay>\(S.math("<ci>d</ci>"))</delay>
                    <listOfEventAssignments>
                      <eventAssignment variable="S">\(S.math("<cn>0</cn>"))</eventAssignment>
                      <eventAssignment variable="T"/>
                    </listOfEventAssignments>
                  </event>
                  <event useValuesFromTriggerTime="true">
                    <trigger initialValue="true" persistent="true"/>
                  </event>
                </listOfEvents>
                """))
        XCTAssertEqual(
            m.events,
            [
                Event(
                    id: "E1", trigger: .apply(.ge, [.time, 10]), assignments: [EventAssignment(variable: "S", math: 0)],
                    delay: "d", priority: 2, triggerInitialValue: false, persistent: false,
                    useValuesFromTriggerTime: false, name: "pulse"),
                // No id: one is generated from the position. No trigger math: it never fires.
                Event(id: "event2", trigger: 0, assignments: []),
            ])
    }

    func testEventsLevel2Defaults() throws {
        let m = try SBML.read(
            string: S.l2(
                4,
                """
                <listOfEvents>
                  <event>
                    <trigger>\(S.math("<apply><gt/><ci>S</ci><cn>1</cn></apply>"))</trigger>
                    <delay>\(S.math("<cn>5</cn>"))</delay>
                    <listOfEventAssignments>
                      <eventAssignment variable="S">\(S.math("<cn>0</cn>"))</eventAssignment>
                    </listOfEventAssignments>
                  </event>
                </listOfEvents>
                """))
        // Level 2 events behave as Level 3 events with initialValue and persistent true.
        XCTAssertEqual(
            m.events,
            [
                Event(
                    id: "event1", trigger: .apply(.gt, ["S", 1]),
                    assignments: [EventAssignment(variable: "S", math: 0)], delay: 5,
                    triggerInitialValue: true, persistent: true, useValuesFromTriggerTime: true)
            ])
    }

    func testGeneratedEventIdAvoidsDeclaredIds() throws {
        let m = try SBML.read(
            string: S.l3v2(
                """
                <listOfParameters><parameter id="event1" value="1" constant="false"/></listOfParameters>
                <listOfEvents>
                  <event useValuesFromTriggerTime="true">
                    <trigger initialValue="true" persistent="true">\(S.math("<true/>"))</trigger>
                  </event>
                </listOfEvents>
                """))
        XCTAssertEqual(m.events.map(\.id), ["event1_2"])
    }

    func testAllLevel2VersionsAndLevel3Version1Read() throws {
        for version in 1 ... 5 {
            let m = try SBML.read(
                string: S.l2(
                    version,
                    """
                    <listOfCompartments><compartment id="c" size="1"/></listOfCompartments>
                    """))
            XCTAssertEqual(m.compartments.count, 1, "L2V\(version)")
        }
        XCTAssertEqual(try SBML.read(string: S.l3v1("<listOfParameters/>")).id, "m")
    }

    func testNotesAnnotationsAndIgnorableElementsAreSkipped() throws {
        let m = try SBML.read(
            string: S.l2(
                4,
                """
                <notes><body xmlns="http://www.w3.org/1999/xhtml"><p>hello <b>world</b></p></body></notes>
                <annotation><foo:bar xmlns:foo="urn:foo"><foo:baz/></foo:bar></annotation>
                <listOfCompartmentTypes><compartmentType id="ct"/></listOfCompartmentTypes>
                <listOfConstraints><constraint>\(S.math("<true/>"))</constraint></listOfConstraints>
                <listOfParameters>
                  <parameter metaid="meta_k" sboTerm="SBO:0000002" id="k" value="1">
                    <annotation><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></annotation>
                  </parameter>
                </listOfParameters>
                """))
        XCTAssertEqual(m.parameters, [Parameter(id: "k", value: 1)])
    }

    func testPackageNamespaceDeclaredButUnusedIsFine() throws {
        // As in Armistead_CellDeathDis2024: comp is declared and required, but nothing uses it.
        let xml = """
            <sbml xmlns="http://www.sbml.org/sbml/level3/version2/core"
                  xmlns:comp="http://www.sbml.org/sbml/level3/version1/comp/version1" level="3" version="2" comp:required="true">
              <model id="m"><listOfParameters><parameter id="k" value="1" constant="true"/></listOfParameters></model>
            </sbml>
            """
        XCTAssertEqual(try SBML.read(string: xml).parameters.count, 1)
    }

    func testLayoutPackageIsSkipped() throws {
        let xml = """
            <sbml xmlns="http://www.sbml.org/sbml/level3/version1/core"
                  xmlns:layout="http://www.sbml.org/sbml/level3/version1/layout/version1" level="3" version="1" layout:required="false">
              <model id="m">
                <listOfParameters><parameter id="k" value="1" constant="true"/></listOfParameters>
                <layout:listOfLayouts><layout:layout layout:id="l"/></layout:listOfLayouts>
              </model>
            </sbml>
            """
        XCTAssertEqual(try SBML.read(string: xml).parameters.count, 1)
    }

    func testReadFromFileAndValidated() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sbml-reader-test-\(UUID().uuidString).xml")
        defer { try? FileManager.default.removeItem(at: url) }
        try S.l3v2(
            """
            <listOfCompartments><compartment id="c" size="1" constant="true"/></listOfCompartments>
            <listOfSpecies><species id="A" compartment="c" initialAmount="1" hasOnlySubstanceUnits="false"
              boundaryCondition="false" constant="false"/></listOfSpecies>
            """
        ).write(to: url, atomically: true, encoding: .utf8)
        XCTAssertEqual(try SBML.readValidated(contentsOf: url).species.count, 1)
        try S.l3v2(
            """
            <listOfSpecies><species id="A" compartment="nowhere" initialAmount="1" hasOnlySubstanceUnits="false"
              boundaryCondition="false" constant="false"/></listOfSpecies>
            """
        ).write(to: url, atomically: true, encoding: .utf8)
        XCTAssertNoThrow(try SBML.read(contentsOf: url), "reading alone does not validate")
        XCTAssertThrowsError(try SBML.readValidated(contentsOf: url)) { XCTAssertTrue($0 is ModelErrors) }
    }
}
