import ArgumentParser
import CascadeExperiments
import Foundation

/// `--ensemble FILE [--mapping FILE]` of `cascade knockouts` (each call with the share of members
/// that agree), `cascade scorecard` (each finding with the share of members reproducing it) and
/// `cascade plan` (separations against the ensemble's spread).
struct EnsembleOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "An ensemble of calibrated parameter sets (`cascade ensemble`'s table, e.g. models/calibration/ensemble.tsv): knockouts runs the screen for every member and reports each call's agreement; scorecard reports the share of members reproducing each finding; plan scores conditions by how consistently the members separate the hypotheses.",
            valueName: "file")) var ensemble: String?
    @Option(
        help: ArgumentHelp(
            "Calibration-to-model parameter ids (calibrationId, modelId); mapping.tsv beside the ensemble when omitted.", valueName: "file"))
    var mapping: String?

    func validate() throws {
        if mapping != nil && ensemble == nil { throw ValidationError("--mapping needs --ensemble") }
    }

    /// The members as model parameter values, checked against `screen`'s settable parameters;
    /// empty without --ensemble.
    func variants(for screen: VariantScreen) throws -> (members: [[String: Double]], ensemble: String, mapping: String) {
        try variants(settable: screen.isSettable, known: screen.compiled.reportableIds)
    }

    /// The members as model parameter values, each id checked with `settable` (`known`: the ids
    /// suggested for a misspelt one); empty without --ensemble.
    func variants(settable: (String) -> Bool, known: [String]) throws -> (members: [[String: Double]], ensemble: String, mapping: String) {
        guard let path = ensemble else { return ([], "", "") }
        let url = URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: url.path) else { throw Failure("\(path): no such file") }
        let mappingPath = mapping ?? ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("mapping.tsv")
        let mappingURL = URL(fileURLWithPath: mappingPath)
        guard FileManager.default.fileExists(atPath: mappingURL.path) else {
            throw Failure("\(mappingPath): no such file (the calibration-to-model parameter mapping; give it with --mapping)")
        }
        let members = try ParameterEnsemble.load(url)
        let map = try CalibrationMapping.load(mappingURL)
        return (try map.variants(members, settable: settable, known: known), path, mappingPath)
    }

    func apply(to result: inout ScreenResult, experiment e: Experiment, threads: Int) throws {
        guard ensemble != nil else { return }
        let probe = try VariantScreen(e, drugs: VariantScreen.drugs(of: e.conditions), settling: .perVariant)
        let v = try variants(for: probe)
        _ = try EnsembleScreen.run(e, nominal: &result, members: v.members, ensembleFile: v.ensemble, mappingFile: v.mapping, threads: threads)
    }
}
