import CascadeFormats
import Foundation

/// Writes task blocks to a checkpoint file in task order and renames it onto the output when done.
///
/// The output goes through `OutputFile`: refused when it is a directory or an input; locked for the
/// whole run, so a second sweep on the same output is refused instead of sharing the checkpoint.
final class SweepWriter: @unchecked Sendable {
    let output: URL
    let checkpoint: URL
    let fingerprintFile: URL
    private let target: OutputFile
    private let outputLock: OutputLock
    private let handle: FileHandle
    private let lock = NSLock()
    private var pending: [Int: String] = [:]
    private var nextToWrite = 0
    private var failure: Error?
    /// Tasks already in the checkpoint when resuming, and their sweep indices in order.
    private(set) var completedTasks = 0
    private(set) var completedIndices: [Int] = []

    /// `fingerprint` identifies the sweep (`SweepPlan.fingerprint`); it is kept beside the
    /// checkpoint (`.NAME.fingerprint`) and a resumed checkpoint must carry the same.
    init(output: URL, header: String, fingerprint: String, resume: Bool, rowsPerTask: Int) throws {
        do {
            target = try OutputFile(output.path)
            if target.isSpecial {
                throw OutputError(path: output.path, "is not a regular file; a sweep writes a checkpoint beside its output and renames it into place")
            }
            outputLock = try target.lock()
            try target.checkNotAnInput()
        } catch let e as OutputError {
            throw SweepError.io(e.description)
        }
        self.output = target.url
        checkpoint = target.sibling(".partial")
        fingerprintFile = target.sibling(".fingerprint")
        let fm = FileManager.default
        var keep = 0
        if resume, fm.fileExists(atPath: checkpoint.path) {
            let data = try Data(contentsOf: checkpoint)
            let saved = (try? String(contentsOf: fingerprintFile, encoding: .utf8)) ?? ""
            guard let text = String(data: data, encoding: .utf8), text.hasPrefix(header),
                saved.trimmingCharacters(in: .whitespacesAndNewlines) == fingerprint
            else {
                throw SweepError.checkpointMismatch(checkpoint.path)
            }
            // Keep only whole task blocks: a block is complete when it has every row, or is one
            // failure row; anything after the last complete block is cut off.
            var offset = header.utf8.count
            var lines = text.dropFirst(header.count).split(separator: "\n", omittingEmptySubsequences: false)
            if text.last != "\n", !lines.isEmpty { lines.removeLast() }  // a torn last line
            var i = 0
            var indices: [Int] = []
            while i < lines.count {
                let line = lines[i]
                guard let comma = line.firstIndex(of: ","), let index = Int(line[..<comma]) else { break }
                let failed = line.contains(",failed: ") || line.contains(",\"failed: ")
                let size = failed ? 1 : rowsPerTask
                guard i + size <= lines.count,
                    lines[i ..< i + size].allSatisfy({ $0.hasPrefix("\(index),") })
                else { break }
                for l in lines[i ..< i + size] { offset += l.utf8.count + 1 }
                indices.append(index)
                i += size
            }
            keep = offset
            completedTasks = indices.count
            completedIndices = indices
        }
        if keep == 0 {
            // The fingerprint first: a checkpoint never exists without it.
            guard fm.createFile(atPath: fingerprintFile.path, contents: Data((fingerprint + "\n").utf8)) else {
                throw SweepError.io("\(fingerprintFile.path): cannot create the checkpoint's fingerprint file")
            }
            guard fm.createFile(atPath: checkpoint.path, contents: Data(header.utf8)) else {
                throw SweepError.io("\(checkpoint.path): cannot create the checkpoint file")
            }
        }
        guard let h = FileHandle(forUpdatingAtPath: checkpoint.path) else {
            throw SweepError.io("\(checkpoint.path): cannot open the checkpoint file")
        }
        handle = h
        if keep > 0 {
            try handle.truncate(atOffset: UInt64(keep))
        }
        try handle.seekToEnd()
    }

    /// Accepts the block of the k-th remaining task; writes every block whose predecessors are in.
    func submit(_ k: Int, _ block: String) {
        lock.lock()
        defer { lock.unlock() }
        pending[k] = block
        while let b = pending.removeValue(forKey: nextToWrite) {
            do { try handle.write(contentsOf: Data(b.utf8)) } catch { failure = failure ?? error }
            nextToWrite += 1
        }
    }

    /// Flushes and renames the checkpoint onto the output.
    func finish() throws {
        if let failure { throw SweepError.io("\(checkpoint.path): \(failure.localizedDescription)") }
        try handle.synchronize()
        try handle.close()
        // rename(2) replaces a file in one step and refuses a directory: the output is never
        // removed first (that deleted a directory given as --output, recursively).
        do { try target.moveIntoPlace(checkpoint) } catch let e as OutputError { throw SweepError.io(e.description) }
        try? FileManager.default.removeItem(at: fingerprintFile)
        outputLock.release()
    }
}

