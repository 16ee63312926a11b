import CascadeCore
import CascadeFormats
import CascadeSolver
import Foundation

extension SweepPlan {
    /// What identifies a sweep's results: 16 hexadecimal digits hashed (64-bit FNV-1a) from a
    /// normalised text of the plan — every task's inputs and labels, the output times and columns,
    /// the solver settings, the start, and each model variant written as SBML. Edits that do not
    /// change any result (comments, layout, the order of keys in the experiment file) keep it;
    /// any other edit of the experiment or its model changes it.
    ///
    /// `--resume` refuses a checkpoint with another fingerprint (it spliced old rows into new
    /// results), and `merge` refuses shards of different sweeps.
    public var fingerprint: String {
        var h = FNV1a()
        func bits(_ v: Double) -> String { String(v.bitPattern, radix: 16) }
        h.add("columns"); for c in conditionColumns { h.add(c) }
        h.add("times"); for t in times { h.add(bits(t)) }
        h.add("outputs"); for o in outputs { h.add(o.id); h.add("\(o.quantity)") }
        h.add("start"); h.add(start.map(bits) ?? "-")
        let o = options
        h.add("options")
        for x in [o.relativeTolerance, o.absoluteTolerance, o.maxStepSize ?? -1, o.initialStepSize ?? -1] { h.add(bits(x)) }
        for (k, v) in o.absoluteTolerances.sorted(by: { $0.key < $1.key }) { h.add(k); h.add(bits(v)) }
        h.add("\(o.maxSteps) \(o.maxOrder) \(o.linearSolver.rawValue)")
        h.add("variants")
        for v in variants { h.add(SBML.write(v.model)) }
        h.add("tasks")
        for t in tasks {
            h.add("\(t.index) \(t.variant)")
            for l in t.labels { h.add(l) }
            for (k, v) in t.inputs.sorted(by: { $0.key < $1.key }) { h.add(k); h.add(bits(v)) }
        }
        return h.hex
    }
}

/// 64-bit FNV-1a over length-prefixed strings (so `["ab", "c"]` and `["a", "bc"]` differ).
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ s: String) {
        byte(contentsOf: String(s.utf8.count).utf8)
        byte(0x1F)
        byte(contentsOf: s.utf8)
    }

    private mutating func byte(contentsOf bytes: some Sequence<UInt8>) {
        for b in bytes { byte(b) }
    }

    private mutating func byte(_ b: UInt8) {
        value = (value ^ UInt64(b)) &* 0x0000_0100_0000_01B3
    }

    var hex: String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
