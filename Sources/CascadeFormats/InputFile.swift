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

    /// The file's contents, or an `InputFileError` with the sentence from `problem`. The file is
    /// remembered as an input of this process, so that no output overwrites it (`OutputFile`).
    public static func read(_ url: URL) throws -> Data {
        if url.isFileURL, let p = problem(url.path) { throw InputFileError(path: url.path, message: p) }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw InputFileError(path: url.path, message: "cannot read the file: \(reason(error))")
        }
        if url.isFileURL { record(url.path) }
        return data
    }

    /// The file's contents as UTF-8 text (`read`, then decoded).
    public static func text(_ url: URL) throws -> String {
        let data = try read(url)
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputFileError(path: url.path, message: "the file is not UTF-8 text")
        }
        return text
    }

    /// Remembers `path` as an input of this process.
    public static func record(_ path: String) {
        guard let id = FileIdentity(path) else { return }
        registry.withLock { $0[id] = $0[id] ?? path }
    }

    /// The input read so far that is the file `id`, if any.
    static func readPath(matching id: FileIdentity) -> String? {
        registry.withLock { $0[id] }
    }

    private static let registry = Locked<[FileIdentity: String]>([:])

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

/// A value behind a lock.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
