import CascadeCore
import Foundation

/// The one way to read a model or a PEtab problem from a file, used by the command line and by
/// experiment files alike, so they accept the same files and fail with the same messages.
///
///     let model = try ModelFile.load(URL(fileURLWithPath: "models/ketamine.ant"))
///     let problem = try ModelFile.loadPEtab(URL(fileURLWithPath: "Boehm/Boehm.yaml"))
///
/// The format follows the extension: `.ant` (or `.antimony`, `.txt`) is Antimony text, `.xml`
/// (or `.sbml`) is SBML. A missing file, a folder or another extension gives one
/// `ModelFileError` naming the path; errors inside a file are the readers' own, located by line
/// and column (`SourceErrors` for Antimony, `SBMLError` for SBML) or by element (`ModelFileError`
/// listing the model's structural problems, each prefixed by the path).
public enum ModelFile {
    /// The formats a model file can be in.
    public enum Format: String, Sendable, CaseIterable {
        case antimony
        case sbml

        /// The extensions (lower case, without the dot) read as this format.
        public var extensions: [String] {
            switch self {
            case .antimony: return ["ant", "antimony", "txt"]
            case .sbml: return ["xml", "sbml"]
            }
        }
    }

    /// The format of `url`, from its extension.
    public static func format(of url: URL) throws -> Format {
        let ext = url.pathExtension.lowercased()
        if let f = Format.allCases.first(where: { $0.extensions.contains(ext) }) { return f }
        let what = ext.isEmpty ? "has no extension" : "has the extension '.\(ext)'"
        throw ModelFileError(path: displayPath(url), "\(what); a model is .ant (Antimony text) or .xml (SBML)")
    }

    /// Reads a model from an Antimony (.ant) or SBML (.xml) file and validates it.
    public static func load(_ url: URL) throws -> Model {
        let path = displayPath(url)
        try requireFile(url)
        let model: Model
        switch try format(of: url) {
        case .sbml: model = try SBML.read(contentsOf: url)
        case .antimony: model = try Antimony.parse(contentsOf: url)
        }
        do { try model.validate() } catch let e as ModelErrors {
            throw ModelFileError(path: path, problems: e.errors.map(\.description))
        }
        return model
    }

    /// Reads a model from a path (relative to the working directory).
    public static func load(path: String) throws -> Model {
        try load(URL(fileURLWithPath: path))
    }

    /// Reads a PEtab version 1 problem (its YAML file and every table and model it names).
    public static func loadPEtab(_ url: URL) throws -> PEtabProblem {
        try requireFile(url)
        return try PEtabProblem(contentsOf: url)
    }

    /// Reads a PEtab problem from a path (relative to the working directory).
    public static func loadPEtab(path: String) throws -> PEtabProblem {
        try loadPEtab(URL(fileURLWithPath: path))
    }

    /// Throws unless `url` names an existing regular file (not a folder).
    public static func requireFile(_ url: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ModelFileError(path: displayPath(url), "no such file")
        }
        if isDirectory.boolValue {
            throw ModelFileError(path: displayPath(url), "is a folder, not a file")
        }
    }

    static func displayPath(_ url: URL) -> String {
        url.isFileURL ? url.relativePath : url.absoluteString
    }
}

/// A model or problem file that cannot be used: one message, or the model's structural problems
/// one per line, each prefixed by the path.
///
///     models/x.yaml: has the extension '.yaml'; a model is .ant (Antimony text) or .xml (SBML)
///     models/m.xml: reaction 'r1': reactant 'Z' is not a species
public struct ModelFileError: Error, CustomStringConvertible, Hashable, Sendable {
    public var path: String
    public var problems: [String]

    public init(path: String, _ message: String) {
        self.path = path
        problems = [message]
    }

    public init(path: String, problems: [String]) {
        self.path = path
        self.problems = problems
    }

    public var description: String {
        problems.map { "\(path): \($0)" }.joined(separator: "\n")
    }
}
