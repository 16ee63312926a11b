import CascadeCore
import CascadeFormats
import CascadeSolver
import Foundation
import XCTest

/// Every file in `Fixtures/antimony/malformed` must give the first error listed for it in
/// `EXPECTED.tsv` (line, column, and a part of the message), and never crash.
final class AntimonyMalformedTests: XCTestCase {
    private struct Expectation {
        var file: String
        var line: Int
        var column: Int
        var message: String
    }

    private func manifest() throws -> [Expectation] {
        let url = AntimonyFixtures.url("malformed/EXPECTED.tsv")
        let text = try String(contentsOf: url, encoding: .utf8)
        var out: [Expectation] = []
        for row in text.split(separator: "\n") where !row.hasPrefix("#") && !row.isEmpty {
            let fields = row.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 4, let line = Int(fields[1]), let column = Int(fields[2]) else {
                XCTFail("bad manifest row: \(row)")
                continue
            }
            out.append(Expectation(file: fields[0], line: line, column: column, message: fields[3]))
        }
        return out
    }

    func testManifestListsEveryMalformedFile() throws {
        let listed = Set(try manifest().map(\.file))
        let present = Set(try AntimonyFixtures.files(in: "malformed").map(\.lastPathComponent))
        XCTAssertGreaterThanOrEqual(present.count, 45)
        XCTAssertEqual(listed, present, "EXPECTED.tsv and the folder disagree")
    }

    func testEveryMalformedFileGivesItsExpectedFirstError() throws {
        let expectations = try manifest()
        XCTAssertGreaterThanOrEqual(expectations.count, 45)
        for e in expectations {
            let url = AntimonyFixtures.url("malformed/\(e.file)")
            do {
                let model = try Antimony.parse(contentsOf: url)
                XCTFail("\(e.file) parsed without errors as model '\(model.id)'")
            } catch let errors as SourceErrors {
                guard let first = errors.errors.first else {
                    XCTFail("\(e.file): SourceErrors without errors")
                    continue
                }
                XCTAssertEqual(first.location.line, e.line, "\(e.file): \(first)")
                XCTAssertEqual(first.location.column, e.column, "\(e.file): \(first)")
                XCTAssertTrue(first.message.contains(e.message), "\(e.file): expected '\(e.message)', got:\n\(first)")
                XCTAssertTrue(first.location.path.hasSuffix(e.file), "\(e.file): path \(first.location.path)")
                // The description names the place and marks it.
                XCTAssertTrue(first.description.hasPrefix("\(first.location.path):\(e.line):\(e.column): error: "))
                XCTAssertTrue(first.description.contains("^"))
                // Errors come in text order.
                let positions = errors.errors.map { [$0.location.line, $0.location.column] }
                XCTAssertEqual(positions, positions.sorted { $0.lexicographicallyPrecedes($1) }, e.file)
            } catch {
                XCTFail("\(e.file) threw \(type(of: error)) instead of SourceErrors: \(error)")
            }
        }
    }

    func testBinaryJunkIsReportedAtTheStart() {
        do {
            _ = try Antimony.parse(contentsOf: AntimonyFixtures.url("malformed/binary_junk.ant"))
            XCTFail("junk parsed")
        } catch let errors as SourceErrors {
            XCTAssertEqual(errors.errors.count, 1)
            XCTAssertEqual(errors.errors[0].location.line, 1)
            XCTAssertEqual(errors.errors[0].location.column, 1)
            XCTAssertTrue(errors.errors[0].message.contains("UTF-8"))
        } catch {
            XCTFail("\(error)")
        }
    }

    func testSeveralErrorsAreReportedInOnePass() throws {
        do {
            _ = try Antimony.parse(contentsOf: AntimonyFixtures.url("malformed/several_errors.ant"))
            XCTFail("parsed")
        } catch let errors as SourceErrors {
            XCTAssertEqual(errors.errors.map(\.location.line), [2, 3, 4])
            XCTAssertTrue(errors.errors[0].message.contains("'(' is not closed"))
            XCTAssertTrue(errors.errors[1].message.contains("malformed number '1.2.3'"))
            XCTAssertTrue(errors.errors[2].message.contains("no rate law"))
        }
    }

