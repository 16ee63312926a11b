import CascadeCore
import CascadeFormats
import CascadeSolver
import Foundation
import XCTest

/// Hierarchical models (SBML comp): flattening into one core model, checked on the flattened
/// structure and on simulations against closed forms. The SBML Test Suite's comp cases run
/// through `cascade sbml-suite`.
final class SBMLCompTests: XCTestCase {
    typealias S = SBMLTestSupport

    static let header = """
        <?xml version="1.0" encoding="UTF-8"?>
        <sbml xmlns="http://www.sbml.org/sbml/level3/version2/core"
              xmlns:comp="http://www.sbml.org/sbml/level3/version1/comp/version1" level="3" version="2" comp:required="true">
        """

    /// A module: S (amount 10) decays at rate k·S; t1 follows time; p0 is a constant 7.
    static let decayBody = """
          <listOfCompartments><compartment id="c" size="1" constant="true"/></listOfCompartments>
          <listOfSpecies>
            <species id="S" compartment="c" initialAmount="10" hasOnlySubstanceUnits="true" boundaryCondition="false" constant="false"/>
          </listOfSpecies>
          <listOfParameters>
            <parameter id="k" value="1" constant="true"/>
            <parameter id="p0" value="7" constant="true"/>
            <parameter id="t1" constant="false"/>
          </listOfParameters>
          <listOfRules>
            <assignmentRule variable="t1"><math xmlns="http://www.w3.org/1998/Math/MathML"><csymbol encoding="text" definitionURL="http://www.sbml.org/sbml/symbols/time">time</csymbol></math></assignmentRule>
          </listOfRules>
          <listOfReactions>
            <reaction id="R" reversible="false">
              <listOfReactants><speciesReference species="S" stoichiometry="1" constant="true"/></listOfReactants>
              <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML"><apply><times/><ci>k</ci><ci>S</ci></apply></math></kineticLaw>
            </reaction>
          </listOfReactions>
          <comp:listOfPorts><comp:port comp:id="rate" comp:idRef="k"/></comp:listOfPorts>
        """

    /// Three instances of the module: A with k replaced through its port by kA = 0.5 and p0
    /// replacing the top's `shared`; B with time running at half speed and k replaced by kB = 2
    /// with conversion factor 4 (so B sees k = 0.5); C with its reaction deleted.
    static let top =
        header + """
              <model id="top">
                <listOfParameters>
                  <parameter id="kA" value="0.5" constant="true">
                    <comp:listOfReplacedElements><comp:replacedElement comp:submodelRef="A" comp:portRef="rate"/></comp:listOfReplacedElements>
                  </parameter>
                  <parameter id="kB" value="2" constant="true">
                    <comp:listOfReplacedElements>
                      <comp:replacedElement comp:submodelRef="B" comp:idRef="k" comp:conversionFactor="f"/>
                    </comp:listOfReplacedElements>
                  </parameter>
                  <parameter id="f" value="4" constant="true"/>
                  <parameter id="half" value="2" constant="true"/>
                  <parameter id="shared" value="1" constant="true">
                    <comp:replacedBy comp:submodelRef="A" comp:idRef="p0"/>
                  </parameter>
                </listOfParameters>
                <comp:listOfSubmodels>
                  <comp:submodel comp:id="A" comp:modelRef="decay"/>
                  <comp:submodel comp:id="B" comp:modelRef="decay" comp:timeConversionFactor="half"/>
                  <comp:submodel comp:id="C" comp:modelRef="decay">
                    <comp:listOfDeletions><comp:deletion comp:idRef="R"/></comp:listOfDeletions>
                  </comp:submodel>
                </comp:listOfSubmodels>
              </model>
              <comp:listOfModelDefinitions>
                <comp:modelDefinition id="decay">
            """ + decayBody + """
                </comp:modelDefinition>
              </comp:listOfModelDefinitions>
            </sbml>
            """

