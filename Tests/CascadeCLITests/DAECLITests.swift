import Foundation
import XCTest

/// `cascade simulate` on a model with an algebraic rule that is not affine (integrated by IDA)
/// and an event on its algebraic variable: x' = −k·x, x² + y² = 1, x reset to 0.6 when y > 0.9.
final class DAECLITests: CLITestCase {
    func testSimulateADifferentialAlgebraicModel() throws {
        let model = dir.appendingPathComponent("circle.xml")
        try Self.sbml.write(to: model, atomically: true, encoding: .utf8)
        let r = try CLI.run(["simulate", model.path, "--end", "4", "--steps", "8", "--variables", "x,y", "--rtol", "1e-10", "--atol", "1e-12"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = r.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",").compactMap { Double($0) } }
        XCTAssertEqual(rows.count, 9, r.stdout)
        let period = log(0.6 / 0.19.squareRoot()) / 0.5
        for row in rows where row.count == 3 {
            let x = 0.6 * exp(-0.5 * row[0].truncatingRemainder(dividingBy: period))
            XCTAssertEqual(row[1], x, accuracy: 1e-7, "x(\(row[0]))")
            XCTAssertEqual(row[2], (1 - x * x).squareRoot(), accuracy: 1e-7, "y(\(row[0]))")
        }
    }

    func testInfoNamesTheAlgebraicStates() throws {
        let model = dir.appendingPathComponent("circle.xml")
        try Self.sbml.write(to: model, atomically: true, encoding: .utf8)
        let r = try CLI.run(["info", model.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("differential-algebraic (IDA): algebraic rules determine y\n"), r.stdout)
    }

    static let sbml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
          <model id="circle">
            <listOfParameters>
              <parameter id="k" value="0.5" constant="true"/>
              <parameter id="x" value="0.6" constant="false"/>
              <parameter id="y" constant="false"/>
            </listOfParameters>
            <listOfRules>
              <rateRule variable="x"><math xmlns="http://www.w3.org/1998/Math/MathML">
                <apply><times/><cn>-1</cn><ci>k</ci><ci>x</ci></apply></math></rateRule>
              <algebraicRule><math xmlns="http://www.w3.org/1998/Math/MathML">
                <apply><minus/><apply><plus/><apply><power/><ci>x</ci><cn>2</cn></apply>
                  <apply><power/><ci>y</ci><cn>2</cn></apply></apply><cn>1</cn></apply>
              </math></algebraicRule>
            </listOfRules>
            <listOfEvents>
              <event id="reset" useValuesFromTriggerTime="true">
                <trigger initialValue="false" persistent="true"><math xmlns="http://www.w3.org/1998/Math/MathML">
                  <apply><gt/><ci>y</ci><cn>0.9</cn></apply></math></trigger>
                <listOfEventAssignments><eventAssignment variable="x">
                  <math xmlns="http://www.w3.org/1998/Math/MathML"><cn>0.6</cn></math></eventAssignment></listOfEventAssignments>
              </event>
            </listOfEvents>
          </model>
        </sbml>
        """
}
