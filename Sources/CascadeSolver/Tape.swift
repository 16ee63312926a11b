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
///
/// For execution the instructions are regrouped: by dependency level (an instruction's level is
/// one more than the highest level of the temporaries it reads), then by operation. Each run of
/// equal operations executes as one tight loop, so the interpreter dispatches once per run instead
/// of once per instruction. Every instruction still reads exactly the registers it read before, so
/// the results are bit for bit those of the topological order.
struct Tape: Sendable {
    struct Instruction: Sendable {
        var op: GOp
        var dst: Int32
        var a: Int32
        var b: Int32
        var c: Int32
    }

    /// A stretch `start ..< end` of the schedule with one operation.
    struct Run: Sendable {
        var op: GOp
        var start: Int32
        var end: Int32
    }

    let layout: InputLayout
    /// The instructions in topological order.
    let instructions: [Instruction]
    /// Register holding each output.
    let outputs: [Int32]
    /// Initial register contents (inputs zero, constants set); copied into a workspace once.
    let template: [Double]
    /// The execution schedule: runs over the operand arrays below.
    let runs: [Run]
    let dst: [Int32]
    let argA: [Int32]
    let argB: [Int32]
    let argC: [Int32]

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
        let firstTemporary = template.count
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

        // Schedule: level by level, operations grouped within a level (stable, so the order
        // within a group stays topological).
        var level = [Int32](repeating: 0, count: template.count)
        var order: [(level: Int32, op: UInt8, index: Int)] = []
        order.reserveCapacity(instructions.count)
        for (k, ins) in instructions.enumerated() {
            var l: Int32 = 0
            for r in [ins.a, ins.b, ins.c] where Int(r) >= firstTemporary { l = Swift.max(l, level[Int(r)]) }
            level[Int(ins.dst)] = l + 1
            order.append((l + 1, ins.op.rawValue, k))
        }
        order.sort { ($0.level, $0.op, $0.index) < ($1.level, $1.op, $1.index) }
        var runs: [Run] = []
        var dst: [Int32] = [], argA: [Int32] = [], argB: [Int32] = [], argC: [Int32] = []
        for (position, entry) in order.enumerated() {
            let ins = instructions[entry.index]
            if let last = runs.last, last.op == ins.op, position > 0, order[position - 1].level == entry.level {
                runs[runs.count - 1].end += 1
            } else {
                runs.append(Run(op: ins.op, start: Int32(position), end: Int32(position + 1)))
            }
            dst.append(ins.dst)
            argA.append(ins.a)
            argB.append(ins.b)
            argC.append(ins.c)
        }
        self.runs = runs
        self.dst = dst
        self.argA = argA
        self.argB = argB
        self.argC = argC
    }

    /// Runs the program over `registers` (which must hold the inputs).
    @inline(__always)
    func run(_ r: UnsafeMutablePointer<Double>) {
        runs.withUnsafeBufferPointer { runs in
        dst.withUnsafeBufferPointer { dBuf in
        argA.withUnsafeBufferPointer { aBuf in
        argB.withUnsafeBufferPointer { bBuf in
        argC.withUnsafeBufferPointer { cBuf in
            let d = dBuf.baseAddress!, a = aBuf.baseAddress!, b = bBuf.baseAddress!, c = cBuf.baseAddress!
            for run in runs {
                let lo = Int(run.start), hi = Int(run.end)
                switch run.op {
                case .add: for i in lo ..< hi { r[Int(d[i])] = r[Int(a[i])] + r[Int(b[i])] }
                case .sub: for i in lo ..< hi { r[Int(d[i])] = r[Int(a[i])] - r[Int(b[i])] }
                case .mul: for i in lo ..< hi { r[Int(d[i])] = r[Int(a[i])] * r[Int(b[i])] }
                case .div: for i in lo ..< hi { r[Int(d[i])] = r[Int(a[i])] / r[Int(b[i])] }
                case .neg: for i in lo ..< hi { r[Int(d[i])] = -r[Int(a[i])] }
                case .select:
                    for i in lo ..< hi { r[Int(d[i])] = r[Int(a[i])] != 0 ? r[Int(b[i])] : r[Int(c[i])] }
                default:
                    let op = run.op
                    for i in lo ..< hi { r[Int(d[i])] = evaluate(op, r[Int(a[i])], r[Int(b[i])], r[Int(c[i])]) }
                }
            }
        }
        }
        }
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
