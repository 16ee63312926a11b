import CascadeCore
import CascadeFormats
import Foundation
import XCTest

/// Every SBML model of the PEtab benchmark collection in ../shared reads, with the species and
/// reaction counts the file itself shows, and survives a round trip through SBML L3V2.
final class SBMLPEtabImportTests: XCTestCase {
    typealias S = SBMLTestSupport

    /// The model files of one problem folder: those its YAML files name under `sbml_files` (when
    /// they exist; one of Zhao_QuantBiol2020's YAML files names a file that is not there) and
    /// every other `*.xml` in the folder.
    static func modelFiles(in folder: URL) throws -> [URL] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        var files = Set<String>()
        for yaml in names where yaml.hasSuffix(".yaml") || yaml.hasSuffix(".yml") {
            let text = (try? String(contentsOf: folder.appendingPathComponent(yaml), encoding: .utf8)) ?? ""
            var inList = false
            for line in text.split(whereSeparator: \.isNewline) {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("sbml_files:") || trimmed.hasPrefix("model_files:") {
                    inList = true
                } else if inList, trimmed.hasPrefix("- ") {
                    let name = trimmed.dropFirst(2).trimmingCharacters(in: .whitespaces)
                    if FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path) {
                        files.insert(name)
                    }
                } else if !trimmed.isEmpty {
                    inList = false
                }
            }
        }
        for name in names where name.hasSuffix(".xml") { files.insert(name) }
        return files.sorted().map { folder.appendingPathComponent($0) }
    }

    /// How many times `<name ` (or `<name>`/`<name/>`) starts an element in the text: a count made
    /// without the XML parser, to check the reader against.
    static func countElements(_ name: String, in text: String) -> Int {
        var count = 0
        for follower in [" ", "\n", "\t", ">", "/>"] {
            count += text.components(separatedBy: "<\(name)\(follower)").count - 1
        }
        return count
    }

    func testEveryBenchmarkModelReads() throws {
        let root = try S.sharedFolder("petab-benchmarks")
        let problems = try FileManager.default.contentsOfDirectory(atPath: root.path).sorted().filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: root.appendingPathComponent($0).path, isDirectory: &isDirectory)
                && isDirectory.boolValue
        }
        var read = 0
        for problem in problems {
            let files = try Self.modelFiles(in: root.appendingPathComponent(problem))
            XCTAssertFalse(files.isEmpty, "\(problem) has no SBML file")
            for url in files {
                let label = "\(problem)/\(url.lastPathComponent)"
                let text = try String(contentsOf: url, encoding: .utf8)
                let model: Model
                do {
                    model = try SBML.read(contentsOf: url)
                } catch {
                    XCTFail("\(label): \(error)")
                    continue
                }
                read += 1
                XCTAssertEqual(model.species.count, Self.countElements("species", in: text), "\(label): species")
                XCTAssertEqual(model.reactions.count, Self.countElements("reaction", in: text), "\(label): reactions")
                XCTAssertEqual(model.validationErrors(), [], "\(label): the model does not validate")
                let back = try SBML.read(string: SBML.write(model), path: "\(label) written")
                XCTAssertEqual(back, model, "\(label): round trip")
            }
        }
        print("PEtab benchmarks: \(read) SBML files read from \(problems.count) problems")
        XCTAssertGreaterThanOrEqual(read, problems.count)
    }

    func testChenMSB2009Sizes() throws {
        // The large-model stress case: 500 species (README of the collection).
        let url = try S.sharedFolder("petab-benchmarks").appendingPathComponent("Chen_MSB2009/model_Chen_MSB2009.xml")
        guard FileManager.default.fileExists(atPath: url.path) else { throw XCTSkip("Chen_MSB2009 is absent") }
        let model = try SBML.read(contentsOf: url)
        XCTAssertEqual(model.species.count, 500)
        XCTAssertEqual(model.reactions.count, 827)
    }
}
