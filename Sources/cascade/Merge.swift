import ArgumentParser
import CascadeExperiments
import Foundation

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the outputs of a sharded sweep (--shard i/n) into the unsharded result.",
        discussion: "The merged file equals, byte for byte, what the sweep would have written unsharded.")

    @Argument(help: "The shard output files.") var shards: [String]
    @Option(help: ArgumentHelp("The merged output file (written atomically).", valueName: "file")) var output: String

    func validate() throws {
        guard !shards.isEmpty else { throw ValidationError("give at least one shard file") }
    }

    func run() throws {
        for s in shards where !FileManager.default.fileExists(atPath: s) { throw Failure("\(s): no such file") }
        try SweepMerge.merge(shards.map { URL(fileURLWithPath: $0) }, into: URL(fileURLWithPath: output))
    }
}
