import Foundation

/// Reads an input file's bytes, or says in one sentence why it cannot: a directory, a missing
/// file, a permission problem. (Foundation's own error for a directory reads "The operation could
/// not be completed. (NSCocoaErrorDomain error 256.)".)
public enum InputFile {
    /// Why `path` cannot be read as a file, or nil when it can be opened.
    public static func problem(_ path: String) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return "cannot read the file: no such file" }
        if isDirectory.boolValue { return "cannot read the file: it is a directory" }
        guard FileManager.default.isReadableFile(atPath: path) else { return "cannot read the file: permission denied" }
        return nil
    }

    /// The file's contents; throws `Failure`-like `InputFileError` with the sentence from `problem`.
    public static func read(_ url: URL) throws -> Data {
        if url.isFileURL, let p = problem(url.path) { throw InputFileError(path: url.path, message: p) }
        do {
            return try Data(contentsOf: url)
        } catch {
            throw InputFileError(path: url.path, message: "cannot read the file: \(reason(error))")
        }
    }

    /// The POSIX reason under a Foundation file error, when there is one.
    static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        return ns.localizedDescription
    }
}

/// A file that cannot be read, with the reason.
public struct InputFileError: Error, Hashable, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}