    /// Letters or digits glued to a number used to start a new token: `0x1F` read as 0 and
    /// `4.63e-05e3` as 4.63e-05, without a word.
    func testNumbersRunningIntoLettersAreMalformed() {
        for spelling in ["4.63e-05e3", "0x1F", "0b101", "1.5e3.2", "1e-3e-2"] {
            do {
                _ = try Antimony.parse("model m\n  k = \(spelling)\nend\n")
                XCTFail("'\(spelling)' parsed")
            } catch let errors as SourceErrors {
                XCTAssertEqual(errors.errors.first?.message, "malformed number '\(spelling)'")
                XCTAssertEqual(errors.errors.first?.location.line, 2)
                XCTAssertEqual(errors.errors.first?.location.column, 7)
            } catch {
                XCTFail("\(error)")
            }
        }
        // Spaces keep a number and what follows apart, as before.
        XCTAssertNoThrow(try Antimony.parse("model m\n  k = 4.63e-05 * 3\nend\n"))
        // A name right after a plain number is a stoichiometry.
        XCTAssertNoThrow(try Antimony.parse("model m\n  J0: 2A -> B; 1\n  A = 1; B = 0\nend\n"))
    }

    func testUnreadableFileIsReportedAtLineOne() {
        let url = URL(fileURLWithPath: "/nonexistent/dir/model.ant")
        do {
            _ = try Antimony.parse(contentsOf: url)
            XCTFail("parsed")
        } catch let errors as SourceErrors {
            XCTAssertEqual(errors.errors.count, 1)
            XCTAssertEqual(errors.errors[0].location, SourceLocation(path: "/nonexistent/dir/model.ant", line: 1, column: 1))
            XCTAssertTrue(errors.errors[0].message.contains("cannot read"))
        } catch {
            XCTFail("\(error)")
        }
    }

    /// Random damage to valid files must give either a model or `SourceErrors` with sane
    /// positions, never a crash or another error; a model that still parses must round-trip.
    func testDamagedFilesNeverCrash() throws {
        var rng = SplitMix64(seed: 0xA17_1B0)
        let sources = try (AntimonyFixtures.files(in: "valid") + AntimonyFixtures.files(in: "crosscheck"))
            .map { try String(contentsOf: $0, encoding: .utf8) }
        let inserts: [String] = [
            "(", ")", ";", ":", "->", "=>", "$", "'", "\"", "/*", "*/", "//", "\n", ",", "=", ":=",
            "1e", ".", "^", "-", "at ", "end", "model m\n", "function", "in", "@", "\u{0}", "é", "\t",
        ]
        var parsed = 0, rejected = 0
        for round in 0 ..< 1500 {
            var bytes = Array(sources[round % sources.count].utf8)
            for _ in 0 ..< (1 + Int(rng.next() % 3)) where !bytes.isEmpty {
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(contentsOf: Array(inserts[Int(rng.next() % UInt64(inserts.count))].utf8), at: at)
                default: bytes.insert(bytes[at], at: at)
                }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            let lineCount = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
            do {
                let model = try Antimony.parse(text)
                parsed += 1
                assertAntimonyRoundTrip(model, "damaged #\(round)")
            } catch let errors as SourceErrors {
                rejected += 1
                XCTAssertFalse(errors.errors.isEmpty)
                for e in errors.errors {
                    XCTAssertGreaterThanOrEqual(e.location.line, 1)
                    XCTAssertLessThanOrEqual(e.location.line, max(1, lineCount))
                    XCTAssertGreaterThanOrEqual(e.location.column, 1)
                    XCTAssertFalse(e.message.isEmpty)
                }
            } catch {
                XCTFail("round \(round): unexpected \(error)")
            }
        }
        XCTAssertGreaterThan(parsed, 0)
        XCTAssertGreaterThan(rejected, 0)
    }
}
