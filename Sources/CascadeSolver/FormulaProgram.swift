import CascadeCore
import Foundation

/// A formula over named slots, compiled with its symbolic first derivatives with respect to every
/// slot into one tape (the same graph, simplification and interpreter as a model's right-hand
/// side). Used for observable and noise formulas, whose values and derivatives a likelihood
/// gradient needs at every measurement.
///
///     let f = try FormulaProgram(.symbol("a") * .symbol("x"), slots: ["a", "x"])
///     let runner = f.makeRunner()
///     let (v, dv) = runner.evaluate([2, 3], time: 0)   // 6, [3, 2]
///
/// The symbols `time` and `t`, unless they are slots, are the model time. Calls must name one of
/// `functions`. An unknown symbol throws `CompileError` naming it.
public struct FormulaProgram: Sendable {
    public let slots: [String]
    let tape: Tape

    public init(_ expression: Expr, slots: [String], functions: [FunctionDefinition] = [], context: String = "formula") throws {
        var model = Model(id: "formula")
        model.functions = functions
        let lowerer = try Lowerer(model)
        var env: [String: NodeID] = [:]
        var leaves: [NodeID] = []
        for (i, s) in slots.enumerated() {
            let leaf = lowerer.g.param(i)
            env[s] = leaf
            leaves.append(leaf)
        }
        for name in ["time", "t"] where env[name] == nil { env[name] = lowerer.g.timeNode }
        for name in expression.symbols where env[name] == nil {
            throw CompileError(element: context, "unknown id '\(name)'")
        }
        let value = try lowerer.lower(expression, .dynamic, env: env, context: context)
        var outputs = [value]
        for leaf in leaves { outputs.append(lowerer.g.derivatives(of: [value], wrt: leaf)[0]) }
        self.slots = slots
        tape = Tape(graph: lowerer.g, outputs: outputs, layout: InputLayout(params: slots.count, states: 0, nominals: 0))
    }

    /// A runner with its own registers (one per thread).
    public func makeRunner() -> Runner { Runner(self) }

    /// Evaluates a `FormulaProgram`; not safe to share between threads.
    public final class Runner {
        let runner: TapeRunner
        let count: Int

        init(_ program: FormulaProgram) {
            runner = TapeRunner(program.tape)
            count = program.slots.count
        }

        /// The formula's value and its derivative with respect to each slot.
        public func evaluate(_ values: [Double], time: Double) -> (value: Double, gradient: [Double]) {
            precondition(values.count == count)
            values.withUnsafeBufferPointer { runner.run(time: time, params: $0.baseAddress, states: nil) }
            return (runner.output(0), (0 ..< count).map { runner.output(1 + $0) })
        }

        /// The formula's value only.
        public func value(_ values: [Double], time: Double) -> Double {
            values.withUnsafeBufferPointer { runner.run(time: time, params: $0.baseAddress, states: nil) }
            return runner.output(0)
        }
    }
}
