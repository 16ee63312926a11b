import CascadeCore
import CascadeFormats
import Foundation

/// libFuzzer entry: the input bytes, decoded as UTF-8 with invalid sequences replaced, are parsed
/// as Antimony. Parsing must either give a model or throw `SourceErrors` whose locations lie in
/// the text; a model must print to text that parses back to an equal model and prints the same.
/// Any other outcome stops the run with `fatalError`, which libFuzzer records as a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAntimony(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: data == nil ? 0 : size)
    let text = String(decoding: bytes, as: UTF8.self)
    let model: Model
    do {
        model = try Antimony.parse(text, path: "fuzz.ant")
    } catch let errors as SourceErrors {
        checkLocations(errors, text: text)
        return 0
    } catch {
        fatalError("Antimony.parse threw \(type(of: error)), not SourceErrors: \(error)")
    }
    let printed = Antimony.print(model)
    let again: Model
    do {
        again = try Antimony.parse(printed, path: "printed.ant")
    } catch {
        fatalError("printed model does not parse: \(error)\n--- printed:\n\(printed)")
    }
    // The subset refuses NaN values, so the models are always comparable (`==` on a model holding
    // NaN would fail).
    guard again == model else {
        fatalError("parse(print(m)) != m\n--- printed:\n\(printed)\n--- reprinted:\n\(Antimony.print(again))")
    }
    let reprinted = Antimony.print(again)
    guard reprinted == printed else {
        fatalError("printing is not stable\n--- printed:\n\(printed)\n--- reprinted:\n\(reprinted)")
    }
    return 0
}

/// Every error must point at a line of the text (or line 1 of an empty text) and a column ≥ 1.
private func checkLocations(_ errors: SourceErrors, text: String) {
    guard !errors.errors.isEmpty else { fatalError("SourceErrors without errors") }
    let lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
    for e in errors.errors {
        guard e.location.line >= 1, e.location.line <= max(1, lines), e.location.column >= 1, !e.message.isEmpty else {
            fatalError("error outside the text (\(lines) lines): \(e)")
        }
        _ = e.description  // renders the caret line
    }
}
