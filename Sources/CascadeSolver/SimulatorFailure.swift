import CSundials

/// How CVODE's failure flags read to the person running the simulation: what went wrong and
/// what to try.
extension Simulator {
    func failure(_ flag: Int32, time: Double) -> SimulationError {
        let msg = lastMessage.isEmpty ? "" : " (\(model.isDifferentialAlgebraic ? "IDA" : "CVODE"): \(lastMessage))"
        // A rate that became NaN or infinite makes CVODE shrink its steps until it gives up in
        // one of several ways ("more than 100000 internal steps", error test failures); the
        // non-finite rate is the cause, so it is what the message names.
        if let reason = nonFiniteReason(), flag != CV_RTFUNC_FAIL {
            return .solverFailure(
                time: time, reason: reason,
                advice: "Look for a division by zero, a log, root or power of a negative value, or an overflow in the rate laws.")
        }
        switch flag {
        case CV_TOO_MUCH_WORK:
            return .solverFailure(
                time: time, reason: "more than \(options.maxSteps) internal steps were needed before the next output\(msg)",
                advice: "Raise the step limit (maxSteps), add output times, or check the model for very fast or oscillating processes.")
        case CV_TOO_MUCH_ACC:
            return .solverFailure(
                time: time, reason: "the requested accuracy cannot be reached\(msg)",
                advice: "Loosen the relative or absolute tolerance.")
        case CV_ERR_FAILURE:
            return .solverFailure(
                time: time, reason: "the error test failed repeatedly\(msg)",
                advice: "Look for a discontinuity the model does not express as an event or piecewise condition, or loosen the tolerances.")
        case CV_CONV_FAILURE:
            return .solverFailure(
                time: time, reason: "the Newton iteration failed to converge repeatedly\(msg)",
                advice: "The model may be extremely stiff or ill-posed; check rate constants and initial values.")
        case CV_LSETUP_FAIL, CV_LSOLVE_FAIL:
            return .solverFailure(
                time: time, reason: "the linear solver failed (a singular Newton matrix)\(msg)",
                advice: "Check for rates that are infinite or undefined at this state.")
        case CV_RHSFUNC_FAIL, CV_FIRST_RHSFUNC_ERR, CV_REPTD_RHSFUNC_ERR, CV_UNREC_RHSFUNC_ERR:
            return .solverFailure(
                time: time, reason: "the right-hand side could not be evaluated",
                advice: "Look for a division by zero, a log or power of a negative value, or an overflow in the rate laws.")
        case CV_RTFUNC_FAIL:
            return .solverFailure(time: time, reason: "an event condition could not be evaluated\(msg)", advice: "Check event triggers.")
        default:
            return .solverFailure(
                time: time, reason: "\(model.isDifferentialAlgebraic ? "IDA" : "CVODE") returned flag \(flag)\(msg)",
                advice: "Check the settings and the model.")
        }
    }

    /// "the rate of change of 'B' became NaN at t = 4.6: reaction 'J1' has rate NaN there
    /// (0.01 * sqrt(A - 1))", when the right-hand side was not finite in the last interval.
    func nonFiniteReason() -> String? {
        guard let k = nonFiniteState else { return nil }
        let id = model.stateIds[k]
        var text = "the rate of change of '\(id)' became not finite at t = \(nonFiniteTime)"
        guard nonFiniteStates.count == n else { return text }
        // The reactions that change this state, evaluated where the rate was not finite.
        let reactions = model.model.reactions.filter { r in (r.reactants + r.products).contains { $0.species == id } }
        let indices = reactions.compactMap { model.outputIndex[OutputColumn($0.id)] }
        guard indices.count == reactions.count, !reactions.isEmpty else { return text }
        let runner = TapeRunner(model.outputTape.pruned(to: indices))
        nonFiniteStates.withUnsafeMutableBufferPointer { y in
            runner.run(time: nonFiniteTime, params: paramValues, states: y.baseAddress!)
        }
        for (i, r) in reactions.enumerated() where !runner.output(i).isFinite {
            let v = runner.output(i)
            let shown = v.isNaN ? "NaN" : (v < 0 ? "-infinity" : "infinity")
            text =
                "the rate of reaction '\(r.id)' became \(shown) at t = \(nonFiniteTime) (\(r.id) = \(r.rate)), so the rate of change of '\(id)' is not finite"
            break
        }
        return text
    }
}
