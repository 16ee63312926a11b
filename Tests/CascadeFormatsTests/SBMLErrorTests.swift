import CascadeCore
import CascadeFormats
import Foundation
import XCTest

/// Bad input gives an SBMLError that says where and why, and never traps.
final class SBMLErrorTests: XCTestCase {
    typealias S = SBMLTestSupport

    func testMalformedXMLReportsLineAndColumn() {
        let xml = """
            <?xml version="1.0"?>
            <sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
              <model id="m">
                <listOfParameters>
              </model>
            </sbml>
            """
        let e = S.sbmlError { _ = try SBML.read(string: xml, path: "broken.xml") }
        XCTAssertEqual(e?.kind, .malformedXML)
        XCTAssertEqual(e?.path, "broken.xml")
        XCTAssertEqual(e?.line, 5, "the end tag that does not match is on line 5")
        XCTAssertNotNil(e?.column)
        XCTAssertTrue(e?.description.hasPrefix("broken.xml:5:") ?? false, e?.description ?? "")
    }

    /// A text model given as SBML, or a directory given as a model, gets one sentence that says
    /// so (it was "the document is empty" and "NSCocoaErrorDomain error 256").
    func testTextFileAndDirectoryAreNamedAsSuch() throws {
        let text = S.sbmlError { _ = try SBML.read(string: "\n  model m\n  k = 1\nend\n", path: "m.xml") }
        XCTAssertEqual(text?.line, 2)
        XCTAssertEqual(text?.column, 3)
        XCTAssertTrue(text?.message.contains("not an XML document (it starts with 'model m')") ?? false, text?.message ?? "")

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cascade-dir-\(getpid()).xml")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let sbml = S.sbmlError { _ = try SBML.read(contentsOf: dir) }
        XCTAssertEqual(sbml?.message, "cannot read the file: it is a directory")
        do {
            _ = try Antimony.parse(contentsOf: dir)
            XCTFail("a directory parsed")
        } catch let e as SourceErrors {
            XCTAssertEqual(e.errors.map(\.message), ["cannot read the file: it is a directory"])
        }
    }

    func testOtherMalformedInputs() {
        let inputs = ["", "   ", "not xml at all", "<sbml", "<a b=1/>", "<a>&</a>", "<a></a><b/>", "<x:a/>"]
        for input in inputs {
            let e = S.sbmlError { _ = try SBML.read(string: input) }
            XCTAssertEqual(e?.kind, .malformedXML, input)
            XCTAssertNotNil(e?.line, input)
        }
        let bytes = Data([0x3C, 0x61, 0x3E, 0xFF, 0xFE, 0x3C, 0x2F, 0x61, 0x3E])
        XCTAssertEqual(S.sbmlError { _ = try SBML.read(data: bytes) }?.kind, .malformedXML)
    }

    func testNotSBML() {
        let html = S.sbmlError { _ = try SBML.read(string: "<html><body/></html>") }
        XCTAssertEqual(html?.kind, .notSBML)
        XCTAssertEqual(html?.line, 1)
        let wrongNamespace = S.sbmlError {
            _ = try SBML.read(string: "<sbml xmlns=\"urn:other\" level=\"3\" version=\"2\"><model/></sbml>")
        }
        XCTAssertEqual(wrongNamespace?.kind, .notSBML)
        let noModel = S.sbmlError {
            _ = try SBML.read(string: "<sbml xmlns=\"http://www.sbml.org/sbml/level3/version2/core\" level=\"3\" version=\"2\"/>")
        }
        XCTAssertEqual(noModel?.kind, .invalid)
    }

    func testUnsupportedLevelsAndMismatchedVersion() {
        let l1 = S.sbmlError {
            _ = try SBML.read(string: "<sbml xmlns=\"http://www.sbml.org/sbml/level1\" level=\"1\" version=\"2\"><model/></sbml>")
        }
        XCTAssertEqual(l1?.kind, .unsupportedVersion)
        let l3v3 = S.sbmlError {
            _ = try SBML.read(string: "<sbml xmlns=\"http://www.sbml.org/sbml/level3/version3/core\" level=\"3\" version=\"3\"><model/></sbml>")
        }
        XCTAssertEqual(l3v3?.kind, .unsupportedVersion)
        let mismatch = S.sbmlError {
            _ = try SBML.read(string: "<sbml xmlns=\"http://www.sbml.org/sbml/level3/version2/core\" level=\"3\" version=\"1\"><model/></sbml>")
        }
        XCTAssertEqual(mismatch?.kind, .invalid)
    }

