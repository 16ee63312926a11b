import CascadeCore
import CascadeFormats
import Foundation

/// libFuzzer entry: the input bytes, decoded as UTF-8 with invalid sequences replaced, are read
/// as a PEtab table (tab-separated) and then as each kind of PEtab table: conditions,
/// observables (their formulas parsed and compiled), parameters and measurements. Each reader
/// must give its rows or a `PEtabError` naming the file; a compiled formula must evaluate. Any
/// other outcome (a crash, another error type, an error without the file's name) stops the run.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPEtab(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: data == nil ? 0 : size)
    let text = String(decoding: bytes, as: UTF8.self)
    let table: PEtabTable
    do {
        table = try PEtabTable(parsing: text, file: "fuzz.tsv")
    } catch {
        expectPEtabError(error, "PEtabTable(parsing:)")
        return 0
    }
    do { _ = try PEtabCondition.read(table) } catch { expectPEtabError(error, "PEtabCondition.read") }
    do { _ = try PEtabParameter.read(table) } catch { expectPEtabError(error, "PEtabParameter.read") }
    do { _ = try PEtabMeasurementTable(table) } catch { expectPEtabError(error, "PEtabMeasurementTable") }
    do {
        for o in try PEtabObservable.read(table) {
            for formula in [o.formula] + (o.noiseFormula.map { [$0] } ?? []) {
                let names = formula.symbols.sorted()
                let slots = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
                do {
                    let f = try CompiledFormula(formula, slots: slots.merging(["time": names.count]) { a, _ in a })
                    _ = f.evaluate((0 ... names.count).map { Double($0) + 0.5 })
                } catch is CompiledFormula.FormulaError {
                    // unknown functions and the like: refused, as intended
                }
            }
        }
    } catch {
        expectPEtabError(error, "PEtabObservable.read")
    }
    // Every cell as a formula: the parser must return or throw a PEtabError.
    for row in table.rows.prefix(20) {
        for cell in row.prefix(20) {
            do { _ = try PEtabMath.parse(cell, file: "fuzz.tsv") } catch { expectPEtabError(error, "PEtabMath.parse") }
        }
    }
    return 0
}

private func expectPEtabError(_ error: Error, _ what: String) {
    guard let e = error as? PEtabError else { fatalError("\(what) threw \(type(of: error)), not PEtabError: \(error)") }
    guard e.description.contains("fuzz.tsv") else { fatalError("\(what): the error does not name the file: \(e)") }
}