/// Joins shard outputs into the output the unsharded sweep would have written, byte for byte.
public enum SweepMerge {
    public static func merge(_ shards: [URL], into output: URL) throws {
        let target: OutputFile
        do { target = try OutputFile(output.path) } catch let e as OutputError { throw SweepError.io(e.description) }
        var header: String?
        var blocks: [(index: Int, text: String)] = []
        var identity: ((fingerprint: String, count: Int), URL)?
        var seen: [Int: URL] = [:]
        for url in shards {
            let text: String
            do { text = try InputFile.text(url) } catch {
                throw SweepError.badShardFile((error as? InputFileError)?.description ?? "\(url.path): cannot read")
            }
            guard let firstNewline = text.firstIndex(of: "\n") else {
                throw SweepError.badShardFile("\(url.path): empty")
            }
            guard let (shard, fp) = SweepFormat.parseShardLine(text[..<firstNewline]) else {
                throw SweepError.badShardFile(
                    "\(url.path): not the output of `cascade sweep --shard i/n` (its first line is not '# cascade sweep shard i/n fingerprint ...')")
            }
            if let (first, firstURL) = identity, first.fingerprint != fp || first.count != shard.count {
                throw SweepError.badShardFile(
                    first.fingerprint != fp
                        ? "\(url.path) and \(firstURL.path) are shards of different sweeps (fingerprints \(fp) and \(first.fingerprint))"
                        : "\(url.path) is shard \(shard) but \(firstURL.path) is of \(first.count) shards")
            }
            if identity == nil { identity = ((fp, shard.count), url) }
            if let other = seen[shard.index] {
                throw SweepError.badShardFile("\(url.path) and \(other.path) are both shard \(shard)")
            }
            seen[shard.index] = url
            let body = text[text.index(after: firstNewline)...]
            guard let headerEnd = body.firstIndex(of: "\n") else {
                throw SweepError.badShardFile("\(url.path): no header after the shard line")
            }
            let h = String(body[...headerEnd])
            if let header, header != h {
                throw SweepError.badShardFile("\(url.path): its header differs from the first shard's; these are not shards of one sweep")
            }
            header = h
            var current: (index: Int, text: String)?
            for line in body[body.index(after: headerEnd)...].split(separator: "\n") {
                guard let comma = line.firstIndex(of: ","), let index = Int(line[..<comma]) else {
                    throw SweepError.badShardFile("\(url.path): a row without a task index: \(line.prefix(60))")
                }
                guard index >= 0, index % shard.count == shard.index else {
                    throw SweepError.badShardFile("\(url.path): task \(index) does not belong to shard \(shard)")
                }
                if current?.index == index {
                    current!.text += line + "\n"
                } else {
                    if let c = current { blocks.append(c) }
                    current = (index, line + "\n")
                }
            }
            if let c = current { blocks.append(c) }
        }
        if let (first, _) = identity {
            let missing = (0 ..< first.count).filter { seen[$0] == nil }
            if !missing.isEmpty {
                throw SweepError.badShardFile(
                    "shard\(missing.count == 1 ? "" : "s") \(missing.map { "\($0)/\(first.count)" }.joined(separator: ", ")) of this sweep \(missing.count == 1 ? "is" : "are") missing"
                )
            }
        }
        blocks.sort { $0.index < $1.index }
        for i in 1 ..< max(1, blocks.count) where blocks[i].index == blocks[i - 1].index {
            throw SweepError.badShardFile("task \(blocks[i].index) appears in two shards")
        }
        let text = (header ?? "") + blocks.map(\.text).joined()
        do { try target.write(text) } catch let e as OutputError { throw SweepError.io(e.description) }
    }
}

/// A progress bar on standard error, shown only on a terminal and only after two seconds.
public final class ProgressBar: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    private var done = 0
    private var startDone = 0
    private var started = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false
    private let enabled: Bool

    /// `enabled` defaults to whether standard error is a terminal.
    public init(enabled: Bool = isatty(STDERR_FILENO) != 0) { self.enabled = enabled }

    func start(total: Int, done: Int) {
        lock.lock(); defer { lock.unlock() }
        self.total = total
        self.done = done
        startDone = done
        started = Date()
    }

    func advance() {
        lock.lock(); defer { lock.unlock() }
        done += 1
        let now = Date()
        guard enabled, now.timeIntervalSince(started) > 2, now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        draw(now)
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        if drawn {
            draw(Date())
            FileHandle.standardError.write(Data("\n".utf8))
        }
    }

    private func draw(_ now: Date) {
        drawn = true
        let width = 30
        let fraction = total == 0 ? 1 : Double(done) / Double(total)
        let filled = Int(fraction * Double(width))
        let elapsed = now.timeIntervalSince(started)
        let rate = Double(done - startDone) / max(elapsed, 1e-9)
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        let line = String(format: "\r[%@] %d/%d  %.1f sims/s  ETA %.0fs ", bar, done, total, rate, eta)
        FileHandle.standardError.write(Data(line.utf8))
    }
}
