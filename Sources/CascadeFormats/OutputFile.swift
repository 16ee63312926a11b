import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An output file written safely, the one place every command writes files through:
///
/// - refused when it is a directory, or the same file (device and inode, after following links)
///   as any input this process has read (`InputFile` records them) or is given;
/// - locked while it is written (`flock` on `.<name>.lock` beside it), so two runs cannot write one
///   output: the second is refused at once;
/// - written whole or not at all: a temporary `.<name>.cascade-tmp.<pid>` beside it, flushed to
///   disk and renamed over the output (rename replaces a file and never a directory);
/// - temporary files a killed run left for the same output are removed on the next write.
///
/// An existing output that is not a regular file (`/dev/null`, `/dev/stdout`, a pipe) is written
/// directly: renaming over it would replace the device with a file.
public struct OutputFile: Sendable {
    public let url: URL
    public var path: String { url.path }
    /// The output exists and is not a regular file (a device, a pipe).
    public let isSpecial: Bool

    /// Checks what can be checked before any work is done: the path names no directory and its
    /// folder exists.
    public init(_ path: String) throws {
        guard !path.isEmpty else { throw OutputError(path: path, "an empty output path") }
        // A symbolic link is followed: its target is the file written (renaming over the link
        // would replace the link instead).
        if let real = realpath(path, nil) {
            url = URL(fileURLWithPath: String(cString: real))
            free(real)
        } else {
            url = URL(fileURLWithPath: path).standardizedFileURL
        }
        var s = stat()
        isSpecial = stat(url.path, &s) == 0 && (s.st_mode & S_IFMT) != S_IFREG && (s.st_mode & S_IFMT) != S_IFDIR
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw OutputError(path: path, "is a directory; the output must be a file")
        }
        if path.hasSuffix("/") { throw OutputError(path: path, "names a directory; the output must be a file") }
        let folder = url.deletingLastPathComponent().path
        if !FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) || !isDirectory.boolValue {
            throw OutputError(path: path, "cannot write: the folder \(folder) does not exist")
        }
    }

    /// A file beside the output, hidden: `.<name><suffix>`.
    public func sibling(_ suffix: String) -> URL {
        url.deletingLastPathComponent().appendingPathComponent("." + url.lastPathComponent + suffix)
    }

    /// Refuses the output when it is the same file as an input read so far or one of `inputs`.
    public func checkNotAnInput(_ inputs: [String] = []) throws {
        guard let id = FileIdentity(path) else { return }
        for input in inputs where FileIdentity(input) == id {
            throw OutputError(path: path, "is also an input (\(input)); writing it would destroy that input")
        }
        if let input = InputFile.readPath(matching: id) {
            throw OutputError(path: path, "is also an input (\(input)); writing it would destroy that input")
        }
    }

    /// Takes the output's lock; throws at once when another process holds it.
    public func lock() throws -> OutputLock {
        try OutputLock(output: self)
    }

    /// Writes `data` whole: locked, checked against the inputs, through a temporary file renamed
    /// into place. `updatingInput` is for the one command meant to rewrite what it read
    /// (`cascade check --update` rewriting reference trajectories).
    public func write(_ data: Data, inputs: [String] = [], updatingInput: Bool = false) throws {
        if isSpecial {
            try writeDirectly(data)
            return
        }
        let held = try lock()
        defer { held.release() }
        if !updatingInput { try checkNotAnInput(inputs) }
        try replace(with: data)
    }

    /// `write` for text.
    public func write(_ text: String, inputs: [String] = [], updatingInput: Bool = false) throws {
        try write(Data(text.utf8), inputs: inputs, updatingInput: updatingInput)
    }

    /// The temporary file this process writes the output through.
    var temporary: URL { sibling(".cascade-tmp.\(getpid())") }

    /// Writes through the temporary file and renames it over the output; the caller holds the lock.
    func replace(with data: Data) throws {
        removeStaleTemporaries()
        let tmp = temporary
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw OutputError(path: path, "cannot write: \(String(cString: strerror(errno)))") }
        var failure = writeAll(fd, data) ?? 0
        if failure == 0, fsync(fd) != 0 { failure = errno }
        close(fd)
        if failure != 0 {
            unlink(tmp.path)
            throw OutputError(path: path, "cannot write: \(String(cString: strerror(failure)))")
        }
        try moveIntoPlace(tmp)
    }

    /// Writes to a device or pipe as it is (no temporary file, no lock beside it).
    func writeDirectly(_ data: Data) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw OutputError(path: path, "cannot write: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        if let failure = writeAll(fd, data) {
            throw OutputError(path: path, "cannot write: \(String(cString: strerror(failure)))")
        }
    }

    /// Renames `file` over the output (atomic; refuses to replace a directory).
    public func moveIntoPlace(_ file: URL) throws {
        if rename(file.path, path) != 0 {
            let reason = errno == EISDIR ? "it is a directory" : String(cString: strerror(errno))
            unlink(file.path)
            throw OutputError(path: path, "cannot move the finished file into place: \(reason)")
        }
    }

    /// Temporary files of this output left by runs that were killed while writing it. Only
    /// called with the lock held, so no live run is writing them.
    func removeStaleTemporaries() {
        let folder = url.deletingLastPathComponent()
        let prefix = "." + url.lastPathComponent + ".cascade-tmp."
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return }
        for name in names where name.hasPrefix(prefix) {
            unlink(folder.appendingPathComponent(name).path)
        }
    }
}

