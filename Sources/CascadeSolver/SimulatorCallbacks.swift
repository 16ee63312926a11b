import CSundials

/// What CVODE calls back into: the right-hand side, the Jacobian (dense or sparse) and the root
/// functions, evaluated on the simulator's tapes.
extension Simulator {
    func evaluateRHS(_ t: Double, _ yp: UnsafeMutablePointer<Double>, _ ydot: UnsafeMutablePointer<Double>) -> Int32 {
        if n == 0 { ydot[0] = 0; return 0 }
        rhsRunner.runVarying(time: t, states: yp)
        rhsRunner.copyOutputs(to: ydot)
        for k in 0 ..< n where !ydot[k].isFinite {
            nonFiniteState = k
            nonFiniteTime = t
            return 1  // recoverable: CVODE retries with a smaller step
        }
        return 0
    }

    func evaluateDenseJacobian(_ t: Double, _ yp: UnsafeMutablePointer<Double>, _ jac: SUNMatrix) -> Int32 {
        SUNMatZero(jac)
        if n == 0 { return 0 }
        let data = SUNDenseMatrix_Data(jac)!
        jacRunner.runVarying(time: t, states: yp)
        let r = jacRunner.registers, out = jacRunner.outputSlots
        for e in 0 ..< jacobianSlots.count { data[jacobianSlots[e]] = r[Int(out[e])] }
        return 0
    }

    func evaluateSparseJacobian(_ t: Double, _ yp: UnsafeMutablePointer<Double>, _ jac: SUNMatrix) -> Int32 {
        let data = SUNSparseMatrix_Data(jac)!
        let ptrs = SUNSparseMatrix_IndexPointers(jac)!
        let vals = SUNSparseMatrix_IndexValues(jac)!
        for i in 0 ..< sparseColumnPointers.count { ptrs[i] = sparseColumnPointers[i] }
        for i in 0 ..< sparseRowIndices.count {
            vals[i] = sparseRowIndices[i]
            data[i] = 0
        }
        jacRunner.runVarying(time: t, states: yp)
        let r = jacRunner.registers, out = jacRunner.outputSlots
        for e in 0 ..< jacobianSlots.count { data[jacobianSlots[e]] = r[Int(out[e])] }
        return 0
    }

    func evaluateRoots(_ t: Double, _ yp: UnsafeMutablePointer<Double>, _ g: UnsafeMutablePointer<Double>) -> Int32 {
        rootRunner.run(time: t, params: paramValues, states: yp)
        rootRunner.copyOutputs(to: g)
        return 0
    }
}

// MARK: - C callbacks (non-capturing; state passed through user_data)

// The simulator outlives every call CVODE makes into it, so the callbacks borrow it without a
// retain/release pair (which was ~2% of a small model's time, once per right-hand side).
func cascadeRHS(_ t: sunrealtype, _ y: N_Vector?, _ ydot: N_Vector?, _ ud: UnsafeMutableRawPointer?) -> Int32 {
    Unmanaged<Simulator>.fromOpaque(ud!)._withUnsafeGuaranteedRef {
        $0.evaluateRHS(t, N_VGetArrayPointer(y)!, N_VGetArrayPointer(ydot)!)
    }
}

func cascadeDenseJacobian(_ t: sunrealtype, _ y: N_Vector?, _ fy: N_Vector?, _ jac: SUNMatrix?,
                          _ ud: UnsafeMutableRawPointer?, _ t1: N_Vector?, _ t2: N_Vector?, _ t3: N_Vector?) -> Int32 {
    Unmanaged<Simulator>.fromOpaque(ud!)._withUnsafeGuaranteedRef {
        $0.evaluateDenseJacobian(t, N_VGetArrayPointer(y)!, jac!)
    }
}

func cascadeSparseJacobian(_ t: sunrealtype, _ y: N_Vector?, _ fy: N_Vector?, _ jac: SUNMatrix?,
                           _ ud: UnsafeMutableRawPointer?, _ t1: N_Vector?, _ t2: N_Vector?, _ t3: N_Vector?) -> Int32 {
    Unmanaged<Simulator>.fromOpaque(ud!)._withUnsafeGuaranteedRef {
        $0.evaluateSparseJacobian(t, N_VGetArrayPointer(y)!, jac!)
    }
}

func cascadeRoots(_ t: sunrealtype, _ y: N_Vector?, _ g: UnsafeMutablePointer<sunrealtype>?, _ ud: UnsafeMutableRawPointer?) -> Int32 {
    Unmanaged<Simulator>.fromOpaque(ud!)._withUnsafeGuaranteedRef {
        $0.evaluateRoots(t, N_VGetArrayPointer(y)!, g!)
    }
}

func cascadeErrorHandler(_ code: Int32, _ module: UnsafePointer<CChar>?, _ function: UnsafePointer<CChar>?,
                         _ msg: UnsafeMutablePointer<CChar>?, _ ud: UnsafeMutableRawPointer?) {
    guard let ud else { return }
    let sim = Unmanaged<Simulator>.fromOpaque(ud).takeUnretainedValue()
    sim.lastMessage = msg.map { String(cString: $0) } ?? ""
}
