import CascadeCore
import CascadeFormats
import CascadePEtab
import CascadeSolver
import Foundation
import XCTest

/// A small PEtab problem with a closed-form solution, read from YAML and simulated: parameter
/// and condition tables, placeholders, pre-equilibration with re-initialisation, steady-state
/// times, plate data paired with simulations, and the errors for bad problems.
final class PEtabProblemTests: XCTestCase {
    /// A → B at rate k·A, production of A at kin, degradation of B at kd. The parameter table
    /// sets k = 0.5 (the model says 0.1).
    static func model() -> Model {
        Model("decay") {
            Compartment(id: "cell", size: 1)
            Species(id: "A", compartment: "cell", initial: .concentration(10))
            Species(id: "B", compartment: "cell", initial: .concentration(0))
            Parameter(id: "k", value: 0.1)
            Parameter(id: "kin", value: 0)
            Parameter(id: "kd", value: 1)
            Reaction(id: "R1", reactants: [SpeciesReference("A")], products: [SpeciesReference("B")], rate: "cell" * "k" * "A")
            Reaction(id: "R2", products: [SpeciesReference("A")], rate: "cell" * "kin")
            Reaction(id: "R3", reactants: [SpeciesReference("B")], rate: "cell" * "kd" * "B")
        }
    }

    static let files: [String: String] = [
        "problem.yaml": """
        format_version: 1
        parameter_file: parameters.tsv
        problems:
        - condition_files: [conditions.tsv]
          measurement_files: [measurements.tsv]
          observable_files: [observables.tsv]
          sbml_files: [model.xml]
        """,
        "conditions.tsv": """
        conditionId\tconditionName\tkin\tA
        c0\tproduction\t1\tNaN
        c1\treset\t0\t4
        c2\tfaster\tk_in_ref\t
        """,
        "observables.tsv": """
        observableId\tobservableFormula\tnoiseFormula\tobservableTransformation\tnoiseDistribution
        obsA\tobservableParameter1_obsA * A\tnoiseParameter1_obsA\tlog\tnormal
        obsB\tB + offset\t0.1 * obsB\tlin\tlaplace
        """,
        "parameters.tsv": """
        parameterId\tparameterScale\tlowerBound\tupperBound\tnominalValue\testimate
        k\tlog10\t0.001\t10\t0.5\t1
        scaleA\tlog10\t0.1\t10\t3\t1
        offset\tlin\t0\t1\t0.25\t0
        k_in_ref\tlin\t0\t10\t2\t0
        sdA\tlin\t0\t1\t0.2\t1
        """,
        "measurements.tsv": """
        observableId\tpreequilibrationConditionId\tsimulationConditionId\tmeasurement\ttime\tobservableParameters\tnoiseParameters\tdatasetId
        obsA\t\tc1\t8.5\t0\t2\tsdA\td1
        obsA\t\tc1\t4.5\t1.0\t2\tsdA\td1
        obsA\tc0\tc2\t9\t2\tscaleA\t0.1\td2
        obsB\tc0\tc1\t1.2\t0\t\t\td3
        obsA\tc0\tc1\t4\t0\t1\t0.1\td3
        obsB\t\tc1\t0.3\tinf\t\t\td4
        obsA\t\tc2\t4\tinf\t1\t0.1\td4
        """,
    ]

