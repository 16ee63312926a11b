import CascadeCore
import CascadeExperiments
import Foundation
import XCTest

/// Experiment files read their model through the same loader as the command line: SBML as well
/// as Antimony, and the same message for a file that is not a model.
final class ExperimentModelFileTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func experiment(model: String, in dir: URL) throws -> URL {
        let text = """
            model: \(model)
            panel: \(Self.repo.appendingPathComponent("models/inhibitors.yaml").path)
            protocol:
              - {at: 0 min, add: ketamine, concentration: 1 uM}
            readouts: [p_eEF2, BDNF]
            times: [30 min, 2 h]
            """
        let url = dir.appendingPathComponent("experiment.yaml")
        try Data(text.utf8).write(to: url)
        return url
    }

    func testAnSBMLModelLoadsLikeItsAntimonySource() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("exp-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let antimony = try ModelFile.load(Self.repo.appendingPathComponent("models/ketamine.ant"))
        try SBML.write(antimony).write(to: dir.appendingPathComponent("ketamine.xml"), atomically: true, encoding: .utf8)

        let fromText = try Experiment.load(try experiment(model: Self.repo.appendingPathComponent("models/ketamine.ant").path, in: dir))
        let fromSBML = try Experiment.load(try experiment(model: "ketamine.xml", in: dir))
        XCTAssertEqual(fromSBML.model.species.map(\.id), fromText.model.species.map(\.id))
        XCTAssertEqual(fromSBML.model.parameters.map(\.id), fromText.model.parameters.map(\.id))
        XCTAssertEqual(fromSBML.treatments.map(\.parameter), fromText.treatments.map(\.parameter))

        // A file that is not a model: the loader's one message.
        try "x: 1\n".write(to: dir.appendingPathComponent("notes.yaml"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Experiment.load(try experiment(model: "notes.yaml", in: dir))) { e in
            XCTAssertTrue("\(e)".hasSuffix("notes.yaml: has the extension '.yaml'; a model is .ant (Antimony text) or .xml (SBML)"), "\(e)")
        }
    }
}
