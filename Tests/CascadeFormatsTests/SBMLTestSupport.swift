import CascadeCore
import CascadeFormats
import Foundation
import XCTest

/// Shared helpers for the SBML tests: small documents, the shared data folders, NaN-aware
/// model comparison.
enum SBMLTestSupport {
    static let mathNS = "http://www.w3.org/1998/Math/MathML"

    /// The repository root, found from this file's path (Tests/CascadeFormatsTests/<file>).
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// `../shared` beside the repository, where the SBML Test Suite and the PEtab benchmarks live.
    static var shared: URL { repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared") }

    /// The shared folder `name`, or an XCTSkip when it is absent (as on a machine without the data).
    static func sharedFolder(_ name: String) throws -> URL {
        let url = shared.appendingPathComponent(name)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw XCTSkip("\(url.path) is absent")
        }
        return url
    }

    /// An SBML Level 3 Version 2 document with `body` inside `<model id="m">`.
    static func l3v2(_ body: String, modelAttributes: String = "") -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
          <model id="m" \(modelAttributes)>
        \(body)
          </model>
        </sbml>
        """
    }

    /// An SBML Level 3 Version 1 document.
    static func l3v1(_ body: String) -> String {
        """
        <sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1">
          <model id="m">
        \(body)
          </model>
        </sbml>
        """
    }

    /// An SBML Level 2 document of the given version.
    static func l2(_ version: Int, _ body: String) -> String {
        let ns = version == 1 ? "http://www.sbml.org/sbml/level2" : "http://www.sbml.org/sbml/level2/version\(version)"
        return """
            <sbml xmlns="\(ns)" level="2" version="\(version)">
              <model id="m">
            \(body)
              </model>
            </sbml>
            """
    }

    /// `<math>` around MathML content.
    static func math(_ content: String) -> String {
        "<math xmlns=\"\(mathNS)\">\(content)</math>"
    }

    /// Reads the expression `content` (MathML) as the math of an assignment rule.
    static func expression(_ content: String) throws -> Expr {
        let model = try SBML.read(
            string: l3v2(
                """
                <listOfRules><assignmentRule variable="x">\(math(content))</assignmentRule></listOfRules>
                """))
        guard let rule = model.rules.first else {
            XCTFail("no rule read")
            return .number(0)
        }
        return rule.math
    }

    /// The SBMLError thrown by `body`, failing the test if it throws nothing or something else.
    static func sbmlError(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> SBMLError? {
        do {
            try body()
            XCTFail("expected an SBMLError", file: file, line: line)
        } catch let e as SBMLError {
            return e
        } catch {
            XCTFail("expected an SBMLError, got \(error)", file: file, line: line)
        }
        return nil
    }

    /// A stand-in for NaN that compares equal to itself, so models holding NaN can be compared.
    static let nanStandIn = -7.0e-301

    /// `model` with every NaN (values and literals) replaced by `nanStandIn`: NaN never equals
    /// itself, so `==` on models that hold one is always false.
    static func replacingNaN(_ model: Model) -> Model {
        func v(_ x: Double) -> Double { x.isNaN ? nanStandIn : x }
        func e(_ x: Expr) -> Expr {
            x.rewritten { node in
                if case .number(let n) = node, n.isNaN { return .number(nanStandIn) }
                return nil
            }
        }
        var m = model
        for i in m.compartments.indices { m.compartments[i].size = m.compartments[i].size.map(v) }
        for i in m.species.indices {
            switch m.species[i].initial {
            case .amount(let a)?: m.species[i].initial = .amount(v(a))
            case .concentration(let c)?: m.species[i].initial = .concentration(v(c))
            case nil: break
            }
        }
        for i in m.parameters.indices { m.parameters[i].value = m.parameters[i].value.map(v) }
        for i in m.reactions.indices {
            m.reactions[i].rate = e(m.reactions[i].rate)
            for j in m.reactions[i].localParameters.indices {
                m.reactions[i].localParameters[j].value = m.reactions[i].localParameters[j].value.map(v)
            }
            for j in m.reactions[i].reactants.indices {
                m.reactions[i].reactants[j].stoichiometry = v(m.reactions[i].reactants[j].stoichiometry)
            }
            for j in m.reactions[i].products.indices {
                m.reactions[i].products[j].stoichiometry = v(m.reactions[i].products[j].stoichiometry)
            }
        }
        m.rules = m.rules.map { rule in
            switch rule {
            case .assignment(let x, let math): return .assignment(variable: x, math: e(math))
            case .rate(let x, let math): return .rate(variable: x, math: e(math))
            case .algebraic(let math): return .algebraic(math: e(math))
            }
        }
        for i in m.initialAssignments.indices { m.initialAssignments[i].math = e(m.initialAssignments[i].math) }
        for i in m.functions.indices { m.functions[i].body = e(m.functions[i].body) }
        for i in m.events.indices {
            m.events[i].trigger = e(m.events[i].trigger)
            m.events[i].delay = m.events[i].delay.map(e)
            m.events[i].priority = m.events[i].priority.map(e)
            for j in m.events[i].assignments.indices {
                m.events[i].assignments[j].math = e(m.events[i].assignments[j].math)
            }
        }
        for i in m.observables.indices { m.observables[i].math = e(m.observables[i].math) }
        return m
    }
}
