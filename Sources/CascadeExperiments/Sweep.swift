import CascadeCore
import CascadeSolver
import Foundation

/// One simulation of a sweep: a model variant and the inputs that differ from its nominal values.
public struct SweepTask: Sendable, Hashable {
    /// Position in the whole sweep (before sharding); results are written in this order.
    public var index: Int
    /// Which compiled model of `SweepPlan.variants` to simulate.
    public var variant: Int
    /// Text of the condition columns for this task (one per `SweepPlan.conditionColumns`).
    public var labels: [String]
    public var inputs: [String: Double]

    public init(index: Int, variant: Int = 0, labels: [String], inputs: [String: Double]) {
        self.index = index
        self.variant = variant
        self.labels = labels
        self.inputs = inputs
    }
}

/// Everything a sweep needs; symbolic work (compiling the variants) is done before it exists.
public struct SweepPlan: Sendable {
    public var conditionColumns: [String]
    public var variants: [CompiledModel]
    public var tasks: [SweepTask]
    public var times: [Double]
    public var outputs: [OutputColumn]
    public var options: SolverOptions
    public var start: Double?

    public init(
        conditionColumns: [String], variants: [CompiledModel], tasks: [SweepTask], times: [Double],
        outputs: [OutputColumn], options: SolverOptions = SolverOptions(), start: Double? = nil
    ) {
        self.conditionColumns = conditionColumns
        self.variants = variants
        self.tasks = tasks
        self.times = times
        self.outputs = outputs
        self.options = options
        self.start = start
    }

    /// A full-factorial grid over named values: every combination, the last name varying fastest.
    public static func grid(_ axes: [(id: String, values: [Double])], variant: Int = 0) -> [SweepTask] {
        var tasks: [SweepTask] = []
        var counters = [Int](repeating: 0, count: axes.count)
        if axes.contains(where: { $0.values.isEmpty }) { return [] }
        while true {
            var inputs: [String: Double] = [:]
            var labels: [String] = []
            for (a, axis) in axes.enumerated() {
                inputs[axis.id] = axis.values[counters[a]]
                labels.append(formatNumber(axis.values[counters[a]]))
            }
            tasks.append(SweepTask(index: tasks.count, variant: variant, labels: labels, inputs: inputs))
            var a = axes.count - 1
            while a >= 0 {
                counters[a] += 1
                if counters[a] < axes[a].values.count { break }
                counters[a] = 0
                a -= 1
            }
            if a < 0 { break }
        }
        return tasks
    }
}

/// A deterministic slice of a sweep: the tasks whose index modulo `count` equals `index`.
public struct Shard: Hashable, Sendable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    /// Parses `i/n` with 0 ≤ i < n.
    public init?(_ text: String) {
        let parts = text.split(separator: "/").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let i = parts[0], let n = parts[1], n > 0, i >= 0, i < n else { return nil }
        index = i
        count = n
    }

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    public func contains(_ task: SweepTask) -> Bool { task.index % count == index }
    public var description: String { "\(index)/\(count)" }
}

/// What a finished sweep did.
public struct SweepSummary: Sendable, Hashable {
    public var completed = 0
    public var failed = 0
    /// Tasks found already done in the checkpoint when resuming.
    public var resumed = 0
    public var seconds = 0.0
}

