/// Sizes of the inputs every tape of one compiled model reads.
struct InputLayout: Hashable, Sendable {
    var params: Int
    var states: Int
    var nominals: Int
    /// Parameters whose registers change at every evaluation (the values of delayed
    /// expressions): instructions reading them are never hoisted.
    var varyingParams: Range<Int> = 0 ..< 0
    /// Branch flags of locked comparisons (inputs after the nominal values; none in most models).
    var flags: Int = 0

    var paramOffset: Int { 1 }
    var stateOffset: Int { 1 + params }
    var nominalOffset: Int { 1 + params + states }
    var flagOffset: Int { 1 + params + states + nominals }
    /// Slots before constants: time, parameters, states, nominal values, branch flags.
    var inputSlots: Int { 1 + params + states + nominals + flags }
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

    /// The registers one scheduled instruction writes and reads.
    struct Operands: Sendable {
        var dst: Int32
        var a: Int32
        var b: Int32
        var c: Int32
    }

    let layout: InputLayout
    /// The instructions in topological order.
    let instructions: [Instruction]
    /// Register holding each output.
    let outputs: [Int32]
    /// Initial register contents (inputs zero, constants set); copied into a workspace once.
    let template: [Double]
    /// The execution schedule of the instructions that read the time or a state: runs over
    /// `operands`.
    let runs: [Run]
    let operands: [Operands]
    /// The schedule of the instructions that depend on parameters and constants only (rate
    /// constants times volumes, K^n, ...). A simulator runs them once when its parameters
    /// change (`TapeRunner.load`) instead of at every evaluation (`TapeRunner.runVarying`).
    let invariantRuns: [Run]
    let invariantOperands: [Operands]

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
            case .param, .delayed: slot[i] = Int32(layout.paramOffset) + n.a
            case .state: slot[i] = Int32(layout.stateOffset) + n.a
            case .nominal: slot[i] = Int32(layout.nominalOffset) + n.a
            case .flag: slot[i] = Int32(layout.flagOffset) + n.a
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
            instructions.append(
                Instruction(
                    op: n.op, dst: dst,
                    a: n.a >= 0 ? slot[Int(n.a)] : 0,
                    b: n.b >= 0 ? slot[Int(n.b)] : 0,
                    c: n.c >= 0 ? slot[Int(n.c)] : 0))
        }
        self.instructions = instructions
        self.outputs = roots.map { $0 >= 0 ? slot[Int($0)] : -1 }
        self.template = template

        (invariantRuns, invariantOperands, runs, operands) = Tape.split(
            instructions, layout: layout,
            firstTemporary: firstTemporary,
            registerCount: template.count)
    }

    private init(
        layout: InputLayout, instructions: [Instruction], outputs: [Int32], template: [Double],
        firstTemporary: Int
    ) {
        self.layout = layout
        self.instructions = instructions
        self.outputs = outputs
        self.template = template
        (invariantRuns, invariantOperands, runs, operands) = Tape.split(
            instructions, layout: layout,
            firstTemporary: firstTemporary,
            registerCount: template.count)
    }

    /// Separates the instructions that depend on the time or a state from those that do not,
    /// and schedules each part. Registers are unchanged, so every value is computed exactly as
    /// by the whole tape in one pass.
    private static func split(
        _ instructions: [Instruction], layout: InputLayout, firstTemporary: Int,
        registerCount: Int
    ) -> (
        invariantRuns: [Run], invariantOperands: [Operands],
        runs: [Run], operands: [Operands]
    ) {
        var varying = [Bool](repeating: false, count: registerCount)
        varying[0] = true
        for k in 0 ..< layout.states { varying[layout.stateOffset + k] = true }
        for j in layout.varyingParams { varying[layout.paramOffset + j] = true }
        for k in 0 ..< layout.flags { varying[layout.flagOffset + k] = true }
        var invariant: [Instruction] = [], rest: [Instruction] = []
        for ins in instructions {
            // Operands an operation does not read are register 0 (the time) by convention, so
            // look only at those it reads.
            let arity = ins.op.arity
            let v =
                (arity >= 1 && varying[Int(ins.a)]) || (arity >= 2 && varying[Int(ins.b)])
                || (arity >= 3 && varying[Int(ins.c)])
            varying[Int(ins.dst)] = v
            if v { rest.append(ins) } else { invariant.append(ins) }
        }
        let a = schedule(invariant, firstTemporary: firstTemporary, registerCount: registerCount)
        let b = schedule(rest, firstTemporary: firstTemporary, registerCount: registerCount)
        return (a.runs, a.operands, b.runs, b.operands)
    }

    /// The program computing only the outputs at `wanted` (positions in `outputs`): the
    /// instructions they depend on, in the same order and on the same registers, so each value is
    /// computed exactly as by the whole tape.
    func pruned(to wanted: [Int]) -> Tape {
        var needed = [Bool](repeating: false, count: template.count)
        for w in wanted where outputs[w] >= 0 { needed[Int(outputs[w])] = true }
        var keep = [Bool](repeating: false, count: instructions.count)
        for k in stride(from: instructions.count - 1, through: 0, by: -1) where needed[Int(instructions[k].dst)] {
            keep[k] = true
            let ins = instructions[k]
            needed[Int(ins.a)] = true
            needed[Int(ins.b)] = true
            needed[Int(ins.c)] = true
        }
        let kept = instructions.indices.filter { keep[$0] }.map { instructions[$0] }
        let firstTemporary = instructions.map { Int($0.dst) }.min() ?? template.count
        return Tape(
            layout: layout, instructions: kept, outputs: wanted.map { outputs[$0] }, template: template,
            firstTemporary: firstTemporary)
    }

    /// Regroups instructions for execution: level by level (an instruction's level is one more
    /// than the highest level of the temporaries it reads), operations grouped within a level
    /// (stable, so the order within a group stays topological).
    private static func schedule(
        _ instructions: [Instruction], firstTemporary: Int,
        registerCount: Int
    ) -> (runs: [Run], operands: [Operands]) {
        var level = [Int32](repeating: 0, count: registerCount)
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
        var operands: [Operands] = []
        operands.reserveCapacity(order.count)
        for (position, entry) in order.enumerated() {
            let ins = instructions[entry.index]
            if let last = runs.last, last.op == ins.op, order[position - 1].level == entry.level {
                runs[runs.count - 1].end += 1
            } else {
                runs.append(Run(op: ins.op, start: Int32(position), end: Int32(position + 1)))
            }
            operands.append(Operands(dst: ins.dst, a: ins.a, b: ins.b, c: ins.c))
        }
        return (runs, operands)
    }

    /// The interpreter: one dispatch per run, then a tight loop over its instructions.
    @inline(__always)
    static func execute(
        _ runs: UnsafeBufferPointer<Run>, _ d: UnsafePointer<Int32>, _ a: UnsafePointer<Int32>,
        _ b: UnsafePointer<Int32>, _ c: UnsafePointer<Int32>, _ r: UnsafeMutablePointer<Double>
    ) {
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

/// A tape with its own register file, for one thread.
///
/// The registers and copies of the schedule and output slots live in memory the runner owns,
/// so running it touches no reference counts and allocates nothing.
final class TapeRunner {
    let tape: Tape
    /// The register file (`tape.registerCount` values).
    let registers: UnsafeMutablePointer<Double>
    /// The two schedules, each as runs and its operands in four streams (destination, a, b, c):
    /// the instructions on parameters and constants only, then those reading time or states.
    private let invariant: Program
    private let varying: Program
    /// Register of each output (-1: none).
    let outputSlots: UnsafeMutableBufferPointer<Int32>

    private struct Program {
        let runs: UnsafeMutableBufferPointer<Tape.Run>
        let code: UnsafeMutablePointer<Int32>
        let count: Int

        init(_ runs: [Tape.Run], _ operands: [Tape.Operands]) {
            self.runs = .allocate(capacity: runs.count)
            _ = self.runs.initialize(from: runs)
            let m = operands.count
            code = .allocate(capacity: Swift.max(1, 4 * m))
            for (i, x) in operands.enumerated() {
                code[i] = x.dst
                code[m + i] = x.a
                code[2 * m + i] = x.b
                code[3 * m + i] = x.c
            }
            count = m
        }

        @inline(__always)
        func execute(_ r: UnsafeMutablePointer<Double>) {
            Tape.execute(UnsafeBufferPointer(runs), code, code + count, code + 2 * count, code + 3 * count, r)
        }

        func deallocate() {
            runs.deallocate()
            code.deallocate()
        }
    }

    init(_ tape: Tape) {
        self.tape = tape
        let registers = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(1, tape.template.count))
        registers.initialize(repeating: 0, count: Swift.max(1, tape.template.count))
        for (i, v) in tape.template.enumerated() { registers[i] = v }
        self.registers = registers
        invariant = Program(tape.invariantRuns, tape.invariantOperands)
        varying = Program(tape.runs, tape.operands)
        outputSlots = .allocate(capacity: tape.outputs.count)
        _ = outputSlots.initialize(from: tape.outputs)
    }

    deinit {
        registers.deallocate()
        invariant.deallocate()
        varying.deallocate()
        outputSlots.deallocate()
    }

    /// Loads time, parameters and states (each as a pointer to `layout` many values) and runs.
    func run(
        time: Double, params: UnsafePointer<Double>?, states: UnsafePointer<Double>?,
        nominals: UnsafePointer<Double>? = nil
    ) {
        let layout = tape.layout
        let r = registers
        r[0] = time
        if let p = params, layout.params > 0 { (r + layout.paramOffset).update(from: p, count: layout.params) }
        if let y = states, layout.states > 0 { (r + layout.stateOffset).update(from: y, count: layout.states) }
        if let q = nominals, layout.nominals > 0 { (r + layout.nominalOffset).update(from: q, count: layout.nominals) }
        execute()
    }

    /// Loads parameters (and nominal values, when given) and runs the instructions that depend
    /// on nothing else. Call it whenever the parameters change; `runVarying` then evaluates.
    func load(params: UnsafePointer<Double>?, nominals: UnsafePointer<Double>? = nil) {
        let layout = tape.layout
        let r = registers
        if let p = params, layout.params > 0 { (r + layout.paramOffset).update(from: p, count: layout.params) }
        if let q = nominals, layout.nominals > 0 { (r + layout.nominalOffset).update(from: q, count: layout.nominals) }
        invariant.execute(r)
    }

    /// Copies the parameters that change at every evaluation (delayed values) into the registers.
    func loadVaryingParams(_ p: UnsafePointer<Double>) {
        let layout = tape.layout
        for j in layout.varyingParams { registers[layout.paramOffset + j] = p[j] }
    }

    /// Loads time and states and runs the instructions that read them, with the parameters and
    /// the values computed from them as the last `load` left them.
    @inline(__always)
    func runVarying(time: Double, states: UnsafePointer<Double>) {
        let layout = tape.layout
        let r = registers
        r[0] = time
        if layout.states > 0 { (r + layout.stateOffset).update(from: states, count: layout.states) }
        varying.execute(r)
    }

    /// Sets the branch flags of locked comparisons (`layout.flags` values, 1 or 0).
    func setFlags(_ flags: [Double]) {
        let layout = tape.layout
        for k in 0 ..< Swift.min(flags.count, layout.flags) { registers[layout.flagOffset + k] = flags[k] }
    }

    /// Runs the whole program over the registers as they are.
    @inline(__always)
    func execute() {
        invariant.execute(registers)
        varying.execute(registers)
    }

    @inline(__always)
    func output(_ i: Int) -> Double { registers[Int(outputSlots[i])] }

    /// Copies all outputs to `out`.
    func copyOutputs(to out: UnsafeMutablePointer<Double>) {
        let r = registers
        for i in 0 ..< outputSlots.count {
            let s = outputSlots[i]
            out[i] = s >= 0 ? r[Int(s)] : .nan
        }
    }
}
