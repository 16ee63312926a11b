import CascadeCore
import CascadeFormats
import Foundation

/// libFuzzer entry: the input bytes are read as SBML. Reading must either give a model or throw
/// `SBMLError`; a model must be writable as SBML that reads back to an equal model (or, when the
/// model holds NaN, which never equals itself, one that writes the same text), and validating
/// it or printing it as Antimony must not crash. Any other outcome stops the run with
/// `fatalError`, which libFuzzer records as a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSBML(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = data == nil ? Data() : Data(bytes: data!, count: size)
    let model: Model
    do {
        model = try SBML.read(data: input, path: "fuzz.xml")
    } catch is SBMLError {
        return 0
    } catch {
        fatalError("SBML.read threw \(type(of: error)), not SBMLError: \(error)")
    }
    let written = SBML.write(model)
    let again: Model
    do {
        again = try SBML.read(string: written, path: "written.xml")
    } catch {
        fatalError("written SBML does not read: \(error)\n--- written:\n\(written)")
    }
    // NaN never equals itself, so a model holding NaN (`<notanumber/>`) cannot compare equal; it
    // must then write the same text again. (`model == model` would not tell: arrays compare equal
    // by identity before comparing elements.)
    if again != model {
        guard written.contains("<notanumber/>"), SBML.write(again) == written else {
            fatalError("read(write(m)) != m\n--- written:\n\(written)\n--- written again:\n\(SBML.write(again))")
        }
    }
    _ = model.validationErrors()
    _ = Antimony.print(model)
    return 0
}