    func testUnknownMathMLElementNamesTheElement() {
        let xml = S.l3v2(
            """
            <listOfReactions>
              <reaction id="R1" reversible="false">
                <kineticLaw>
                  <math xmlns="http://www.w3.org/1998/Math/MathML">
                    <apply><times/><ci>k</ci><bogus/></apply>
                  </math>
                </kineticLaw>
              </reaction>
            </listOfReactions>
            """)
        let e = S.sbmlError { _ = try SBML.read(string: xml, path: "m.xml") }
        XCTAssertEqual(e?.kind, .unsupportedConstruct)
        XCTAssertEqual(e?.elementId, "R1")
        XCTAssertEqual(e?.line, 8)
        XCTAssertTrue(e?.message.contains("<bogus>") ?? false, e?.message ?? "")
        XCTAssertTrue(e?.description.contains("'R1'") ?? false)
    }

    func testCompSubmodelWithoutDefinitionIsAnError() {
        let xml = """
            <sbml xmlns="http://www.sbml.org/sbml/level3/version2/core"
                  xmlns:comp="http://www.sbml.org/sbml/level3/version1/comp/version1" level="3" version="2" comp:required="true">
              <model id="top">
                <comp:listOfSubmodels>
                  <comp:submodel comp:id="A" comp:modelRef="inner"/>
                </comp:listOfSubmodels>
              </model>
            </sbml>
            """
        let e = S.sbmlError { _ = try SBML.read(string: xml) }
        XCTAssertEqual(e?.kind, .invalid)
        XCTAssertEqual(e?.elementId, "A")
        XCTAssertEqual(e?.line, 5)
        XCTAssertEqual(e?.message, "no model definition 'inner'")
    }

    func testFbcAttributeIsRejected() {
        let xml = """
            <sbml xmlns="http://www.sbml.org/sbml/level3/version1/core"
                  xmlns:fbc="http://www.sbml.org/sbml/level3/version1/fbc/version2" level="3" version="1" fbc:required="false">
              <model id="m">
                <listOfSpecies>
                  <species id="A" compartment="c" initialAmount="0" hasOnlySubstanceUnits="false"
                           boundaryCondition="false" constant="false" fbc:charge="1"/>
                </listOfSpecies>
              </model>
            </sbml>
            """
        let e = S.sbmlError { _ = try SBML.read(string: xml) }
        XCTAssertEqual(e?.kind, .unsupportedPackage)
        XCTAssertEqual(e?.elementId, "A")
        XCTAssertTrue(e?.message.contains("fbc:charge") ?? false, e?.message ?? "")
    }

    func testMissingAndMalformedAttributes() {
        let noCompartment = S.sbmlError {
            _ = try SBML.read(
                string: S.l3v2(
                    """
                    <listOfSpecies><species id="A" initialAmount="1" hasOnlySubstanceUnits="false"
                      boundaryCondition="false" constant="false"/></listOfSpecies>
                    """))
        }
        XCTAssertEqual(noCompartment?.kind, .invalid)
        XCTAssertEqual(noCompartment?.elementId, "A")
        XCTAssertTrue(noCompartment?.message.contains("compartment") ?? false)

        let badNumber = S.sbmlError {
            _ = try SBML.read(string: S.l3v2(#"<listOfParameters><parameter id="k" value="1,5" constant="true"/></listOfParameters>"#))
        }
        XCTAssertEqual(badNumber?.kind, .invalid)
        XCTAssertEqual(badNumber?.elementId, "k")

        let badBool = S.sbmlError {
            _ = try SBML.read(string: S.l3v2(#"<listOfParameters><parameter id="k" value="1" constant="yes"/></listOfParameters>"#))
        }
        XCTAssertEqual(badBool?.kind, .invalid)

        let strayElement = S.sbmlError { _ = try SBML.read(string: S.l3v2("<listOfThings/>")) }
        XCTAssertEqual(strayElement?.kind, .invalid)
    }

    func testAbsurdNestingIsRejectedNotAStackOverflow() throws {
        func nested(_ depth: Int) -> String {
            S.l3v2(
                """
                <listOfRules><assignmentRule variable="x">\(S.math(String(repeating: "<apply><minus/>", count: depth)
                    + "<ci>y</ci>" + String(repeating: "</apply>", count: depth)))</assignmentRule></listOfRules>
                """)
        }
        XCTAssertEqual(try SBML.read(string: nested(200)).rules.count, 1)
        let e = S.sbmlError { _ = try SBML.read(string: nested(100_000)) }
        XCTAssertEqual(e?.kind, .unsupportedConstruct)
        XCTAssertTrue(e?.message.contains("nested") ?? false, e?.message ?? "")
    }

    func testMissingFileThrowsTheFileSystemsError() {
        XCTAssertThrowsError(try SBML.read(contentsOf: URL(fileURLWithPath: "/nonexistent/model.xml")))
    }

    func testDescriptionFormat() {
        let e = SBMLError(.invalid, path: "a.xml", line: 3, column: 7, elementId: "R1", message: "bad")
        XCTAssertEqual(e.description, "a.xml:3:7: 'R1': bad")
        XCTAssertEqual(SBMLError(.notSBML, path: "b.xml", message: "no").description, "b.xml: no")
    }
}
