import CascadeCore
import Foundation

/// SBML import and export.
///
/// Reads SBML Level 2 (Versions 1-5) and Level 3 (Versions 1-2) core into a `Model`, and writes a
/// `Model` as SBML Level 3 Version 2 core. Cascade's IR follows SBML Level 3 semantics (extensive
/// reaction rates, species symbols meaning concentrations unless `hasOnlySubstanceUnits`, local
/// parameters shadowing globals), so reading translates structure and MathML without rewriting
/// the mathematics.
///
///     let model = try SBML.read(contentsOf: URL(fileURLWithPath: "model.xml"))
///     try model.validate()                 // reading does not validate; the caller decides
///     let xml = SBML.write(model)          // SBML L3V2; SBML.read(xml) gives the same Model
///
/// What is not supported raises an `SBMLError` naming the file, line, column and element: SBML
/// Level 1; Level 3 packages (comp, fbc, ...; presentation-only layout, render and groups are
/// skipped); the `delay` csymbol; MathML outside SBML's subset. Notes, annotations, metaids, SBO
/// terms, constraints, compartment and species types, and area and length units are not kept.
/// Documents must be UTF-8 (US-ASCII and ISO-8859-1 are also read), without a `<!DOCTYPE>`, and
/// processing instructions need data (`<?name data?>`): Foundation's XMLParser on Linux crashes
/// on `<?name?>` (also when an entity of a DTD expands to it) and on bytes an iconv-decoded
/// encoding such as UTF-7 rejects, so `SBMLXML` refuses these before parsing.
/// See `SBMLReader` for the defaults applied to missing attributes and elements without math.
public enum SBML {
    /// Reads an SBML file. Throws `SBMLError` (or the file system's error if it cannot be read).
    public static func read(contentsOf url: URL) throws -> Model {
        let data: Data
        do { data = try InputFile.read(url) } catch let e as InputFileError {
            throw SBMLError(.malformedXML, path: e.path, line: 1, column: 1, message: e.message)
        }
        return try read(data: data, path: url.path)
    }

    /// Reads SBML from memory; `path` names the input in error messages.
    public static func read(data: Data, path: String = "<input>") throws -> Model {
        let root = try SBMLXML.parse(data, path: path)
        return try SBMLReader(root: root, path: path).read()
    }

    /// Reads SBML from a string; `path` names the input in error messages.
    public static func read(string: String, path: String = "<input>") throws -> Model {
        try read(data: Data(string.utf8), path: path)
    }

    /// Reads an SBML file and validates the model, throwing `SBMLError` for the document and
    /// `ModelErrors` for the model's structure.
    public static func readValidated(contentsOf url: URL) throws -> Model {
        let model = try read(contentsOf: url)
        try model.validate()
        return model
    }

    /// Writes `model` as an SBML Level 3 Version 2 core document.
    ///
    /// Reading the result gives back an equal `Model` (numbers are written with enough digits to
    /// read back exactly). Observables and fast reactions, which SBML core cannot express, are
    /// kept through annotations that `read` understands (see `SBMLWriter`). NaN values compare
    /// unequal to themselves, so a model holding NaN reads back equal in every respect but `==`.
    public static func write(_ model: Model) -> String {
        SBMLWriter.write(model)
    }
}
