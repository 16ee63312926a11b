import CascadeCore
import CascadeFormats
import Foundation
import XCTest

/// An Antimony file's comments as SBML notes (`cascade info` units: CascadeCLITests/InfoUnitsCLITests).
final class SBMLNotesTests: XCTestCase {
    static let text = """
        // Decay in micromolar.
        // =====================
        //
        // Second paragraph: A & B < C.
        model units_demo()
          unit uM = 1e-6 mole / litre
          unit per_s = 1 / second
          compartment cell = 1 litre
          species A in cell = 10 uM   // the substrate
          const k = 0.1 per_s          # 1/s; decay rate [assumed]
          // a comment on its own line is nobody's note
          J1: A -> ; k*A               // first-order decay
          dose: at time > 5: A = 10    // refill
        end
        """

    func testCommentsBecomeNotes() throws {
        let model = try Antimony.parse(Self.text)
        let notes = Antimony.notes(in: Self.text, for: model)
        XCTAssertEqual(notes.model, "Decay in micromolar.\n=====================\n\nSecond paragraph: A & B < C.")
        XCTAssertEqual(
            notes.elements,
            [
                "A": "the substrate", "k": "1/s; decay rate [assumed]", "J1": "first-order decay",
                "dose": "refill",
            ])
    }

    func testNotesAreWrittenAsXHTMLAndTheModelReadsBackTheSame() throws {
        let model = try Antimony.parse(Self.text)
        let xml = SBML.write(model, notes: Antimony.notes(in: Self.text, for: model))
        XCTAssertTrue(
            xml.contains(
                """
                    <notes>
                      <body xmlns="http://www.w3.org/1999/xhtml">
                        <p>Decay in micromolar.</p>
                        <p>Second paragraph: A &amp; B &lt; C.</p>
                      </body>
                    </notes>
                """), xml)
        XCTAssertTrue(xml.contains("<p>1/s; decay rate [assumed]</p>"))
        XCTAssertTrue(xml.contains("<p>refill</p>"))
        XCTAssertTrue(xml.contains("<unitDefinition id=\"uM\">"))
        XCTAssertEqual(try SBML.read(string: xml), model)
    }
}
