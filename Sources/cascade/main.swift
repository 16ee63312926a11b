import ArgumentParser
import CascadeCore
import Foundation

/// The `cascade` command line. Exit codes: 0 success, 1 bad input or solver failure (message on
/// stderr), 2 bad usage.
struct Cascade: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cascade",
        abstract: "Mechanistic signalling-pathway simulator (ODEs integrated with SUNDIALS CVODE).",
        discussion: """
            Default files (the experiments, models/ketamine.ant, models/scorecard.yaml, models/references) \
            are found under models/ in the working directory or a folder above it, then beside the cascade \
            executable; set CASCADE_MODELS to the models folder to use another one.
            """,
        version: CascadeVersion.string,
        subcommands: [
            Simulate.self, Info.self, Knockouts.self, Sweep.self, Check.self, ExportSBML.self, SBMLSuite.self, Merge.self,
            PEtab.self, ScorecardCommand.self, Plan.self, Cohort.self, Benchmark.self, Likelihood.self, Fit.self, Profile.self, EnsembleCommand.self,
            SampleCommand.self,
            SteadyStateCommand.self, Sensitivity.self, PlateToPEtab.self,
        ])
}

do {
    var command = try Cascade.parseAsRoot()
    do {
        try command.run()
    } catch let error as CleanExit {
        Cascade.exit(withError: error)
    } catch  where Cascade.exitCode(for: error) == .success {
        // --help and --version reach here as errors of the argument parser.
        Cascade.exit(withError: error)
    } catch  where Cascade.exitCode(for: error) == .validationFailure {
        FileHandle.standardError.write(Data((Cascade.fullMessage(for: error) + "\n").utf8))
        exit(2)
    } catch {
        // Source errors already read "path:line:column: error: ..." with a caret line.
        let text = describe(error)
        let prefixed = text.contains(": error: ") ? text : "cascade: error: " + text
        FileHandle.standardError.write(Data((prefixed + "\n").utf8))
        exit(1)
    }
} catch {
    let code = Cascade.exitCode(for: error)
    if code == .success {
        Cascade.exit(withError: error)
    }
    FileHandle.standardError.write(Data((Cascade.fullMessage(for: error) + "\n").utf8))
    exit(2)
}
