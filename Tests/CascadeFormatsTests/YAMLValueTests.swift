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
        XCTAssertEqual(message { try root.required("times").list()[2].duration() },
                       "e.yaml:2:22: times[2]: cannot read 'ten' as a time (write e.g. 30 s, 30 min, 2 h, 3 d)")
        XCTAssertEqual(message { try root.required("count").int() },
                       "e.yaml:8:8: count: expected a whole number, got '2.5'")
        XCTAssertEqual(message { try root.required("protocol").list()[1].required("add") },
                       "e.yaml:5:5: protocol[1]: missing field 'add'")
        XCTAssertEqual(message { try root.required("protocol").string() },
                       "e.yaml:4:3: protocol: expected a text value")
        XCTAssertEqual(message { try root.required("model").list() },
                       "e.yaml:1:8: model: expected a list")
        XCTAssertEqual(message { try root.allowOnly(["model", "times", "protocol", "count"]) },
                       "e.yaml:7:1: settle: unknown field 'settle' (expected one of: count, model, protocol, times)")
        XCTAssertEqual(message { try root.required("protocol").list()[0].required("concentration").duration() },
                       "e.yaml:4:47: protocol[0].concentration: cannot read '1 uM' as a time (write e.g. 30 s, 30 min, 2 h, 3 d)")
    }

    func testMalformedAndEmptyFiles() {
        XCTAssertEqual(message { try YAMLValue.parse("a: [1, 2\nb: 3\n", file: "bad.yaml") }.prefix(20), "bad.yaml:2:2: malfor")
        XCTAssertEqual(message { try YAMLValue.parse("", file: "empty.yaml") }, "empty.yaml:1:1: the file is empty")
        let missing = URL(fileURLWithPath: "/nonexistent/x.yaml")
        XCTAssertTrue(message { try YAMLValue.load(missing) }.hasPrefix("/nonexistent/x.yaml: "))
    }
}
