import CascadeCore
import CascadeFormats
import Foundation
import XCTest

/// The one model loader: formats by extension, and one clear message for a missing file, a
/// folder or an unknown extension.
final class ModelFileTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("modelfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    let antimony = """
        model decay
          compartment cell = 2
          species A in cell = 10
          k = 0.5
          R1: A -> ; cell * k * A
        end
        """

    func write(_ name: String, _ text: String) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func message(_ body: () throws -> Any) -> String {
        do {
            _ = try body()
            XCTFail("expected an error")
            return ""
        } catch {
            return "\(error)"
        }
    }

    func testReadsAntimonyAndSBMLToTheSameModel() throws {
        let text = try ModelFile.load(write("decay.ant", antimony))
        XCTAssertEqual(text.species.map(\.id), ["A"])
        XCTAssertEqual(text.parameter("k")?.value, 0.5)
        // The same model written as SBML reads back through the .xml branch.
        let xml = try ModelFile.load(write("decay.xml", SBML.write(text)))
        XCTAssertEqual(xml.species.map(\.id), ["A"])
        XCTAssertEqual(xml.parameter("k")?.value, 0.5)
        XCTAssertEqual(xml.compartment("cell")?.size, 2)
        XCTAssertEqual(try ModelFile.format(of: URL(fileURLWithPath: "m.SBML")), .sbml)
        XCTAssertEqual(try ModelFile.format(of: URL(fileURLWithPath: "m.Ant")), .antimony)
    }

    func testMissingFileFolderAndUnknownExtensionEachGiveOneMessage() throws {
        let missing = dir.appendingPathComponent("nope.ant")
        XCTAssertEqual(message { try ModelFile.load(missing) }, "\(missing.path): no such file")

        let folder = dir.appendingPathComponent("folder.ant")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        XCTAssertEqual(message { try ModelFile.load(folder) }, "\(folder.path): is a folder, not a file")

        let yaml = try write("experiment.yaml", "model: x.ant\n")
        XCTAssertEqual(
            message { try ModelFile.load(yaml) },
            "\(yaml.path): has the extension '.yaml'; a model is .ant (Antimony text) or .xml (SBML)")
        let bare = try write("model", antimony)
        XCTAssertEqual(
            message { try ModelFile.load(bare) },
            "\(bare.path): has no extension; a model is .ant (Antimony text) or .xml (SBML)")

        // A relative path is reported as given.
        XCTAssertEqual(message { try ModelFile.load(path: "no/such/model.xml") }, "no/such/model.xml: no such file")
    }

    func testErrorsInsideAFileKeepTheirLocation() throws {
        let bad = try write("bad.ant", "model m\n  species A = 1\n  R1: A -> ; k *\nend\n")
        let text = message { try ModelFile.load(bad) }
        XCTAssertTrue(text.hasPrefix("\(bad.path):3:"), text)

        let xml = try write("bad.xml", "<sbml><model id='m'>")
        let x = message { try ModelFile.load(xml) }
        XCTAssertTrue(x.contains(xml.path), x)
    }

    func testStructuralProblemsNameThePath() throws {
        // Valid SBML whose rate law uses an undefined id: caught by validation, each problem
        // prefixed by the path.
        let model = Model("m") {
            Compartment(id: "c", size: 1)
            Species(id: "A", compartment: "c", initial: .concentration(1))
            Reaction(id: "R1", reactants: [SpeciesReference("A")], rate: "c" * "undefinedRate" * "A")
        }
        let url = try write("m.xml", SBML.write(model))
        XCTAssertThrowsError(try ModelFile.load(url)) { e in
            let error = e as? ModelFileError
            XCTAssertEqual(error?.path, url.path)
            XCTAssertTrue(error?.description.hasPrefix("\(url.path): ") ?? false, "\(e)")
            XCTAssertTrue("\(e)".contains("undefinedRate"), "\(e)")
        }
    }

    func testPEtabProblemMissingOrFolder() throws {
        let missing = dir.appendingPathComponent("problem.yaml")
        XCTAssertEqual(message { try ModelFile.loadPEtab(missing) }, "\(missing.path): no such file")
        XCTAssertEqual(message { try ModelFile.loadPEtab(self.dir) }, "\(dir.path): is a folder, not a file")
    }
}