/// A held output lock: `flock` on `.<name>.lock` beside the output. Released (and the lock file
/// removed) by `release()`, or by the system when the process ends, however it ends.
public final class OutputLock: @unchecked Sendable {
    private var fd: Int32
    private let lockPath: String

    init(output: OutputFile) throws {
        lockPath = output.sibling(".lock").path
        // A lock file may be removed by the holder between our open and our flock; lock again
        // until the locked file is the one at the path.
        while true {
            let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw OutputError(path: output.path, "cannot create the lock file \(lockPath): \(String(cString: strerror(errno)))")
            }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let busy = errno == EWOULDBLOCK
                let reason = String(cString: strerror(errno))
                close(fd)
                throw OutputError(
                    path: output.path,
                    busy
                        ? "another cascade run is writing this output (it holds \(lockPath)); wait for it or choose another output"
                        : "cannot lock \(lockPath): \(reason)")
            }
            var held = stat(), atPath = stat()
            if fstat(fd, &held) == 0, stat(lockPath, &atPath) == 0, held.st_dev == atPath.st_dev, held.st_ino == atPath.st_ino {
                self.fd = fd
                return
            }
            close(fd)
        }
    }

    public func release() {
        guard fd >= 0 else { return }
        unlink(lockPath)
        close(fd)
        fd = -1
    }

    deinit { release() }
}

/// Why an output cannot be written.
public struct OutputError: Error, Hashable, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "\(path): \(message)" }
}

/// A file's device and inode, following symbolic links: two paths with the same identity are the
/// same file.
struct FileIdentity: Hashable, Sendable {
    var device: UInt64
    var inode: UInt64

    init?(_ path: String) {
        var s = stat()
        guard stat(path, &s) == 0 else { return nil }
        device = UInt64(s.st_dev)
        inode = UInt64(s.st_ino)
    }
}

/// Writes all of `data` to `fd`; the errno of the failure, or nil.
private func writeAll(_ fd: Int32, _ data: Data) -> Int32? {
    data.withUnsafeBytes { raw -> Int32? in
        var offset = 0
        while offset < raw.count {
            let n = posixWrite(fd, raw.baseAddress! + offset, raw.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += n
        }
        return nil
    }
}

/// `write(2)` (a name the methods called `write` would hide).
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
