import Foundation

/// Sizes checked before allocating: a table of `rows × columns` values (or a list of items) must
/// fit in the memory the machine has available, with its product computed without overflow.
/// `simulate --steps 100000000000` used to abort allocating 800 GB, and `--steps` near `Int.max`
/// trapped on overflow; a sweep axis of 10^11 values did the same.
public enum MemoryBudget {
    /// Bytes of memory available to this process now: `MemAvailable` from `/proc/meminfo` on
    /// Linux, the physical memory elsewhere (or when that file cannot be read).
    public static var available: Int {
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) {
            for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
                let fields = line.split(separator: " ")
                if fields.count >= 2, let kB = Int(fields[1]) { return kB.multipliedReportingOverflow(by: 1024).overflow ? Int.max : kB * 1024 }
            }
        }
        let physical = ProcessInfo.processInfo.physicalMemory
        return physical > UInt64(Int.max) ? Int.max : Int(physical)
    }

    /// The product of `factors`, or nil when it overflows `Int` or a factor is negative.
    public static func product(_ factors: [Int]) -> Int? {
        var p = 1
        for f in factors {
            guard f >= 0 else { return nil }
            let (r, overflow) = p.multipliedReportingOverflow(by: f)
            if overflow { return nil }
            p = r
        }
        return p
    }

    /// Why `count` items of `bytesEach` bytes (the factors of the count given separately, so the
    /// message can show them) cannot be held in memory, or nil when they can. `what` names the
    /// items in the message ("rows × columns of the trajectory").
    public static func problem(_ factors: [Int], bytesEach: Int, what: String, available: Int = MemoryBudget.available) -> String? {
        let shown = factors.map(String.init).joined(separator: " × ")
        guard let count = product(factors), let bytes = product([count, bytesEach]) else {
            return "\(what) (\(shown)) is too large to count"
        }
        if bytes > available {
            let size = factors.count == 1 ? "" : " (\(shown) = \(count))"
            return "\(what)\(size) needs about \(describe(bytes)) of memory; \(describe(available)) is available"
        }
        return nil
    }

    /// `bytes` in the largest unit that keeps it at least 1 (kB, MB, GB, TB; powers of 1000).
    public static func describe(_ bytes: Int) -> String {
        let units = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB"]
        var v = Double(bytes), i = 0
        while v >= 1000, i < units.count - 1 { v /= 1000; i += 1 }
        return i == 0 ? "\(bytes) bytes" : "\(String(format: "%.1f", v)) \(units[i])"
    }
}
