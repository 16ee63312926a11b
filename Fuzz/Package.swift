// swift-tools-version: 6.0
import PackageDescription

// libFuzzer targets for Cascade's text (Antimony), SBML, experiment (YAML) and PEtab table readers. A separate package, so the
// main build never sees the `-sanitize=fuzzer` flags; see README.md for how to build and run.
//
//     cd Fuzz && swift build -c release -Xswiftc -sanitize=fuzzer,address --scratch-path .build-fuzz
//
// Each target exports `LLVMFuzzerTestOneInput` and has a small `main.swift` that hands it to
// libFuzzer's `LLVMFuzzerRunDriver`. (The usual `-parse-as-library` route, where libFuzzer's own
// `main` runs, does not link with SwiftPM on Linux: SwiftPM renames an executable's entry point to
// `<Target>_main` and aliases `main` to it, so a library-parsed target leaves that symbol undefined.)

let package = Package(
    name: "CascadeFuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "Cascade", path: "..")],
    targets: [
        .target(name: "CFuzzerDriver"),
        .executableTarget(
            name: "FuzzAntimony",
            dependencies: [
                "CFuzzerDriver", .product(name: "CascadeFormats", package: "Cascade"),
                .product(name: "CascadeCore", package: "Cascade"),
            ]
        ),
        .executableTarget(
            name: "FuzzExperiment",
            dependencies: [
                "CFuzzerDriver", .product(name: "CascadeExperiments", package: "Cascade"),
                .product(name: "CascadeFormats", package: "Cascade"),
                .product(name: "CascadeCore", package: "Cascade"),
            ]
        ),
        .executableTarget(
            name: "FuzzPEtab",
            dependencies: [
                "CFuzzerDriver", .product(name: "CascadeFormats", package: "Cascade"),
                .product(name: "CascadeCore", package: "Cascade"),
            ]
        ),
        .executableTarget(
            name: "FuzzSBML",
            dependencies: [
                "CFuzzerDriver", .product(name: "CascadeFormats", package: "Cascade"),
                .product(name: "CascadeCore", package: "Cascade"),
            ]
        ),
    ]
)
