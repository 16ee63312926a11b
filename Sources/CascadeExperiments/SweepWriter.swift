import Foundation

/// Writes task blocks to a checkpoint file in task order and renames it onto the output when done.
final class SweepWriter: @unchecked Sendable {
    let output: URL
    let checkpoint: URL
    private let handle: FileHandle
    private let lock = NSLock()
    private var pending: [Int: String] = [:]
    private var nextToWrite = 0
    private var failure: Error?
    /// Tasks already in the checkpoint when resuming, and their sweep indices in order.
    private(set) var completedTasks = 0
    private(set) var completedIndices: [Int] = []

    init(output: URL, header: String, resume: Bool, rowsPerTask: Int) throws {
        self.output = output
        checkpoint = output.deletingLastPathComponent().appendingPathComponent("." + output.lastPathComponent + ".partial")
        let fm = FileManager.default
        var keep = 0
        if resume, fm.fileExists(atPath: checkpoint.path) {
            let data = try Data(contentsOf: checkpoint)
            guard let text = String(data: data, encoding: .utf8), text.hasPrefix(header) else {
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
                      lines[i ..< i + size].allSatisfy({ $0.hasPrefix("\(index),") }) else { break }
                for l in lines[i ..< i + size] { offset += l.utf8.count + 1 }
                indices.append(index)
                i += size
            }
            keep = offset
            completedTasks = indices.count
            completedIndices = indices
        }
        if keep == 0 {
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
        let fm = FileManager.default
        if fm.fileExists(atPath: output.path) { try fm.removeItem(at: output) }
        do {
            try fm.moveItem(at: checkpoint, to: output)
        } catch {
            throw SweepError.io("\(output.path): cannot move the finished sweep into place: \(error.localizedDescription)")
        }
    }
}

/// Joins shard outputs into the output the unsharded sweep would have written, byte for byte.
public enum SweepMerge {
    public static func merge(_ shards: [URL], into output: URL) throws {
        var header: String?
        var blocks: [(index: Int, text: String)] = []
        for url in shards {
            guard let text = try? String(contentsOf: url, encoding: .utf8) else {
                throw SweepError.badShardFile("\(url.path): cannot read")
            }
            guard let firstNewline = text.firstIndex(of: "\n") else {
                throw SweepError.badShardFile("\(url.path): empty")
            }
            let h = String(text[...firstNewline])
            if let header, header != h {
                throw SweepError.badShardFile("\(url.path): its header differs from the first shard's; these are not shards of one sweep")
            }
            header = h
            var current: (index: Int, text: String)?
            for line in text[text.index(after: firstNewline)...].split(separator: "\n") {
                guard let comma = line.firstIndex(of: ","), let index = Int(line[..<comma]) else {
                    throw SweepError.badShardFile("\(url.path): a row without a task index: \(line.prefix(60))")
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
        blocks.sort { $0.index < $1.index }
        for i in 1 ..< max(1, blocks.count) where blocks[i].index == blocks[i - 1].index {
            throw SweepError.badShardFile("task \(blocks[i].index) appears in two shards")
        }
        let text = (header ?? "") + blocks.map(\.text).joined()
        do {
            try Data(text.utf8).write(to: output, options: .atomic)
        } catch {
            throw SweepError.io("\(output.path): cannot write: \(error.localizedDescription)")
        }
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
