import CSundials

/// How CVODE's failure flags read to the person running the simulation: what went wrong and
/// what to try.
extension Simulator {
    func failure(_ flag: Int32, time: Double) -> SimulationError {
        let msg = lastMessage.isEmpty ? "" : " (CVODE: \(lastMessage))"
        switch flag {
        case CV_TOO_MUCH_WORK:
            return .solverFailure(time: time, reason: "more than \(options.maxSteps) internal steps were needed before the next output\(msg)",
                                  advice: "Raise the step limit (maxSteps), add output times, or check the model for very fast or oscillating processes.")
        case CV_TOO_MUCH_ACC:
            return .solverFailure(time: time, reason: "the requested accuracy cannot be reached\(msg)",
                                  advice: "Loosen the relative or absolute tolerance.")
        case CV_ERR_FAILURE:
            return .solverFailure(time: time, reason: "the error test failed repeatedly\(msg)",
                                  advice: "Look for a discontinuity the model does not express as an event or piecewise condition, or loosen the tolerances.")
        case CV_CONV_FAILURE:
            return .solverFailure(time: time, reason: "the Newton iteration failed to converge repeatedly\(msg)",
                                  advice: "The model may be extremely stiff or ill-posed; check rate constants and initial values.")
        case CV_LSETUP_FAIL, CV_LSOLVE_FAIL:
            return .solverFailure(time: time, reason: "the linear solver failed (a singular Newton matrix)\(msg)",
                                  advice: "Check for rates that are infinite or undefined at this state.")
        case CV_RHSFUNC_FAIL, CV_FIRST_RHSFUNC_ERR, CV_REPTD_RHSFUNC_ERR, CV_UNREC_RHSFUNC_ERR:
            let what = nonFiniteState.map { "the rate of change of '\(model.stateIds[$0])' is not finite (at t = \(nonFiniteTime))" }
                ?? "the right-hand side could not be evaluated"
            return .solverFailure(time: time, reason: what,
                                  advice: "Look for a division by zero, a log or power of a negative value, or an overflow in the rate laws.")
        case CV_RTFUNC_FAIL:
            return .solverFailure(time: time, reason: "an event condition could not be evaluated\(msg)", advice: "Check event triggers.")
        default:
            return .solverFailure(time: time, reason: "CVODE returned flag \(flag)\(msg)", advice: "Check the settings and the model.")
        }
    }
}
