import CFuzzerDriver
import Foundation

// Runs libFuzzer with this target's test function (see Package.swift for why not libFuzzer's main).
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzExperiment(data, size) })
