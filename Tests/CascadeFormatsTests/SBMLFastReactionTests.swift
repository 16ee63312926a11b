import CascadeCore
import CascadeFormats
import CascadeSolver
import Foundation
import XCTest

/// Fast reactions read from SBML Level 3 Version 1 and Level 2 Version 4 (`fast="true"`) and
/// simulated as their equilibrium, against the closed form: A ⇌ B fast with K = kf/kr = 3, slow
/// degradation of B (kd = 0.3), so the total decays as T0·exp(−kd·K/(1 + K)·t).
final class SBMLFastReactionTests: XCTestCase {
    func document(level: Int, version: Int) -> String {
        let ns = level == 3 ? "http://www.sbml.org/sbml/level3/version\(version)/core" : "http://www.sbml.org/sbml/level2/version\(version)"
        let l3 = level == 3
        let speciesAttributes = l3 ? #"hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false""# : ""
        let reference = l3 ? #"stoichiometry="1" constant="true""# : ""
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <sbml xmlns="\(ns)" level="\(level)" version="\(version)">
              <model id="binding">
                <listOfCompartments>
                  <compartment id="cell" size="2" \(l3 ? #"spatialDimensions="3" constant="true""# : "")/>
                </listOfCompartments>
                <listOfSpecies>
                  <species id="A" compartment="cell" initialConcentration="1" \(speciesAttributes)/>
                  <species id="B" compartment="cell" initialConcentration="0.5" \(speciesAttributes)/>
                </listOfSpecies>
                <listOfParameters>
                  <parameter id="kf" value="6" \(l3 ? #"constant="true""# : "")/>
                  <parameter id="kr" value="2" \(l3 ? #"constant="true""# : "")/>
                  <parameter id="kd" value="0.3" \(l3 ? #"constant="true""# : "")/>
                </listOfParameters>
                <listOfReactions>
                  <reaction id="bind" reversible="true" fast="true">
                    <listOfReactants><speciesReference species="A" \(reference)/></listOfReactants>
                    <listOfProducts><speciesReference species="B" \(reference)/></listOfProducts>
                    <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
                      <apply><times/><ci>cell</ci><apply><minus/>
                        <apply><times/><ci>kf</ci><ci>A</ci></apply>
                        <apply><times/><ci>kr</ci><ci>B</ci></apply>
                      </apply></apply>
                    </math></kineticLaw>
                  </reaction>
                  <reaction id="decay" reversible="false" \(l3 ? #"fast="false""# : "")>
                    <listOfReactants><speciesReference species="B" \(reference)/></listOfReactants>
                    <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
                      <apply><times/><ci>cell</ci><ci>kd</ci><ci>B</ci></apply>
                    </math></kineticLaw>
                  </reaction>
                </listOfReactions>
              </model>
            </sbml>
            """
    }

    func testFastReactionsOfLevel3Version1AndLevel2Version4() throws {
        for (level, version) in [(3, 1), (2, 4)] {
            let model = try SBML.read(string: document(level: level, version: version))
            XCTAssertEqual(model.reactions.map(\.fast), [true, false])
            let times = [0.0, 1, 5]
            let traj = try Simulator(CompiledModel(model), options: SolverOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-12))
                .simulate(times: times, outputs: ["A", "B"].map { OutputColumn($0) })
            for (i, t) in times.enumerated() {
                let total = 1.5 * exp(-0.3 * 0.75 * t)
                XCTAssertEqual(traj[i, 0], total / 4, accuracy: 1e-9, "L\(level)V\(version) A(\(t))")
                XCTAssertEqual(traj[i, 1], total * 0.75, accuracy: 1e-9, "L\(level)V\(version) B(\(t))")
            }
        }
    }
}
