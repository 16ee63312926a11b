// swift-tools-version: 6.0
import PackageDescription

// C code on the hot path is always compiled with optimisation, without fast-math or
// floating-point contraction, so results are reproducible bit for bit.
let optimisedC: [CSetting] = [.unsafeFlags(["-O2", "-ffp-contract=off", "-fno-fast-math"])]

let package = Package(
    name: "Cascade",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "cascade", targets: ["cascade"]),
        .library(name: "CascadeCore", targets: ["CascadeCore"]),
        .library(name: "CascadeFormats", targets: ["CascadeFormats"]),
        .library(name: "CascadeSolver", targets: ["CascadeSolver"]),
        .library(name: "CascadePEtab", targets: ["CascadePEtab"]),
        .library(name: "CascadeConformance", targets: ["CascadeConformance"]),
        .library(name: "CascadeExperiments", targets: ["CascadeExperiments"]),
        // The C ABI (Sources/CascadeC/cascade.h) as a shared library, for the Python package in python/.
        .library(name: "CascadeC", type: .dynamic, targets: ["CascadeC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CSundials", path: "Sources/CSundials"),
        .target(
            name: "CKLU",
            dependencies: ["CSundials"],
            path: "Sources/CKLU",
            exclude: ["README.md"],
            cSettings: [.unsafeFlags(["-I/usr/include/suitesparse"])],
            linkerSettings: [.linkedLibrary("sundials_sunlinsolklu")]
        ),
        .target(
            name: "CFastOps",
            dependencies: ["CSundials"],
            path: "Sources/CFastOps",
            exclude: ["README.md"],
            cSettings: optimisedC
        ),
        .target(name: "CascadeCore", exclude: ["README.md"]),
        .target(name: "CascadeFormats", dependencies: ["CascadeCore", .product(name: "Yams", package: "Yams")], exclude: ["README.md"]),
        .target(
            name: "CascadeSolver",
            dependencies: ["CascadeCore", "CSundials", "CKLU", "CFastOps"],
            exclude: ["README.md"]
        ),
        .target(
            name: "CascadeExperiments",
            dependencies: ["CascadeCore", "CascadeFormats", "CascadeSolver"],
            exclude: ["README.md"]
        ),
        .target(name: "CascadePEtab", dependencies: ["CascadeCore", "CascadeFormats", "CascadeSolver"], exclude: ["README.md"]),
        .target(name: "CascadeConformance", dependencies: ["CascadeCore", "CascadeFormats", "CascadeSolver"], exclude: ["README.md"]),
        .target(name: "CascadeEstimation", dependencies: ["CascadeCore", "CascadeFormats", "CascadeSolver", "CascadePEtab"], exclude: ["README.md"]),
        .target(name: "CascadeReports", dependencies: ["CascadeCore", "CascadeSolver", "CascadeExperiments", "CascadeEstimation"], exclude: ["README.md"]),
        .target(
            name: "CascadeC",
            dependencies: [
                "CascadeCore", "CascadeFormats", "CascadeSolver", "CascadePEtab", "CascadeExperiments", "CascadeEstimation", "CascadeReports",
            ],
            exclude: ["README.md", "cascade.h"],
            // The Swift runtime and Foundation linked in, so the library (and the Python wheel that
            // bundles it) runs where no Swift toolchain is installed.
            // The archives Foundation's own archives need are named again after them, as the linker
            // reads archives once, in order (without them the symbols stay undefined in the library).
            linkerSettings: [
                .unsafeFlags(["-static-stdlib"]),
                .linkedLibrary("FoundationXML"), .linkedLibrary("_CFXMLInterface"), .linkedLibrary("xml2"),
                .linkedLibrary("Foundation"), .linkedLibrary("FoundationInternationalization"), .linkedLibrary("FoundationEssentials"),
                .linkedLibrary("CoreFoundation"), .linkedLibrary("_FoundationCollections"), .linkedLibrary("_FoundationCShims"),
                .linkedLibrary("_FoundationICU"), .linkedLibrary("swiftSynchronization"),
            ]
        ),
        .executableTarget(
            name: "cascade",
            dependencies: [
                "CascadeCore", "CascadeFormats", "CascadeSolver", "CascadePEtab", "CascadeConformance", "CascadeExperiments",
                "CascadeReports", "CascadeEstimation", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            exclude: ["README.md"]
        ),
        .executableTarget(
            name: "CascadeBenchmarks",
            dependencies: ["CascadeCore", "CascadeSolver"],
            path: "Benchmarks/CascadeBenchmarks"
        ),
        .executableTarget(
            name: "DSLExample",
            dependencies: ["CascadeCore", "CascadeSolver"],
            path: "examples/DSLExample"
        ),
        .testTarget(name: "CascadeCoreTests", dependencies: ["CascadeCore"]),
        .testTarget(
            name: "CascadeEstimationTests",
            dependencies: ["CascadeCore", "CascadeFormats", "CascadeSolver", "CascadePEtab", "CascadeEstimation"]
        ),
        .testTarget(
            name: "CascadeExperimentsTests",
            dependencies: ["CascadeCore", "CascadeFormats", "CascadeSolver", "CascadeExperiments", "CascadeReports", "CascadeEstimation"]
        ),
        .testTarget(name: "CascadeSolverTests", dependencies: ["CascadeCore", "CascadeSolver", "CSundials", "CFastOps"]),
        .testTarget(
            name: "CascadePEtabTests",
            dependencies: ["CascadeCore", "CascadeFormats", "CascadeSolver", "CascadePEtab"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "CascadeFormatsTests",
            dependencies: ["CascadeCore", "CascadeFormats", "CascadeSolver"],
            resources: [.copy("Fixtures")]
        ),
        // The command line, run as a process. Depending on the executable makes `swift build
        // --build-tests` and `swift test` build it; a test fails (never skips) without it.
        .testTarget(name: "CascadeCLITests", dependencies: ["cascade", "CascadeCore", "CascadeFormats"]),
    ]
)
