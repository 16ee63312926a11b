import CascadeCore
import Foundation

/// The expression graph a model was compiled from and the nodes of its parts, kept so that
/// derivatives can be taken after compilation (`SensitivityModel`).
struct SymbolicForm: Sendable {
    var graph: Graph
    /// dy/dt per state.
    var rhs: [NodeID]
    /// dy/dt with locked branches read from flags (`CompiledModel.lockedAtoms`); empty if none.
    var lockedRhs: [NodeID]
    /// Initial values: states, then parameters (functions of the nominal inputs and time).
    var initial: [NodeID]
    /// Event and discontinuity atoms g (the condition is g <op> 0).
    var atoms: [NodeID]
    /// Every output, in `CompiledModel.outputIndex` order.
    var outputs: [NodeID]
    /// Event assignment values and the scales they are multiplied by (compartment sizes).
    var eventValues: [NodeID]
    var eventScales: [NodeID]
    /// Position of the first assignment value in the discrete tape's outputs.
    var eventValueBase: Int
}

/// A sparse matrix of derivatives computed by one tape: entry e is ∂(row)/∂(column) and is the
/// tape's output e.
struct SparseDerivatives: Sendable {
    var rows: [Int32] = []
    var columns: [Int32] = []
    var nodes: [NodeID] = []
    var count: Int { nodes.count }

    mutating func append(_ row: Int, _ column: Int, _ node: NodeID) {
        rows.append(Int32(row))
        columns.append(Int32(column))
        nodes.append(node)
    }
}

/// The derivatives forward sensitivity analysis needs, compiled to tapes like the Jacobian:
///
/// - ∂f/∂p: the right-hand side with respect to the parameter vector (`parameterIds`);
/// - ∂(initial states and parameters)/∂q: the initial values with respect to the nominal inputs
///   (`inputIds`), so sensitivities start right for initial assignments and compartment sizes;
/// - ∂(output)/∂y and ∂(output)/∂p for the chosen output columns;
/// - ∂/∂y, ∂/∂p and ∂/∂t of every event assignment (value times scale) and of every atom, for
///   the jump of the sensitivities at events and discontinuities:
///   with τ the crossing time of atom g, dτ/dθ = −(g_y·s + g_p·s_p)/(g_t + g_y·f⁻), and
///   s⁺ = ∂y⁺/∂y·(s⁻ + f⁻ dτ) + ∂y⁺/∂p·s_p + ∂y⁺/∂t dτ − f⁺ dτ.
///
/// Sensitivities with respect to a direction θ in input space (dq/dθ = w) then follow
/// ṡ = J·s + ∂f/∂p·s_p, with s(0) = ∂y₀/∂q·w and s_p = ∂p₀/∂q·w (s_p changes only at events).
/// Immutable and shareable between threads.
public final class SensitivityModel: Sendable {
    public let compiled: CompiledModel
    /// The output columns whose sensitivities are reported, in order.
    public let columns: [OutputColumn]
    let outputPositions: [Int]

    let dfdp: SparseDerivatives
    let dfdpTape: Tape
    let dinit: SparseDerivatives
    let dinitTape: Tape
    /// Rows: output columns; columns: states 0..<n then parameters n..<n+np.
    let doutput: SparseDerivatives
    let doutputTape: Tape
    /// Rows: event assignments (in value order) then atoms (offset `assignmentCount`); columns:
    /// states, parameters, then time (n + np).
    let ddiscrete: SparseDerivatives
    let ddiscreteTape: Tape
    let assignmentCount: Int

    public init(_ compiled: CompiledModel, outputs: [OutputColumn]) throws {
        if let k = compiled.algebraicStates.firstIndex(of: true) {
            throw CompileError(
                element: "algebraic rule for '\(compiled.stateIds[k])'",
                "forward sensitivities of a differential-algebraic model are not supported (use finite differences)")
        }
        self.compiled = compiled
        columns = outputs
        outputPositions = try outputs.map { c in
            guard let i = compiled.outputIndex[c] else { throw SimulationError.unknownOutput(c.id) }
            return i
        }
        var s = compiled.symbolic
        var g = s.graph
        let n = compiled.stateCount, np = compiled.parameterIds.count, nq = compiled.inputIds.count
        let outs = outputPositions.map { s.outputs[$0] }
        var assignments: [NodeID] = []
        for (v, sc) in zip(s.eventValues, s.eventScales) { assignments.append(g.mul(v, sc)) }
        assignmentCount = assignments.count
        let discrete = assignments + s.atoms

        var dfdp = SparseDerivatives(), dinit = SparseDerivatives()
        var dout = SparseDerivatives(), ddisc = SparseDerivatives()
        func collect(_ d: [NodeID], _ column: Int, into m: inout SparseDerivatives) {
            for (row, node) in d.enumerated() where node != g.zero { m.append(row, column, node) }
        }
        for k in 0 ..< n {
            let leaf = g.state(k)
            collect(g.derivatives(of: outs, wrt: leaf), k, into: &dout)
            if !discrete.isEmpty { collect(g.derivatives(of: discrete, wrt: leaf), k, into: &ddisc) }
        }
        for j in 0 ..< np {
            let leaf = g.param(j)
            collect(g.derivatives(of: s.lockedRhs.isEmpty ? s.rhs : s.lockedRhs, wrt: leaf), j, into: &dfdp)
            collect(g.derivatives(of: outs, wrt: leaf), n + j, into: &dout)
            if !discrete.isEmpty { collect(g.derivatives(of: discrete, wrt: leaf), n + j, into: &ddisc) }
        }
        if !discrete.isEmpty { collect(g.derivatives(of: discrete, wrt: g.timeNode), n + np, into: &ddisc) }
        for i in 0 ..< nq { collect(g.derivatives(of: s.initial, wrt: g.nominal(i)), i, into: &dinit) }
        s.graph = g

        let layout = compiled.layout
        self.dfdp = dfdp
        dfdpTape = Tape(graph: g, outputs: dfdp.nodes, layout: layout)
        self.dinit = dinit
        dinitTape = Tape(graph: g, outputs: dinit.nodes, layout: layout)
        doutput = dout
        doutputTape = Tape(graph: g, outputs: dout.nodes, layout: layout)
        ddiscrete = ddisc
        ddiscreteTape = Tape(graph: g, outputs: ddisc.nodes, layout: layout)
    }

    /// Instructions in the ∂f/∂p tape (a measure of the cost per sensitivity right-hand side).
    public var parameterDerivativeNonZeros: Int { dfdp.count }
}
