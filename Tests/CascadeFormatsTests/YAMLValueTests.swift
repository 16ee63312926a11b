import CascadeFormats
import Foundation
import XCTest

/// The YAML reader: every error names the file, the line and column of the value at fault, and
/// its field path.
final class YAMLValueTests: XCTestCase {
    let text = """
        model: ketamine.ant
        times: [30 min, 2 h, ten]
        protocol:
          - {at: 0 min, add: ketamine, concentration: 1 uM}
          - at: 1 h
            wash: [ketamine]
        settle: yes
        count: 2.5
        """

    func message(_ body: () throws -> Any) -> String {
        do {
            _ = try body()
            XCTFail("expected an error")
            return ""
        } catch {
            return "\(error)"
        }
    }

    func testTypedAccess() throws {
        let root = try YAMLValue.parse(text, file: "e.yaml")
        XCTAssertTrue(root.isMapping)
        XCTAssertEqual(try root.required("model").string(), "ketamine.ant")
        XCTAssertEqual(try root.required("times").list().prefix(2).map { try $0.duration() }, [1800, 7200])
        let steps = try root.required("protocol").list()
        XCTAssertEqual(try steps[0].required("concentration").concentration(), 1)
        XCTAssertEqual(try steps[1].required("wash").strings(), ["ketamine"])
        XCTAssertEqual(try steps[0].required("add").strings(), ["ketamine"], "a single text is a list of one")
        XCTAssertEqual(try root.required("settle").bool(), true)
        XCTAssertEqual(try root.required("count").double(), 2.5)
        XCTAssertEqual(try root.entries().map(\.key), ["model", "times", "protocol", "settle", "count"])
        XCTAssertNil(root["missing"])
        XCTAssertEqual(steps[1].line, 5)
        XCTAssertEqual(steps[1].column, 5)
    }

    func testErrorsNameFileLineColumnAndField() throws {
        let root = try YAMLValue.parse(text, file: "e.yaml")
        XCTAssertEqual(
            message { try root.required("times").list()[2].duration() },
            "e.yaml:2:22: times[2]: cannot read 'ten' as a time (write e.g. 30 s, 30 min, 2 h, 3 d)")
        XCTAssertEqual(
            message { try root.required("count").int() },
            "e.yaml:8:8: count: expected a whole number, got '2.5'")
        XCTAssertEqual(
            message { try root.required("protocol").list()[1].required("add") },
            "e.yaml:5:5: protocol[1]: missing field 'add'")
        XCTAssertEqual(
            message { try root.required("protocol").string() },
            "e.yaml:4:3: protocol: expected a text value")
        XCTAssertEqual(
            message { try root.required("model").list() },
            "e.yaml:1:8: model: expected a list")
        XCTAssertEqual(
            message { try root.allowOnly(["model", "times", "protocol", "count"]) },
            "e.yaml:7:1: settle: unknown field 'settle' (expected one of: count, model, protocol, times)")
        XCTAssertEqual(
            message { try root.required("protocol").list()[0].required("concentration").duration() },
            "e.yaml:4:47: protocol[0].concentration: cannot read '1 uM' as a time (write e.g. 30 s, 30 min, 2 h, 3 d)")
    }

    func testMalformedAndEmptyFiles() {
        XCTAssertEqual(message { try YAMLValue.parse("a: [1, 2\nb: 3\n", file: "bad.yaml") }.prefix(20), "bad.yaml:2:2: malfor")
        XCTAssertEqual(message { try YAMLValue.parse("", file: "empty.yaml") }, "empty.yaml:1:1: the file is empty")
        let missing = URL(fileURLWithPath: "/nonexistent/x.yaml")
        XCTAssertTrue(message { try YAMLValue.load(missing) }.hasPrefix("/nonexistent/x.yaml: "))
    }

    /// Nine anchors of nine aliases each expand to 9^9 values: refused at once, with the place,
    /// instead of hanging (as mapping keys) or taking gigabytes (PEtab problem files).
    func testAliasExpansionIsBounded() {
        var bomb = "a0: &a0 [lol]\n"
        for d in 1 ... 9 { bomb += "a\(d): &a\(d) [" + Array(repeating: "*a\(d - 1)", count: 9).joined(separator: ", ") + "]\n" }
        let started = Date()
        let m = message { try YAMLValue.parse(bomb + "x: *a9\n", file: "bomb.yaml") }
        XCTAssertTrue(m.hasPrefix("bomb.yaml:"), m)
        XCTAssertTrue(m.contains("expands to more than 1000000 values through its aliases"), m)
        let keys = message { try YAMLValue.parse(bomb + "x: {? *a9 : 1}\n", file: "bomb.yaml") }
        XCTAssertTrue(keys.contains("expands to more than"), keys)
        // Counted before composing: a bomb used only as a key would otherwise be hashed in full.
        var keyOnly = "a0: &a0 [lol]\n"
        for d in 1 ... 9 { keyOnly += "? &a\(d) [" + Array(repeating: "*a\(d - 1)", count: 9).joined(separator: ", ") + "]\n: \(d)\n" }
        XCTAssertTrue(message { try YAMLValue.parse(keyOnly, file: "keys.yaml") }.contains("expands to more than"))
        XCTAssertLessThan(Date().timeIntervalSince(started), 60, "the check stops at the bound")
        // A few aliases are fine.
        XCTAssertNoThrow(try YAMLValue.parse("a: &x [1, 2]\nb: *x\nc: *x\n", file: "ok.yaml"))
    }

    func testKeysMustBePlainValues() {
        let list = message { try YAMLValue.parse("model: m\n? [a, b]\n: 1\n", file: "k.yaml") }
        XCTAssertEqual(list, "k.yaml:2:3: a key must be a plain value, not a list")
        let mapping = message { try YAMLValue.parse("? {a: 1}\n: 1\n", file: "k.yaml") }
        XCTAssertEqual(mapping, "k.yaml:1:3: a key must be a plain value, not a mapping")
    }

    func testUnknownTagsAreRefused() {
        let python = message { try YAMLValue.parse("model: m\nsettle: !!python/object:os.system 1 h\n", file: "t.yaml") }
        XCTAssertEqual(python, "t.yaml:2:9: unknown YAML tag '!!python/object:os.system'; only plain values, lists and mappings are read")
        XCTAssertTrue(message { try YAMLValue.parse("readouts: !mine [a]\n", file: "t.yaml") }.contains("unknown YAML tag '!mine'"))
        XCTAssertTrue(message { try YAMLValue.parse("x: !!binary aGVsbG8=\n", file: "t.yaml") }.contains("'!!binary'"))
        // The core schema's explicit tags stay allowed.
        XCTAssertNoThrow(try YAMLValue.parse("a: !!str 1\nb: !!int 2\nc: !!float 1.5\nd: 2024-01-01\ne: ~\nf: !!seq [1]\n", file: "ok.yaml"))
    }
}
