import CascadeCore
import XCTest

/// Edit distances checked against hand-counted edits (insertions, deletions, substitutions and
/// swaps of neighbours; case-only substitutions count half).
final class SpellingTests: XCTestCase {
    func testDistanceCountsEdits() {
        XCTAssertEqual(Spelling.distance("kitten", "sitting"), 3)
        XCTAssertEqual(Spelling.distance("ANA-12", "ANA12"), 1)
        XCTAssertEqual(Spelling.distance("BNDF", "BDNF"), 1, "a swap of neighbours is one edit")
        XCTAssertEqual(Spelling.distance("bdnf", "BDNF"), 2, "four case-only edits")
        XCTAssertEqual(Spelling.distance("", "abc"), 3)
        XCTAssertEqual(Spelling.distance("abc", ""), 3)
        XCTAssertEqual(Spelling.distance("p_ERK", "p_ERK"), 0)
        XCTAssertEqual(Spelling.distance("ab", "ba"), Spelling.distance("ba", "ab"))
    }

    func testSuggestionsAreCloseAndOrdered() {
        let ids = ["ANA12", "BDNF", "p_TrkB", "p_ERK", "p_Akt", "TrkB"]
        XCTAssertEqual(Spelling.suggestions(for: "ANA-12", among: ids), ["ANA12"])
        XCTAssertEqual(Spelling.suggestions(for: "p_trkb", among: ids).first, "p_TrkB")
        XCTAssertEqual(Spelling.suggestions(for: "ketamine", among: ids), [])
        XCTAssertEqual(Spelling.suggestions(for: "BDNF", among: ids), [], "an exact match needs no suggestion")
        XCTAssertEqual(Spelling.suggestions(for: "p_ERX", among: ids), ["p_ERK"])
        XCTAssertEqual(Spelling.didYouMean("ANA-12", among: ids), " (did you mean 'ANA12'?)")
        XCTAssertEqual(Spelling.didYouMean("p_ERK", among: ["p_ERK1", "p_ERK2", "p_ERKK2"]), " (did you mean 'p_ERK1' or 'p_ERK2'?)")
        XCTAssertEqual(Spelling.suggestions(for: "b", among: ["A", "B"]), ["B"], "the case-only edit is nearer")
        XCTAssertEqual(Spelling.didYouMean("zzz", among: ids), "")
    }
}
