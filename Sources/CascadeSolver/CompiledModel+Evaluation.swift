/// Direct evaluation of a compiled model's functions, outside any simulation: for checks,
/// steady-state analysis and tests.
extension CompiledModel {
    /// The state vector and parameter vector at `time`, after initial assignments and rules,
    /// with optional input overrides.
    public func initialValues(time: Double = 0, inputs: [String: Double] = [:]) throws -> (states: [Double], parameters: [Double]) {
        var q = nominalInputs
        for (id, v) in inputs {
            guard let i = inputIndex[id] else { throw SimulationError.unknownInput(id) }
            q[i] = v
        }
        let runner = TapeRunner(initTape)
        q.withUnsafeBufferPointer { runner.run(time: time, params: nil, states: nil, nominals: $0.baseAddress) }
        let n = stateCount
        return ((0 ..< n).map { runner.output($0) }, (0 ..< parameterIds.count).map { runner.output(n + $0) })
    }

    /// dy/dt at a state.
    public func rightHandSide(time: Double, states: [Double], parameters: [Double]) -> [Double] {
        precondition(states.count == stateCount && parameters.count == parameterIds.count)
        let runner = TapeRunner(rhsTape)
        parameters.withUnsafeBufferPointer { p in
            states.withUnsafeBufferPointer { y in runner.run(time: time, params: p.baseAddress, states: y.baseAddress) }
        }
        return (0 ..< stateCount).map { runner.output($0) }
    }

    /// The analytic Jacobian ∂(dy/dt)/∂y as a dense row-major matrix `J[i][j] = ∂f_i/∂y_j`.
    public func jacobian(time: Double, states: [Double], parameters: [Double]) -> [[Double]] {
        precondition(states.count == stateCount && parameters.count == parameterIds.count)
        let runner = TapeRunner(jacobianTape)
        parameters.withUnsafeBufferPointer { p in
            states.withUnsafeBufferPointer { y in runner.run(time: time, params: p.baseAddress, states: y.baseAddress) }
        }
        let n = stateCount
        var j = Array(repeating: Array(repeating: 0.0, count: n), count: n)
        var e = 0
        for col in 0 ..< n {
            for idx in Int(jacobianColumnPointers[col]) ..< Int(jacobianColumnPointers[col + 1]) {
                j[Int(jacobianRowIndices[idx])][col] = runner.output(e)
                e += 1
            }
        }
        return j
    }

    /// Number of instructions in the right-hand-side and Jacobian tapes (a measure of cost).
    public var tapeSizes: (rhs: Int, jacobian: Int) { (rhsTape.instructions.count, jacobianTape.instructions.count) }
    /// Runs of equal operations the interpreter dispatches per evaluation of each tape.
    public var tapeRuns: (rhs: Int, jacobian: Int) { (rhsTape.runs.count, jacobianTape.runs.count) }
    /// Instructions of each tape that depend on parameters and constants only (run once per
    /// change of the parameters, not per evaluation).
    public var tapeInvariants: (rhs: Int, jacobian: Int) { (rhsTape.invariantOperands.count, jacobianTape.invariantOperands.count) }
}