    func testFlattenedStructure() throws {
        let m = try SBML.read(string: Self.top)
        try m.validate()
        XCTAssertEqual(m.species.map(\.id), ["A__S", "B__S", "C__S"])
        XCTAssertEqual(m.compartments.map(\.id), ["A__c", "B__c", "C__c"])
        XCTAssertEqual(m.reactions.map(\.id), ["A__R", "B__R"])
        // Replaced parameters are gone; the replacedBy survivor keeps the top's id and the module's value.
        let ids = Set(m.parameters.map(\.id))
        XCTAssertFalse(ids.contains("A__k") || ids.contains("B__k") || ids.contains("A__p0"))
        XCTAssertTrue(ids.isSuperset(of: ["kA", "kB", "C__k", "B__p0", "A__t1", "B__t1"]))
        XCTAssertEqual(m.parameter("shared")?.value, 7)
        XCTAssertEqual(m.reaction("A__R")?.rate, .apply(.mul, [.symbol("kA"), .symbol("A__S")]))
        XCTAssertEqual(m.reaction("A__R")?.reactants.map(\.species), ["A__S"])
        XCTAssertEqual(m.species("B__S")?.compartment, "B__c")
    }

    func testFlattenedModelSimulatesTheComposition() throws {
        let m = try SBML.read(string: Self.top)
        let times = [0.0, 1, 2.5, 4]
        let sim = try Simulator(try CompiledModel(m), options: SolverOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-12))
        let outputs = ["A__S", "B__S", "C__S", "B__t1", "shared"].map { OutputColumn($0) }
        let traj = try sim.simulate(times: times, outputs: outputs)
        for (i, t) in times.enumerated() {
            XCTAssertEqual(traj[i, 0], 10 * exp(-0.5 * t), accuracy: 1e-7, "A__S(\(t))")
            // B: k = kB / f = 0.5 in B's time, which runs at time / 2.
            XCTAssertEqual(traj[i, 1], 10 * exp(-0.25 * t), accuracy: 1e-7, "B__S(\(t))")
            XCTAssertEqual(traj[i, 2], 10, accuracy: 1e-12, "C__S(\(t))")
            XCTAssertEqual(traj[i, 3], t / 2, accuracy: 1e-12, "B__t1(\(t))")
            XCTAssertEqual(traj[i, 4], 7)
        }
    }

    /// A species replaced with a conversion factor f: the module's math reads `s / f`, and its
    /// reaction changes the survivor by the rate itself, stoichiometry unscaled (the module's
    /// extent is converted by `extentConversionFactor` alone; SBML Test Suite case 01778).
    /// Module: ∅ → S at rate 10 / S, so the top's s obeys s' = 10 f / s, s(t) = √(s0² + 20 f t).
    func testASpeciesConversionFactorConvertsReferencesNotStoichiometry() throws {
        let doc =
            Self.header + """
                  <model id="top">
                    <listOfCompartments><compartment id="C" size="1" constant="true"/></listOfCompartments>
                    <listOfSpecies>
                      <species id="s" compartment="C" initialAmount="2" hasOnlySubstanceUnits="true" boundaryCondition="false" constant="false">
                        <comp:listOfReplacedElements>
                          <comp:replacedElement comp:submodelRef="M" comp:idRef="S" comp:conversionFactor="f"/>
                        </comp:listOfReplacedElements>
                      </species>
                    </listOfSpecies>
                    <listOfParameters><parameter id="f" value="10" constant="true"/></listOfParameters>
                    <comp:listOfSubmodels><comp:submodel comp:id="M" comp:modelRef="source"/></comp:listOfSubmodels>
                  </model>
                  <comp:listOfModelDefinitions>
                    <comp:modelDefinition id="source">
                      <listOfCompartments><compartment id="c" size="1" constant="true"/></listOfCompartments>
                      <listOfSpecies>
                        <species id="S" compartment="c" initialAmount="1" hasOnlySubstanceUnits="true" boundaryCondition="false" constant="false"/>
                      </listOfSpecies>
                      <listOfReactions>
                        <reaction id="J" reversible="false">
                          <listOfProducts><speciesReference species="S" stoichiometry="1" constant="true"/></listOfProducts>
                          <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML"><apply><divide/><cn>10</cn><ci>S</ci></apply></math></kineticLaw>
                        </reaction>
                      </listOfReactions>
                    </comp:modelDefinition>
                  </comp:listOfModelDefinitions>
                </sbml>
                """
        let m = try SBML.read(string: doc)
        XCTAssertEqual(m.reaction("M__J")?.products.first?.stoichiometry, 1)
        let sim = try Simulator(try CompiledModel(m), options: SolverOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-12))
        let times = [0.0, 0.1, 0.5, 1]
        let traj = try sim.simulate(times: times, outputs: [OutputColumn("s")])
        for (i, t) in times.enumerated() { XCTAssertEqual(traj[i, 0], (4 + 200 * t).squareRoot(), accuracy: 1e-7, "s(\(t))") }
    }

    func testExternalModelDefinitionIsReadFromTheFileBesideTheModel() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cascade-comp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let library = Self.header + "<model id=\"decay\">" + Self.decayBody + "</model></sbml>"
        try library.write(to: dir.appendingPathComponent("library.xml"), atomically: true, encoding: .utf8)
        let main =
            Self.header + """
                  <model id="top">
                    <comp:listOfSubmodels><comp:submodel comp:id="X" comp:modelRef="lib"/></comp:listOfSubmodels>
                  </model>
                  <comp:listOfExternalModelDefinitions>
                    <comp:externalModelDefinition comp:id="lib" comp:source="library.xml" comp:modelRef="decay"/>
                  </comp:listOfExternalModelDefinitions>
                </sbml>
                """
        let url = dir.appendingPathComponent("main.xml")
        try main.write(to: url, atomically: true, encoding: .utf8)
        let m = try SBML.read(contentsOf: url)
        XCTAssertEqual(m.species.map(\.id), ["X__S"])
        XCTAssertEqual(m.reaction("X__R")?.rate, .apply(.mul, [.symbol("X__k"), .symbol("X__S")]))

        try FileManager.default.removeItem(at: dir.appendingPathComponent("library.xml"))
        let e = S.sbmlError { _ = try SBML.read(contentsOf: url) }
        XCTAssertEqual(e?.kind, .invalid)
        XCTAssertEqual(e?.path, url.path)
        XCTAssertEqual(e?.line, 7)
        XCTAssertTrue(e?.message.contains("cannot read the external model file") ?? false, e?.message ?? "")
    }

    func testBadReferencesAreLocatedErrors() {
        let missing = S.sbmlError { _ = try SBML.read(string: Self.top.replacingOccurrences(of: "comp:portRef=\"rate\"", with: "comp:portRef=\"nope\"")) }
        XCTAssertEqual(missing?.kind, .invalid)
        XCTAssertEqual(missing?.line, 6)
        XCTAssertEqual(missing?.message, "model 'decay' has no port 'nope'")

        let cycle =
            Self.header + """
                  <model id="top"><comp:listOfSubmodels><comp:submodel comp:id="A" comp:modelRef="loop"/></comp:listOfSubmodels></model>
                  <comp:listOfModelDefinitions>
                    <comp:modelDefinition id="loop">
                      <comp:listOfSubmodels><comp:submodel comp:id="B" comp:modelRef="loop"/></comp:listOfSubmodels>
                    </comp:modelDefinition>
                  </comp:listOfModelDefinitions>
                </sbml>
                """
        let e = S.sbmlError { _ = try SBML.read(string: cycle) }
        XCTAssertEqual(e?.kind, .invalid)
        XCTAssertEqual(e?.message, "model definition 'loop' contains itself through its submodels")
    }
}
