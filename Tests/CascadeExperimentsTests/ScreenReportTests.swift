import CascadeCore
import CascadeExperiments
import CascadeReports
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

final class ScreenReportTests: XCTestCase {
    func testReportIsSelfContainedWithHeatMapsAndTrajectories() throws {
        let r = try KnockoutScreenTests.screen.get()
        let html = ScreenReport.html(r, title: "Knockout screen", experimentFile: "knockout_screen.yaml")
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        // No network: nothing is loaded from elsewhere (SVG namespaces are identifiers, not fetches).
        let withoutNamespaces = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        XCTAssertFalse(withoutNamespaces.contains("http://") || withoutNamespaces.contains("https://"))
        XCTAssertFalse(html.contains("<script"))
        // One heat map per readout time, one chart per readout.
        XCTAssertEqual(html.components(separatedBy: "<h2>Retained effect at").count - 1, r.times.count)
        XCTAssertEqual(html.components(separatedBy: "<polyline").count - 1 > r.readouts.count, true)
        for c in r.conditions { XCTAssertTrue(html.contains(">\(c.condition.id)</text>"), c.condition.id) }
        XCTAssertNotNil(try? XMLDocumentCheck.wellFormedSVGs(html))
    }

    func testPlotTimesAreLogSpacedFromOneMinute() {
        let t = ScreenReport.plotTimes(until: 259_200, points: 5)
        XCTAssertEqual(t.first!, 60, accuracy: 1e-9)
        XCTAssertEqual(t.last!, 259_200, accuracy: 1e-6)
        XCTAssertEqual(t[1] / t[0], t[2] / t[1], accuracy: 1e-9)
    }
}

/// Parses each inline SVG as XML to check it is well formed.
enum XMLDocumentCheck {
    struct Malformed: Error {}
    static func wellFormedSVGs(_ html: String) throws {
        var rest = html[...]
        while let start = rest.range(of: "<svg "), let end = rest.range(of: "</svg>", range: start.upperBound ..< rest.endIndex) {
            let svg = String(rest[start.lowerBound ..< end.upperBound])
            let parser = XMLParser(data: Data(svg.utf8))
            if !parser.parse() { throw Malformed() }
            rest = rest[end.upperBound...]
        }
    }
}