    /// Writes the problem (with replaced files) to a fresh folder and returns the YAML's URL.
    func write(_ replace: [String: String] = [:], model: Model = PEtabProblemTests.model()) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("petab-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        try SBML.write(model).write(to: dir.appendingPathComponent("model.xml"), atomically: true, encoding: .utf8)
        for (name, text) in Self.files.merging(replace, uniquingKeysWith: { $1 }) {
            try (text + "\n").write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return dir.appendingPathComponent("problem.yaml")
    }

    static func simulate(_ plan: PEtabSimulationPlan, threads: Int) throws -> PEtabSimulationResult {
        try plan.simulate(
            CompiledModel(plan.model), options: SolverOptions(relativeTolerance: 1e-10, absoluteTolerance: 1e-14),
            threads: threads)
    }

    func testReadsTheProblem() throws {
        let problem = try PEtabProblem(contentsOf: try write())
        XCTAssertEqual(problem.conditions.map(\.id), ["c0", "c1", "c2"])
        XCTAssertEqual(problem.observables.map(\.id), ["obsA", "obsB"])
        XCTAssertEqual(problem.parameters.count, 5)
        XCTAssertEqual(problem.measurements.count, 7)
        XCTAssertEqual(problem.resolve(.parameter("k_in_ref")), 2)
        XCTAssertEqual(problem.resolve(.parameter("kd")), 1)  // a model parameter outside the table
        XCTAssertNil(problem.resolve(.parameter("nope")))
        let m = try problem.simulationModel()
        XCTAssertEqual(m.parameter("k")?.value, 0.5)  // the parameter table overrides the model
        XCTAssertEqual(m.parameter("kin")?.value, 0)
    }

    func testPlanGroupsConditionsAndResolvesValues() throws {
        let plan = try PEtabSimulationPlan(try PEtabProblem(contentsOf: try write()))
        XCTAssertEqual(plan.jobs.count, 4)
        let j0 = plan.jobs[0], j1 = plan.jobs[1]
        XCTAssertEqual(j0.simulationConditionId, "c1")
        XCTAssertNil(j0.preequilibrationInputs)
        XCTAssertEqual(j0.inputs, ["kin": 0, "A": 4])
        XCTAssertEqual(j0.times, [0, 1, .infinity])
        XCTAssertEqual(j0.outputIds, ["A", "B"])
        XCTAssertEqual(j0.rows, [0, 1, 5])
        XCTAssertEqual(j1.preequilibrationConditionId, "c0")
        XCTAssertEqual(j1.preequilibrationInputs, ["kin": 1])
        XCTAssertEqual(j1.inputs, ["kin": 2])  // k_in_ref from the parameter table; A kept (empty)
        XCTAssertEqual(j1.reinitialisedIds, [])
        XCTAssertEqual(plan.jobs[2].reinitialisedIds, ["A"])
    }

    func testSimulationMatchesTheClosedForm() throws {
        let plan = try PEtabSimulationPlan(try PEtabProblem(contentsOf: try write()))
        let result = try Self.simulate(plan, threads: 2)
        let e05: Double = Foundation.exp(-0.5), e1: Double = Foundation.exp(-1.0)
        let expected: [Double] = [
            2 * 4.0,  // A(0) = 4 (condition c1)
            2 * 4 * e05,  // A(t) = 4 e^{-kt}
            3 * (4 - 2 * e1),  // after pre-equilibration A* = kin/k = 2, then kin = 2
            1 + 0.25,  // B carried over from the steady state B* = k·A*/kd = 1
            4,  // A re-initialised by c1
            0.25,  // steady state under c1: A, B → 0
            4,  // steady state under c2: A* = 2 / 0.5
        ]
        for (r, (got, want)) in zip(result.simulations, expected).enumerated() {
            XCTAssertEqual(got, want, accuracy: 1e-7 * max(1, abs(want)), "row \(r)")
        }
        XCTAssertEqual(result.sigmas[0], 0.2)
        XCTAssertEqual(result.sigmas[2], 0.1)
        XCTAssertEqual(result.sigmas[3], 0.1 * 1.25, accuracy: 1e-9)  // noise formula uses the observable

        // The simulation table: the measurement table with `simulation` in place of `measurement`.
        let table = result.table
        XCTAssertEqual(
            table.columns,
            [
                "observableId", "preequilibrationConditionId", "simulationConditionId", "simulation",
                "time", "observableParameters", "noiseParameters", "datasetId",
            ])
        XCTAssertEqual(table.rows[5], ["obsB", "", "c1", PEtabNumber.format(result.simulations[5]), "inf", "", "", "d4"])
        XCTAssertEqual(Double(table.rows[0][3]), 8)

        // Same bytes whatever the number of threads.
        let serial = try Self.simulate(plan, threads: 1)
        XCTAssertEqual(serial.table.text, table.text)
    }

    func testPlateDataPairsWithSimulations() throws {
        let url = try write()
        let problem = try PEtabProblem(contentsOf: url)
        // Plate data in PEtab form: other rows, other columns, the problem's ids.
        let plateURL = url.deletingLastPathComponent().appendingPathComponent("plate.tsv")
        try """
        observableId\tsimulationConditionId\tmeasurement\ttime\tobservableParameters\tnoiseParameters\twell
        obsA\tc1\t7.9\t0\t2\tsdA\tA1
        obsA\tc1\t4.9\t1\t2\tsdA\tA2
        obsB\tc1\t0.3\tinf\t\t\tB1

        """.write(to: plateURL, atomically: true, encoding: .utf8)
        let plate = try PEtabMeasurementTable(contentsOf: plateURL)
        let plan = try PEtabSimulationPlan(problem, measurements: plate)
        let result = try Self.simulate(plan, threads: 1)
        let pairs = result.pairs
        XCTAssertEqual(pairs.count, 3)
        XCTAssertEqual(pairs[0].measurement.value, 7.9)
        XCTAssertEqual(pairs[0].simulation!, 8, accuracy: 1e-9)
        XCTAssertEqual(pairs[0].sigma, 0.2)
        XCTAssertEqual(pairs[0].difference!, Foundation.log(7.9) - Foundation.log(8), accuracy: 1e-9)  // log scale
        XCTAssertEqual(pairs[0].residual!, (Foundation.log(7.9) - Foundation.log(8)) / 0.2, accuracy: 1e-8)
        let r = pairs[0].residual!
        XCTAssertEqual(pairs[0].negativeLogLikelihood!, 0.5 * Foundation.log(2 * .pi * 0.04) + 0.5 * r * r, accuracy: 1e-9)
        XCTAssertEqual(pairs[2].noiseDistribution, "laplace")
        XCTAssertEqual(pairs[2].negativeLogLikelihood!, Foundation.log(2 * 0.025) + 0.05 / 0.025, accuracy: 1e-7)
        XCTAssertEqual(result.table.columns.last, "well")

        // Pairing with a simulation table written earlier, by key.
        let simulations = try PEtabMeasurementTable(result.table, valueColumn: "simulation")
        let byKey = PEtabPairing.pair(measurements: plate, simulations: simulations, observables: problem.observables)
        XCTAssertEqual(byKey.map(\.simulation), result.simulations.map { Optional($0) })
        XCTAssertEqual(byKey[0].transformation, .log)
        let missing = try PEtabMeasurementTable(
            try PEtabTable(parsing: "observableId\tsimulationConditionId\tmeasurement\ttime\nobsA\tc2\t1\t5\n", file: "x.tsv"))
        XCTAssertNil(PEtabPairing.pair(measurements: missing, simulations: simulations)[0].simulation)
    }

    // MARK: Bad problems

    func assertError(
        _ replace: [String: String], model: Model = PEtabProblemTests.model(), plan: Bool = false,
        _ expected: String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let url = try write(replace, model: model)
        XCTAssertThrowsError(
            try { () throws -> Void in
                let p = try PEtabProblem(contentsOf: url)
                if plan { _ = try PEtabSimulationPlan(p) }
            }(), file: file, line: line
        ) { e in
            XCTAssertEqual("\(e)", expected, file: file, line: line)
        }
    }

    func testProblemFileErrors() throws {
        // Problem-file errors are located by line and column (and field path) in the YAML.
        try assertError(
            ["problem.yaml": "format_version: 2\nparameter_file: parameters.tsv\nproblems: []"],
            "problem.yaml:1:17: format_version: 2 is not supported (PEtab version 1 only)")
        try assertError(
            ["problem.yaml": "format_version: 1\nparameter_file: parameters.tsv\nproblems:\n- sbml_files: [model.xml]\n  condition_files: [missing.tsv]"],
            "problem.yaml:5:21: problems[0].condition_files[0]: missing.tsv does not exist")
        try assertError(
            ["problem.yaml": "format_version: 1\nproblems:\n- sbml_files: [model.xml]"],
            "problem.yaml:1:1: 'parameter_file' is missing")
        try assertError(
            ["problem.yaml": "format_version: 1\nparameter_file: parameters.tsv\nproblems:\n- sbml_files: [model.xml]"],
            "problem.yaml:4:3: problems[0]: 'condition_files' is missing from the problem")
        try assertError(
            ["problem.yaml": "format_version: 1\nparameter_file: parameters.tsv\nproblems: [{}, {}]"],
            "problem.yaml:3:11: problems: list exactly one problem (found 2)")
        try assertError(
            ["problem.yaml": "format_version: 1\nparameter_file: {a: 1}\nproblems: [{}]"],
            "problem.yaml:2:17: parameter_file: expected a file name or a list of them")
        try assertError(
            ["problem.yaml": "- just\n- a list\n"],
            "problem.yaml:1:1: the problem file must be a YAML mapping")
        let url = try write(["problem.yaml": "format_version: [1\n"])
        XCTAssertThrowsError(try PEtabProblem(contentsOf: url)) { e in
            XCTAssertTrue("\(e)".hasPrefix("problem.yaml:3:1: malformed YAML: "), "\(e)")
        }
    }

    func testUnknownIdsInTables() throws {
        let header = "observableId\tpreequilibrationConditionId\tsimulationConditionId\tmeasurement\ttime\tobservableParameters\tnoiseParameters\n"
        try assertError(
            ["measurements.tsv": header + "obsC\t\tc1\t1\t0\t\t\n"],
            "measurements.tsv:2: column 'observableId': unknown observable 'obsC' (not in observables.tsv)")
        try assertError(
            ["measurements.tsv": header + "obsA\t\tc9\t1\t0\t1\t1\n"],
            "measurements.tsv:2: column 'simulationConditionId': unknown condition 'c9' (not in conditions.tsv)")
        try assertError(
            ["measurements.tsv": header + "obsA\tc8\tc1\t1\t0\t1\t1\n"],
            "measurements.tsv:2: column 'preequilibrationConditionId': unknown condition 'c8' (not in conditions.tsv)")
        try assertError(
            ["conditions.tsv": "conditionId\tzz\nc0\t1\nc1\t2\nc2\t3"], plan: true,
            "conditions.tsv:1: column 'zz': 'zz' is not a parameter, species or compartment of the model")
        try assertError(
            ["conditions.tsv": "conditionId\tkin\nc0\tk_missing\nc1\t2\nc2\t3"], plan: true,
            "conditions.tsv:2: column 'kin': 'k_missing' is neither in the parameter table nor a model parameter with a value")
        try assertError(
            ["observables.tsv": "observableId\tobservableFormula\tnoiseFormula\nobsA\tA * mystery\t1\nobsB\tB\t1"], plan: true,
            "observables.tsv:2: column 'observableFormula': unknown id 'mystery' in observable 'obsA': not a model id, a parameter-table id or a placeholder")
        try assertError(
            ["observables.tsv": "observableId\tobservableFormula\tnoiseFormula\nobsA\tobservableParameter1_obsB * A\t1\nobsB\tB\t1"], plan: true,
            "observables.tsv:2: column 'observableFormula': unknown id 'observableParameter1_obsB' in observable 'obsA': not a model id, a parameter-table id or a placeholder (placeholders in this column are named observableParameter{n}_obsA)"
        )
        try assertError(
            ["measurements.tsv": header + "obsA\t\tc1\t1\t0\t1;2\tsdA\n"], plan: true,
            "measurements.tsv:2: column 'observableParameters': observable 'obsA' has 1 placeholder but the row gives 2 values")
        try assertError(
            ["measurements.tsv": header + "obsA\t\tc1\t1\t0\tscale_missing\tsdA\n"], plan: true,
            "measurements.tsv:2: column 'observableParameters': unknown parameter 'scale_missing' (not in parameters.tsv)")
        try assertError(
            ["measurements.tsv": header + "obsA\t\tc1\t1\t0\t1\t\n"], plan: true,
            "measurements.tsv:2: column 'noiseParameters': observable 'obsA' has 1 placeholder but the row gives 0 values")
    }

    func testModelConflictsAreReported() throws {
        var m = Self.model()
        m.rules.append(.assignment(variable: "kd", math: .number(2)))
        m.parameters[m.parameters.firstIndex { $0.id == "kd" }!].value = nil
        try assertError(
            ["conditions.tsv": "conditionId\tkd\nc0\t1\nc1\t2\nc2\t3"], model: m, plan: true,
            "conditions.tsv:1: column 'kd': 'kd' is set by an assignment rule in the model, so conditions cannot set it")
        var ia = Self.model()
        ia.initialAssignments.append(InitialAssignment(variable: "A", math: .symbol("kd") * 3))
        try assertError(
            ["conditions.tsv": "conditionId\tA\nc0\t1\nc1\tNaN\nc2\t3"], model: ia, plan: true,
            "conditions.tsv:1: column 'A': 'A' has an initial assignment in the model and some conditions keep it (NaN); give every condition a value")
    }

    func testConditionValuesOverrideInitialAssignments() throws {
        // A parameter with an initial assignment that a condition sets: the condition wins.
        var m = Self.model()
        m.parameters.append(Parameter(id: "u", value: nil))
        m.initialAssignments.append(InitialAssignment(variable: "u", math: .number(1e9)))
        m.reactions[1].rate = "cell" * "kin" * "u"
        let url = try write(["conditions.tsv": "conditionId\tkin\tA\tu\nc0\t1\tNaN\t1\nc1\t0\t4\t1\nc2\t2\t\t0.5"], model: m)
        let plan = try PEtabSimulationPlan(try PEtabProblem(contentsOf: url))
        XCTAssertFalse(plan.model.initialAssignments.contains { $0.variable == "u" })
        let result = try Self.simulate(plan, threads: 1)
        XCTAssertEqual(result.simulations[6], 2, accuracy: 1e-7)  // A* = kin·u/k = 2·0.5/0.5
    }
}
