/// Sizes of the inputs every tape of one compiled model reads.
struct InputLayout: Hashable, Sendable {
    var params: Int
    var states: Int
    var nominals: Int

    var paramOffset: Int { 1 }
    var stateOffset: Int { 1 + params }
    var nominalOffset: Int { 1 + params + states }
    /// Slots before constants: time, parameters, states, nominal values.
    var inputSlots: Int { 1 + params + states + nominals }
}

/// A flat program over a register file: no tree walking, no allocation while it runs.
///
/// Register file layout: `[time, p..., y..., q..., constants..., temporaries...]`. Each
/// instruction writes one temporary from up to three earlier registers.
struct Tape: Sendable {
    struct Instruction: Sendable {
        var op: GOp
        var dst: Int32
        var a: Int32
        var b: Int32
        var c: Int32
    }

    let layout: InputLayout
    let instructions: [Instruction]
    /// Register holding each output.
    let outputs: [Int32]
    /// Initial register contents (inputs zero, constants set); copied into a workspace once.
    let template: [Double]

    var registerCount: Int { template.count }

    /// Compiles the sub-graph needed for `outputs`. Shared nodes are computed once.
    init(graph: Graph, outputs roots: [NodeID], layout: InputLayout) {
        self.layout = layout
        // Reachable nodes.
        var needed = [Bool](repeating: false, count: graph.count)
        var stack = roots.filter { $0 >= 0 }
        while let n = stack.popLast() {
            if needed[Int(n)] { continue }
            needed[Int(n)] = true
            for a in graph[n].args where !needed[Int(a)] { stack.append(a) }
        }
        var slot = [Int32](repeating: -1, count: graph.count)
        var template = [Double](repeating: 0, count: layout.inputSlots)
        var instructions: [Instruction] = []
        // Constants first, then instructions in topological (id) order.
        for i in 0 ..< graph.count where needed[i] {
            let n = graph[NodeID(i)]
            switch n.op {
            case .time: slot[i] = 0
            case .param: slot[i] = Int32(layout.paramOffset) + n.a
            case .state: slot[i] = Int32(layout.stateOffset) + n.a
            case .nominal: slot[i] = Int32(layout.nominalOffset) + n.a
            case .const:
                slot[i] = Int32(template.count)
                template.append(n.value)
            default: break
            }
        }
        for i in 0 ..< graph.count where needed[i] && slot[i] < 0 {
            let n = graph[NodeID(i)]
            let dst = Int32(template.count)
            template.append(0)
            slot[i] = dst
            instructions.append(Instruction(
                op: n.op, dst: dst,
                a: n.a >= 0 ? slot[Int(n.a)] : 0,
                b: n.b >= 0 ? slot[Int(n.b)] : 0,
                c: n.c >= 0 ? slot[Int(n.c)] : 0))
        }
        self.instructions = instructions
        self.outputs = roots.map { $0 >= 0 ? slot[Int($0)] : -1 }
        self.template = template
    }

    /// Runs the program over `registers` (which must hold the inputs).
    @inline(__always)
    func run(_ registers: UnsafeMutablePointer<Double>) {
        instructions.withUnsafeBufferPointer { code in
            for ins in code {
                let x = registers[Int(ins.a)]
                let r: Double
                switch ins.op {
                case .add: r = x + registers[Int(ins.b)]
                case .sub: r = x - registers[Int(ins.b)]
                case .mul: r = x * registers[Int(ins.b)]
                case .div: r = x / registers[Int(ins.b)]
                case .neg: r = -x
                case .select: r = x != 0 ? registers[Int(ins.b)] : registers[Int(ins.c)]
                default: r = evaluate(ins.op, x, registers[Int(ins.b)], registers[Int(ins.c)])
                }
                registers[Int(ins.dst)] = r
            }
        }
    }
}

/// A tape with its own register file, for one thread.
struct TapeRunner {
    let tape: Tape
    var registers: [Double]

    init(_ tape: Tape) {
        self.tape = tape
        self.registers = tape.template
    }

    /// Loads time, parameters and states (each as a pointer to `layout` many values) and runs.
    mutating func run(time: Double, params: UnsafePointer<Double>?, states: UnsafePointer<Double>?,
                      nominals: UnsafePointer<Double>? = nil) {
        let layout = tape.layout
        let tape = self.tape
        registers.withUnsafeMutableBufferPointer { buf in
            let r = buf.baseAddress!
            r[0] = time
            if let p = params, layout.params > 0 { (r + layout.paramOffset).update(from: p, count: layout.params) }
            if let y = states, layout.states > 0 { (r + layout.stateOffset).update(from: y, count: layout.states) }
            if let q = nominals, layout.nominals > 0 { (r + layout.nominalOffset).update(from: q, count: layout.nominals) }
            tape.run(r)
        }
    }

    @inline(__always)
    func output(_ i: Int) -> Double { registers[Int(tape.outputs[i])] }

    /// Copies all outputs to `out`.
    func copyOutputs(to out: UnsafeMutablePointer<Double>) {
        registers.withUnsafeBufferPointer { r in
            for (i, s) in tape.outputs.enumerated() { out[i] = s >= 0 ? r[Int(s)] : .nan }
        }
    }
}
