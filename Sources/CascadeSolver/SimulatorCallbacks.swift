import CSundials

// MARK: - C callbacks (non-capturing; state passed through user_data)

// The simulator outlives every call CVODE makes into it, so the callbacks borrow it without a
// retain/release pair (which was ~2% of a small model's time, once per right-hand side).
func cascadeRHS(_ t: sunrealtype, _ y: N_Vector?, _ ydot: N_Vector?, _ ud: UnsafeMutableRawPointer?) -> Int32 {
    Unmanaged<Simulator>.fromOpaque(ud!)._withUnsafeGuaranteedRef {
        $0.evaluateRHS(t, N_VGetArrayPointer(y)!, N_VGetArrayPointer(ydot)!)
    }
}

func cascadeDenseJacobian(
    _ t: sunrealtype, _ y: N_Vector?, _ fy: N_Vector?, _ jac: SUNMatrix?,
    _ ud: UnsafeMutableRawPointer?, _ t1: N_Vector?, _ t2: N_Vector?, _ t3: N_Vector?
) -> Int32 {
    Unmanaged<Simulator>.fromOpaque(ud!)._withUnsafeGuaranteedRef {
        $0.evaluateDenseJacobian(t, N_VGetArrayPointer(y)!, jac!)
    }
}

func cascadeSparseJacobian(
    _ t: sunrealtype, _ y: N_Vector?, _ fy: N_Vector?, _ jac: SUNMatrix?,
    _ ud: UnsafeMutableRawPointer?, _ t1: N_Vector?, _ t2: N_Vector?, _ t3: N_Vector?
) -> Int32 {
    Unmanaged<Simulator>.fromOpaque(ud!)._withUnsafeGuaranteedRef {
        $0.evaluateSparseJacobian(t, N_VGetArrayPointer(y)!, jac!)
    }
}

func cascadeRoots(_ t: sunrealtype, _ y: N_Vector?, _ g: UnsafeMutablePointer<sunrealtype>?, _ ud: UnsafeMutableRawPointer?) -> Int32 {
    Unmanaged<Simulator>.fromOpaque(ud!)._withUnsafeGuaranteedRef {
        $0.evaluateRoots(t, N_VGetArrayPointer(y)!, g!)
    }
}

func cascadeErrorHandler(
    _ code: Int32, _ module: UnsafePointer<CChar>?, _ function: UnsafePointer<CChar>?,
    _ msg: UnsafeMutablePointer<CChar>?, _ ud: UnsafeMutableRawPointer?
) {
    guard let ud else { return }
    let sim = Unmanaged<Simulator>.fromOpaque(ud).takeUnretainedValue()
    sim.lastMessage = msg.map { String(cString: $0) } ?? ""
}
