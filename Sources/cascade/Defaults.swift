import Foundation

/// Finds the files commands use when none is given (the default experiments, the ketamine model,
/// the scorecard, the reference trajectories), from any working directory. In order:
///
/// 1. `$CASCADE_MODELS`, when set: the models folder to use (and only it).
/// 2. `models/...` in the working directory or any folder above it (running inside a checkout).
/// 3. `models/...` beside the executable or any folder above it (an installed or built binary,
///    e.g. `.build/release/cascade` finds the checkout's models/).
///
/// A path found in the working directory is returned as given, so outputs that print it are the
/// same as when it is typed.
enum Defaults {
    static let environmentVariable = "CASCADE_MODELS"

    /// The default file at `path` under models/ (e.g. `experiments/plan.yaml`).
    static func model(_ path: String) throws -> String {
        let relative = "models/" + path
        let fm = FileManager.default
        if let root = ProcessInfo.processInfo.environment[environmentVariable], !root.isEmpty {
            let candidate = URL(fileURLWithPath: root).appendingPathComponent(path).path
            guard fm.fileExists(atPath: candidate) else {
                throw Failure("\(candidate): no such file (\(environmentVariable) is \(root))")
            }
            return candidate
        }
        if fm.fileExists(atPath: relative) { return relative }
        let cwd = URL(fileURLWithPath: fm.currentDirectoryPath)
        let executable = URL(fileURLWithPath: CommandLine.arguments[0], relativeTo: cwd).resolvingSymlinksInPath()
        for start in [cwd, executable.deletingLastPathComponent()] {
            if let found = search(relative, upwardFrom: start) { return found }
        }
        throw Failure(
            "\(relative): not found in the working directory, the folders above it or beside the cascade executable; "
                + "give the file, or set \(environmentVariable) to the models folder")
    }

    private static func search(_ relative: String, upwardFrom start: URL) -> String? {
        var dir = start.standardizedFileURL
        while true {
            let candidate = dir.appendingPathComponent(relative).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { return nil }
            dir = parent
        }
    }
}
