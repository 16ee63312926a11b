import CascadeCore
import CascadeFormats
import Foundation
import XCTest

/// Every input the fuzzers in `Fuzz/` (FuzzAntimony, FuzzSBML; see Fuzz/README.md) made crash,
/// hang or leak, minimised and kept in `Fixtures/fuzz/{antimony,sbml}/`, with the outcome listed
/// for it in `Fixtures/fuzz/EXPECTED.tsv`. Each is checked the way the fuzz target checks it
/// (an error of the reader's own type with a sane location, or a model that survives writing and
/// reading back). CascadeCLITests/FuzzCLITests runs them through `cascade info` as well.
final class FuzzRegressionTests: XCTestCase {
    private struct Expectation {
        var file: String
        /// nil when the input must read (or parse).
        var error: (line: Int, column: Int, message: String)?
    }

    private var folder: URL { Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("fuzz") }

    private func manifest() throws -> [Expectation] {
        let text = try String(contentsOf: folder.appendingPathComponent("EXPECTED.tsv"), encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.compactMap { row in
            let f = row.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 4 else {
                XCTFail("bad manifest row: \(row)")
                return nil
            }
            if f[1] == "-" { return Expectation(file: f[0], error: nil) }
            guard let line = Int(f[1]), let column = Int(f[2]) else {
                XCTFail("bad manifest row: \(row)")
                return nil
            }
            return Expectation(file: f[0], error: (line, column, f[3]))
        }
    }

    func testManifestListsEveryInput() throws {
        var present: Set<String> = []
        for sub in ["antimony", "sbml"] {
            let dir = folder.appendingPathComponent(sub)
            for f in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] { present.insert("\(sub)/\(f)") }
        }
        XCTAssertEqual(Set(try manifest().map(\.file)), present, "EXPECTED.tsv and Fixtures/fuzz disagree")
    }

    func testSBMLInputs() throws {
        for e in try manifest() where e.file.hasPrefix("sbml/") {
            let data = try Data(contentsOf: folder.appendingPathComponent(e.file))
            do {
                let model = try SBML.read(data: data, path: e.file)
                if let expected = e.error {
                    XCTFail("\(e.file) read as model '\(model.id)', expected \(expected.message)")
                    continue
                }
                // A model holding NaN never equals itself; it must write the same text again.
                let written = SBML.write(model)
                let back = try SBML.read(string: written)
                if written.contains("<notanumber/>") {
                    XCTAssertEqual(SBML.write(back), written, e.file)
                } else {
                    XCTAssertEqual(back, model, e.file)
                }
            } catch let error as SBMLError {
                guard let expected = e.error else {
                    XCTFail("\(e.file) must read, got \(error)")
                    continue
                }
                XCTAssertEqual(error.line, expected.line, "\(e.file): \(error)")
                XCTAssertEqual(error.column, expected.column, "\(e.file): \(error)")
                XCTAssertTrue(error.message.contains(expected.message), "\(e.file): \(error)")
            } catch {
                XCTFail("\(e.file) threw \(type(of: error)), not SBMLError: \(error)")
            }
        }
    }

    func testAntimonyInputs() throws {
        for e in try manifest() where e.file.hasPrefix("antimony/") {
            let url = folder.appendingPathComponent(e.file)
            // As the fuzz target reads its input: UTF-8 with invalid bytes replaced.
            let text = String(decoding: try Data(contentsOf: url), as: UTF8.self)
            do {
                let model = try Antimony.parse(text, path: e.file)
                if let expected = e.error {
                    XCTFail("\(e.file) parsed as model '\(model.id)', expected \(expected.message)")
                    continue
                }
                let printed = Antimony.print(model)
                let again = try Antimony.parse(printed, path: "printed \(e.file)")
                XCTAssertEqual(again, model, e.file)
                XCTAssertEqual(Antimony.print(again), printed, e.file)
            } catch let errors as SourceErrors {
                guard let expected = e.error, let first = errors.errors.first else {
                    XCTFail("\(e.file) must parse, got \(errors)")
                    continue
                }
                XCTAssertEqual(first.location.line, expected.line, "\(e.file): \(first)")
                XCTAssertEqual(first.location.column, expected.column, "\(e.file): \(first)")
                XCTAssertTrue(first.message.contains(expected.message), "\(e.file): \(first)")
            } catch {
                XCTFail("\(e.file) threw \(type(of: error)), not SourceErrors: \(error)")
            }
        }
    }

    // The SBML guards refuse what would crash, and little else: nearby documents still read.

    private let minimal = """
        <sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
          <model id="m"/>
        </sbml>
        """

