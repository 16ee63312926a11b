import CascadeCore
import CascadeExperiments
import CascadeReports
import Foundation
import XCTest

#if canImport(FoundationXML)
    import FoundationXML
#endif

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
        // A colour bar for the heat maps, axis titles with units, the exposure windows shaded.
        XCTAssertTrue(html.contains("retained share of ketamine's effect"))
        XCTAssertTrue(html.contains("time after ketamine (h)"))
        XCTAssertTrue(html.contains("ketamine in the bath (0 h to 1 h)"))
        XCTAssertNotNil(try? XMLDocumentCheck.wellFormedSVGs(html))
    }

    /// Plot times run on a linear axis from the protocol's start (the pre-incubation), every
    /// minute for the first two and a half hours, then evenly to the last readout.
    func testPlotTimesStartAtTheProtocolAndCoverTheExposure() {
        let t = ScreenReport.plotTimes(from: -1800, until: 259_200, points: 10)
        XCTAssertEqual(t.first, -1800)
        XCTAssertEqual(t.last, 259_200)
        XCTAssertTrue(t.contains(0) && t.contains(3600), "the treatment and its washout")
        XCTAssertEqual(t.filter { $0 <= 7200 }.count, 151, "every minute from -30 min to 2 h")
        XCTAssertEqual(t, t.sorted())
    }

    func testNiceTicksAreRound() {
        XCTAssertEqual(SVG.niceTicks(-0.5, 72, count: 6), [0, 20, 40, 60])
        XCTAssertEqual(SVG.niceTicks(0.013, 0.057, count: 5), [0.02, 0.03, 0.04, 0.05])
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
