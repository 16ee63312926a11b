import CascadeCore
import CascadeFormats
import Foundation
import XCTest

/// Access to the Antimony fixture files and small helpers shared by the Antimony tests.
enum AntimonyFixtures {
    /// `Fixtures/antimony` inside the test bundle.
    static var root: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("antimony")
    }

    static func url(_ relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }

    /// The `.ant` files of a fixture folder, sorted by name.
    static func files(in folder: String) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: root.appendingPathComponent(folder), includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "ant" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// Parses a fixture, failing the test with the full error text if it does not parse.
    static func model(_ relativePath: String, file: StaticString = #filePath, line: UInt = #line) throws -> Model {
        do {
            return try Antimony.parse(contentsOf: url(relativePath))
        } catch let errors as SourceErrors {
            XCTFail("\(relativePath) did not parse:\n\(errors)", file: file, line: line)
            throw errors
        }
    }
}

/// Parses text, failing the test with the full error text if it does not parse.
func parseAntimony(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> Model {
    do {
        return try Antimony.parse(text)
    } catch let errors as SourceErrors {
        XCTFail("did not parse:\n\(errors)", file: file, line: line)
        throw errors
    }
}

/// The errors parsing `text` gives; fails the test if it parses.
func antimonyErrors(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [SourceError] {
    do {
        let model = try Antimony.parse(text)
        XCTFail("expected errors, but parsed model '\(model.id)'", file: file, line: line)
        return []
    } catch let errors as SourceErrors {
        return errors.errors
    } catch {
        XCTFail("unexpected error type: \(error)", file: file, line: line)
        return []
    }
}

/// Asserts that printing a model and parsing the text gives the same model back.
func assertAntimonyRoundTrip(_ model: Model, _ label: String = "", file: StaticString = #filePath, line: UInt = #line) {
    let text = Antimony.print(model)
    do {
        let again = try Antimony.parse(text, path: "<printed \(label)>")
        XCTAssertEqual(again, model, "\(label) changed on the round trip; printed text:\n\(text)", file: file, line: line)
        XCTAssertEqual(Antimony.print(again), text, "\(label): printing is not stable", file: file, line: line)
    } catch {
        XCTFail("\(label): the printed text does not parse: \(error)\n\(text)", file: file, line: line)
    }
}