    func testProcessingInstructionsWithDataAndMarkupInCommentsStillRead() throws {
        for text in [
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + minimal,
            "<?xml version='1.0' encoding='utf-8'?>\n" + minimal,
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n" + minimal,
            "<?xml-stylesheet href=\"a.xsl\"?>\n" + minimal,
            "<!-- <?x?> <!DOCTYPE -->\n" + minimal,
            "<?pi data with <!-- and <!DOCTYPE and <?x in it?>\n" + minimal,
            minimal.replacingOccurrences(of: "<model id=\"m\"/>", with: "<model id=\"m\"><![CDATA[<?x?>]]></model>"),
            "\u{FEFF}" + minimal,
        ] {
            XCTAssertEqual(try SBML.read(string: text).id, "m", text)
        }
    }

    func testIdsStartingWithACombiningMarkReadBackAsWritten() throws {
        // `<ci> \u{5C7} </ci>`: the space and the mark form one Character, so trimming by
        // characters kept the space and the name changed on every round trip.
        let xml = minimal.replacingOccurrences(
            of: "<model id=\"m\"/>",
            with: """
                <model id="m"><listOfFunctionDefinitions><functionDefinition id="f">
                <math xmlns="http://www.w3.org/1998/Math/MathML"><lambda><bvar><ci> \u{5C7} </ci></bvar>
                <apply><times/><ci>\u{5C7} </ci><cn> 2 </cn></apply></lambda></math>
                </functionDefinition></listOfFunctionDefinitions></model>
                """)
        let model = try SBML.read(string: xml)
        XCTAssertEqual(model.functions.first?.arguments, ["\u{5C7}"])
        XCTAssertEqual(model.functions.first?.body, .apply(.mul, [.symbol("\u{5C7}"), 2]))
        XCTAssertEqual(try SBML.read(string: SBML.write(model)), model)
    }

    func testCrashingInputsAnywhereAreRefusedWithTheirPlace() {
        func error(_ data: Data) -> SBMLError? {
            do {
                _ = try SBML.read(data: data, path: "t.xml")
                return nil
            } catch { return error as? SBMLError }
        }
        let inside = minimal.replacingOccurrences(of: "<model id=\"m\"/>", with: "<model id=\"m\">\n  é <?foo?></model>")
        let e = error(Data(inside.utf8))
        XCTAssertEqual(e?.kind, .malformedXML)
        XCTAssertEqual(e?.line, 3)
        XCTAssertEqual(e?.column, 5, "columns count characters")
        XCTAssertTrue(e?.message.contains("processing instruction without data") == true, "\(String(describing: e))")

        var utf16 = Data([0xFF, 0xFE])
        utf16.append(minimal.data(using: .utf16LittleEndian)!)
        XCTAssertTrue(error(utf16)?.message.contains("UTF-16") == true)
        XCTAssertTrue(error(Data("<?xml version=\"1.0\"?>".utf8 + [0]))?.message != nil)
        XCTAssertTrue(error(minimal.data(using: .utf16BigEndian)!)?.message.contains("zero byte") == true)
        for encoding in ["UTF-7", "UTF-16", "EBCDIC-US", "ISO-2022-JP"] {
            let text = "<?xml version=\"1.0\" encoding=\"\(encoding)\"?>\n" + minimal
            XCTAssertTrue(error(Data(text.utf8))?.message.contains("declares the encoding '\(encoding)'") == true, encoding)
        }
        // Ways to hide `<?y?>` from a scan that only skipped comments and CDATA sections (each of
        // these crashed XMLParser): a comment opener inside processing instruction data, one
        // inside an entity value, and an entity whose value becomes the instruction.
        let hidden: [(String, Int, String)] = [
            ("<?x <!--?><?y?><!---->", 11, "processing instruction without data"),
            ("<!DOCTYPE a [<!ENTITY e \"<!--\">]><a><?y?></a><!---->", 1, "<!DOCTYPE"),
            ("<!DOCTYPE a [<!ENTITY e \"&#60;?y?>\">]><a>&e;</a>", 1, "<!DOCTYPE"),
        ]
        for (text, column, message) in hidden {
            let e = error(Data(text.utf8))
            XCTAssertEqual(e?.column, column, text)
            XCTAssertTrue(e?.message.contains(message) == true, "\(text): \(String(describing: e))")
        }
        // A second `encoding` hidden behind the first word that looks like one.
        let sneaky = "<?xml version=\"encoding\" encoding=\"UTF7\"?>\n" + minimal
        XCTAssertTrue(error(Data(sneaky.utf8))?.message.contains("UTF7") == true)
    }
}