/// Runs a sweep on all cores, streaming results to disk in task order.
///
/// Results go to a checkpoint file beside the output (`.NAME.partial`) as each task finishes (a
/// small reorder buffer keeps them in task order, so memory stays flat in the number of
/// simulations). When every task is done the checkpoint is renamed onto the output: the output
/// is whole or absent. A killed sweep leaves only the checkpoint; `resume` continues from it.
/// A failed simulation is recorded with its reason while the rest go on.
public enum SweepRunner {
    public static func run(
        _ plan: SweepPlan, output: URL, shard: Shard? = nil, resume: Bool = false,
        threads: Int = ProcessInfo.processInfo.activeProcessorCount,
        progress: ProgressBar? = nil
    ) throws -> SweepSummary {
        let started = Date()
        let tasks = plan.tasks.filter { shard?.contains($0) ?? true }
        let fingerprint = plan.fingerprint
        let header = (shard.map { SweepFormat.shardLine($0, fingerprint: fingerprint) } ?? "") + SweepFormat.header(plan)
        let writer = try SweepWriter(
            output: output, header: header, fingerprint: fingerprint, resume: resume,
            rowsPerTask: plan.times.count)
        let done = writer.completedTasks
        guard done <= tasks.count else {
            throw SweepError.checkpointMismatch(writer.checkpoint.path)
        }
        // The checkpoint holds the first `done` tasks of this sweep, in order.
        for (k, t) in tasks.prefix(done).enumerated() where writer.completedIndices[k] != t.index {
            throw SweepError.checkpointMismatch(writer.checkpoint.path)
        }
        let todo = Array(tasks.dropFirst(done))
        progress?.start(total: tasks.count, done: done)
        // Each finished task goes to the writer at once (it keeps them in order), so the
        // checkpoint grows while the sweep runs.
        var runner = ParallelRunner(threads: threads)
        if let progress { runner.progress = { @Sendable _, _ in progress.advance() } }
        let failed = runner.run(count: todo.count, worker: { [Int: Simulator]() }) { simulators, k in
            let task = todo[k]
            let block: String
            var failed = false
            do {
                let sim: Simulator
                if let s = simulators[task.variant] {
                    sim = s
                } else {
                    sim = try Simulator(plan.variants[task.variant], options: plan.options)
                    simulators[task.variant] = sim
                }
                let traj = try sim.simulate(times: plan.times, outputs: plan.outputs, inputs: task.inputs, start: plan.start)
                block = SweepFormat.rows(task, traj)
            } catch {
                failed = true
                block = SweepFormat.failure(task, error, columns: plan.outputs.count)
            }
            writer.submit(k, block)
            return failed
        }.filter { (try? $0.get()) ?? true }.count
        try writer.finish()
        progress?.finish()
        return SweepSummary(
            completed: todo.count - failed, failed: failed, resumed: done,
            seconds: Date().timeIntervalSince(started))
    }
}

public enum SweepError: Error, CustomStringConvertible, Equatable {
    case checkpointMismatch(String)
    case io(String)
    case badShardFile(String)

    public var description: String {
        switch self {
        case .checkpointMismatch(let p):
            return
                "\(p): the checkpoint does not belong to this sweep (the experiment, its model or the shard changed since it was written); delete it or run without --resume"
        case .io(let m): return m
        case .badShardFile(let m): return m
        }
    }
}

/// The sweep's CSV: `index,<condition columns>,status,time,<outputs>`; one row per output time
/// for a finished task, one row with `failed: reason` for a failed one.
public enum SweepFormat {
    /// The first line of a shard's output: which slice of which sweep it holds. `merge` reads it
    /// and leaves it out; an unsharded output has no such line.
    public static func shardLine(_ shard: Shard, fingerprint: String) -> String {
        "# cascade sweep shard \(shard.index)/\(shard.count) fingerprint \(fingerprint)\n"
    }

    /// Parses a shard line (without its newline).
    static func parseShardLine(_ line: Substring) -> (shard: Shard, fingerprint: String)? {
        let f = line.split(separator: " ", omittingEmptySubsequences: false)
        guard f.count == 7, f[0] == "#", f[1] == "cascade", f[2] == "sweep", f[3] == "shard", f[5] == "fingerprint",
            let shard = Shard(String(f[4])), !f[6].isEmpty
        else { return nil }
        return (shard, String(f[6]))
    }
    public static func header(_ plan: SweepPlan) -> String {
        (["index"] + plan.conditionColumns + ["status", "time"] + plan.outputs.map(columnName)).map(csvField).joined(separator: ",") + "\n"
    }

    static func columnName(_ c: OutputColumn) -> String {
        switch c.quantity {
        case .value: return c.id
        case .amount: return "\(c.id)_amount"
        case .concentration: return c.id
        }
    }

    static func rows(_ task: SweepTask, _ traj: Trajectory) -> String {
        var out = ""
        let prefix = ([String(task.index)] + task.labels.map(csvField) + ["ok"]).joined(separator: ",")
        for r in 0 ..< traj.rowCount {
            out += prefix + "," + formatNumber(traj.times[r])
            for c in 0 ..< traj.columns.count { out += "," + formatNumber(traj[r, c]) }
            out += "\n"
        }
        return out
    }

    static func failure(_ task: SweepTask, _ error: Error, columns: Int) -> String {
        let reason = "failed: " + "\(error)".replacingOccurrences(of: "\n", with: " ")
        return
            ([String(task.index)] + task.labels.map(csvField) + [csvField(reason), ""]
            + Array(repeating: "", count: columns)).joined(separator: ",") + "\n"
    }
}
