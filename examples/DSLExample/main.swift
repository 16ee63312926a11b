// A receptor-kinase cascade built with Cascade's Swift DSL, simulated with CVODE.
//
//   swift run DSLExample
//
// Ligand binds its receptor (mass action); the complex activates a kinase through a
// Michaelis-Menten phosphorylation cycle; the active kinase drives production of a readout
// through a Hill function. A time event washes the ligand out at t = 600 s.
import CascadeCore
import CascadeSolver
import Foundation

let model = Model("receptor_cascade") {
    Compartment(id: "cell", size: 1)
    Species(id: "L", compartment: "cell", initial: .concentration(1))
    Species(id: "R", compartment: "cell", initial: .concentration(0.5))
    Species(id: "LR", compartment: "cell", initial: .concentration(0))
    Species(id: "K", compartment: "cell", initial: .concentration(1))
    Species(id: "Kp", compartment: "cell", initial: .concentration(0))
    Species(id: "PP", compartment: "cell", initial: .concentration(0.2), constant: true)
    Species(id: "Out", compartment: "cell", initial: .concentration(0))
    Parameter(id: "kon", value: 0.01)
    Parameter(id: "koff", value: 0.001)
    Parameter(id: "kcat", value: 0.05)
    Parameter(id: "Km", value: 0.5)
    Parameter(id: "kcatP", value: 0.02)
    Parameter(id: "KmP", value: 0.5)
    Parameter(id: "vmax", value: 0.01)
    Parameter(id: "Kh", value: 0.3)
    Parameter(id: "nh", value: 2)
    Parameter(id: "kdeg", value: 0.002)
    Binding("L", "R", complex: "LR", kon: "kon", koff: "koff", in: "cell")
    PhosphorylationCycle(
        "K", "Kp", kinase: "LR", phosphatase: "PP", kcat: "kcat", km: "Km",
        kcatP: "kcatP", kmP: "KmP", in: "cell")
    HillActivation("Out", by: "Kp", vmax: "vmax", k: "Kh", n: "nh", in: "cell")
    Reaction(id: "Out_deg", reactants: [SpeciesReference("Out")], rate: "cell" * "kdeg" * "Out")
    Event(id: "washout", trigger: .apply(.ge, [.time, 600]), assignments: [EventAssignment(variable: "L", math: 0)])
}

do {
    let compiled = try CompiledModel(model)
    let simulator = try Simulator(compiled)
    let times = stride(from: 0.0, through: 3600, by: 300).map { $0 }
    let columns = ["L", "LR", "Kp", "Out"].map { OutputColumn($0) }
    let trajectory = try simulator.simulate(times: times, outputs: columns)
    print((["time"] + columns.map(\.id)).joined(separator: ","))
    for row in 0 ..< trajectory.rowCount {
        let values = (0 ..< columns.count).map { String(format: "%.6g", trajectory[row, $0]) }
        print(([String(format: "%g", times[row])] + values).joined(separator: ","))
    }
    print("conservation laws: " + compiled.conservationLaws.map(\.description).joined(separator: "; "))
    print("steps: \(trajectory.statistics.steps), events: \(trajectory.statistics.eventsExecuted)")
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
